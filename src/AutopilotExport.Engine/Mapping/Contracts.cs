using System;
using System.Collections.Generic;

namespace AutopilotExport.Engine.Mapping
{
    /// <summary>
    /// Read access to one input row, whatever it was (PSObject, hashtable, dictionary). The cmdlet layer
    /// adapts PowerShell objects to this; the engine never sees a PowerShell type. Property lookup is
    /// case-insensitive, as PowerShell's is. Values are plain .NET objects (PSObject already unwrapped).
    /// </summary>
    public interface IRecordReader
    {
        /// <summary>True when the row has the property (even if its value is null).</summary>
        bool TryGetValue(string property, out object? value);

        /// <summary>The row's property names, in input order (used for auto-matching and error messages).</summary>
        IEnumerable<string> PropertyNames { get; }
    }

    /// <summary>Types of Autopilot custom fields (the prefix of the typed key, e.g. <c>integer--Order--Count</c>).</summary>
    public enum CustomFieldType
    {
        /// <summary>Infer from the first non-empty value's .NET type (strings stay strings).</summary>
        Auto = 0,
        String,
        Integer,
        Float,
        Boolean,
        Date,
    }

    /// <summary>One custom field: which input property feeds it and which Autopilot type it has.</summary>
    public sealed class CustomFieldMapping
    {
        public CustomFieldMapping(string property, CustomFieldType type = CustomFieldType.Auto)
        {
            Property = property ?? throw new ArgumentNullException(nameof(property));
            Type = type;
        }

        public string Property { get; }
        public CustomFieldType Type { get; }
    }
}
