using System.Management.Automation;
using Xunit;

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

    /// <summary>
    /// A run that cannot start, or stops as a whole, under the default ErrorAction: nothing thrown, exactly one error
    /// record with <paramref name="errorId"/> (non-terminating), and exactly one result object (the script's
    /// assignment gets it): Failed, with the same ErrorId and an ErrorMessage.
    /// </summary>
    public static (PSObject Result, ErrorRecord Error) FailedRun(RunResult r, string errorId)
    {
        Assert.Null(r.Thrown);
        var error = Assert.Single(r.Errors, e => e.FullyQualifiedErrorId == errorId + ErrorIdSuffix);
        var result = Assert.Single(r.Output, IsResult);
        Assert.Equal(("Failed", errorId), (Prop<string>(result, "Status"), Prop<string>(result, "ErrorId")));
        Assert.False(string.IsNullOrEmpty(Prop<string>(result, "ErrorMessage")));
        return (result, error);
    }

    /// <summary>
    /// The same failure under -ErrorAction Stop, for a script that ends with <c>catch { $_ }</c>: the error ends the
    /// command (the line after it never runs) with <paramref name="errorId"/>; the result was still written first.
    /// </summary>
    public static ErrorRecord StoppedRun(RunResult r, string errorId, bool resultFirst = true)
    {
        Assert.Null(r.Thrown);
        Assert.DoesNotContain(r.Output, o => o.BaseObject as string == "not stopped");
        var error = Assert.IsType<ErrorRecord>(r.Output.Last().BaseObject);
        Assert.Equal(errorId + ErrorIdSuffix, error.FullyQualifiedErrorId);
        if (resultFirst) Assert.Equal("Failed", Prop<string>(Assert.Single(r.Output, IsResult), "Status"));
        return error;
    }

    public static (long Received, long Exported, long Invalid, long Duplicate, long Failed) Counts(PSObject result) =>
        (Prop<long>(result, "Received"), Prop<long>(result, "Exported"), Prop<long>(result, "Invalid"), Prop<long>(result, "Duplicate"), Prop<long>(result, "Failed"));
}
