using System.Management.Automation;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;
using static AutopilotExport.Module.Tests.Infrastructure.ExportResults;

namespace AutopilotExport.Module.Tests;

/// <summary>Input that is not profiles, and input that is not there: one warning, early, and a result that says so.</summary>
public sealed class InputShapeCommandTests : ModuleTestBase
{
    public InputShapeCommandTests(EmulatorFixture emulator) : base(emulator)
    {
        CreateConnection("Emu");
    }

    private string Folder(int files)
    {
        var folder = Path.Combine(Path.GetDirectoryName(StateHome)!, "files");
        Directory.CreateDirectory(folder);
        for (int i = 1; i <= files; i++) File.WriteAllText(Path.Combine(folder, $"f{i:00}.txt"), "x");
        Session.SetVariable("Folder", folder);
        return folder;
    }

    [Fact]
    public void Files_get_one_warning_naming_what_was_expected_and_what_the_files_have()
    {
        // What Get-ChildItem lists (the hosted session has no provider cmdlets; tests/Pester runs Get-ChildItem itself).
        Folder(12);
        var r = Run("[System.IO.DirectoryInfo]::new($Folder).GetFiles() | Start-AutopilotExport -Connection Emu -Segment Files");

        var warning = Assert.Single(r.Warnings);
        Assert.StartsWith("The input does not look like profiles: the first 3 rows have no property the email address can come from (Email, EmailAddress, Mail or UserPrincipalName); properties found: ", warning);
        Assert.Contains("Name", warning);
        Assert.Contains("Length", warning);
        // Each file is still its own MissingEmail error with the file as its target; nothing was sent.
        Assert.Equal(12, r.Errors.Count);
        Assert.All(r.Errors, e => Assert.Equal("MissingEmail" + ErrorIdSuffix, e.FullyQualifiedErrorId));
        Assert.All(r.Errors, e => Assert.IsType<FileInfo>(((PSObject)e.TargetObject).BaseObject));
        var result = Assert.Single(r.Output, IsResult);
        Assert.Equal(("CompletedWithErrors", 12L, 12L, 0L), (Prop<string>(result, "Status"), Prop<long>(result, "Received"), Prop<long>(result, "Invalid"), Prop<long>(result, "Exported")));
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }

    [Fact]
    public void The_warning_comes_early_while_the_input_is_still_coming()
    {
        // The fourth row throws upstream: by then the warning (given with the third row) is out.
        var r = Run(@"try {
                1..4 | ForEach-Object { if ($_ -eq 4) { throw 'upstream stopped' }; ""not an address $_"" } |
                    Start-AutopilotExport -Connection Emu -Segment Strings -ErrorAction SilentlyContinue
            } catch { 'caught' }");
        Assert.Contains("caught", r.Output.Select(o => o.BaseObject as string));
        var warning = Assert.Single(r.Warnings);
        Assert.Equal("The input does not look like profiles: the first 3 rows have no property the email address can come from (Email, EmailAddress, Mail or UserPrincipalName); " +
            "they have no properties at all (plain values such as text or numbers?). Pipe in objects with one of those properties, or map the property that holds the address as Email.", warning);
    }

    [Fact]
    public void Profiles_with_some_bad_rows_get_no_such_warning()
    {
        var r = Run(@"@([pscustomobject]@{ Email = '' }, [pscustomobject]@{ Email = 'nope' }, [pscustomobject]@{ Email = 'ok@example.com' }) |
            Start-AutopilotExport -Connection Emu -Segment Fine");
        Assert.Empty(r.Warnings);
        Assert.Equal(new[] { "MissingEmail" + ErrorIdSuffix, "InvalidEmail" + ErrorIdSuffix }, r.ErrorIds);
        Assert.Equal("ok@example.com", Assert.Single(Emulator.Contacts()).Email);
    }

    [Theory]
    [InlineData("@() | Start-AutopilotExport -Connection Emu -Segment Empty")]
    [InlineData("Start-AutopilotExport -Connection Emu -Segment Empty")]
    public void An_empty_pipeline_is_NoInput_with_one_warning_and_records_it(string command)
    {
        // An empty CSV file through Import-Csv is in tests/Pester (the hosted session has no Import-Csv).
        var r = Run(command);

        Assert.Empty(r.Errors);
        Assert.Equal("No input came in (an empty file, or nothing piped in?): there was nothing to export, and nothing was sent.", Assert.Single(r.Warnings));
        var result = Assert.Single(r.Output, IsResult);
        Assert.Equal(("NoInput", (0L, 0L, 0L, 0L, 0L)), (Prop<string>(result, "Status"), Counts(result)));
        Assert.Null(result.Properties["ErrorId"].Value);
        Assert.Equal(0, Emulator.Stats().TotalRequests);
        Assert.Equal("NoInput", Prop<string>(RunClean("$global:AutopilotLastExportResult").Output.Single(), "Status"));
    }

    [Fact]
    public void A_saved_export_run_without_input_records_NoInput_as_its_last_run_and_WhatIf_warns_too()
    {
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment Saved");
        var r = Run("@() | Start-AutopilotExport -Name Nightly");
        Assert.Equal("NoInput", Prop<string>(Assert.Single(r.Output, IsResult), "Status"));
        Assert.Equal("NoInput", Prop<string>(RunClean("Get-AutopilotExport Nightly").Output.Single(), "LastRunStatus"));

        var whatIf = Run("@() | Start-AutopilotExport -Name Nightly -WhatIf");
        Assert.Empty(whatIf.Output); // a dry run writes no result object
        Assert.StartsWith("No input came in", Assert.Single(whatIf.Warnings));
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }
}
