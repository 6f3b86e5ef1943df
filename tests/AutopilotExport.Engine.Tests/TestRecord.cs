using System.Collections;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests;

/// <summary>An input row for engine tests: a case-insensitive property bag, as PowerShell objects are.</summary>
public sealed class TestRecord : IRecordReader
{
    private readonly List<KeyValuePair<string, object?>> _props = new();

    public TestRecord(params (string Name, object? Value)[] props)
    {
        foreach (var (n, v) in props) _props.Add(new(n, v));
    }

    public bool TryGetValue(string property, out object? value)
    {
        foreach (var kv in _props)
            if (string.Equals(kv.Key, property, StringComparison.OrdinalIgnoreCase)) { value = kv.Value; return true; }
        value = null;
        return false;
    }

    public IEnumerable<string> PropertyNames => _props.Select(p => p.Key);

    public static FieldMap Map(IDictionary spec) => FieldMap.FromDictionary(spec);
}
