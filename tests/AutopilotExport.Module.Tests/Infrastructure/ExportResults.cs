using System.Management.Automation;

namespace AutopilotExport.Module.Tests.Infrastructure;

/// <summary>Reading Start-AutopilotExport's result object (its type lives in the module, which the tests only import).</summary>
public static class ExportResults
{
    /// <summary>What Start-AutopilotExport appends to the error ids it writes.</summary>
    public const string ErrorIdSuffix = ",AutopilotExport.Commands.StartAutopilotExportCommand";

    public static bool IsResult(PSObject o) => o.BaseObject.GetType().FullName == "AutopilotExport.AutopilotExportResult";

    public static T Prop<T>(PSObject o, string name)
    {
        var value = o.Properties[name]!.Value;
        return (T)(value is PSObject p ? p.BaseObject : value)!;
    }

    public static (long Received, long Exported, long Invalid, long Duplicate, long Failed) Counts(PSObject result) =>
        (Prop<long>(result, "Received"), Prop<long>(result, "Exported"), Prop<long>(result, "Invalid"), Prop<long>(result, "Duplicate"), Prop<long>(result, "Failed"));
}
