using System.Management.Automation;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>
/// Start-AutopilotExport on a saved export with its run history and sync record: incremental reruns (Unchanged),
/// -Full, -SyncMode Mirror with its guard rail, -Force and -WhatIf, every outcome in Get-AutopilotExportRun, and
/// Remove-AutopilotExport taking history and record with the export.
/// </summary>
public sealed class SyncCommandTests : ModuleTestBase
{
    private const string Suffix = ",AutopilotExport.Commands.StartAutopilotExportCommand";
    private const string DeleteRoute = "DELETE /v1/list/{listId}/contact/{idOrEmail}";

    public SyncCommandTests(EmulatorFixture emulator) : base(emulator)
    {
        CreateConnection("Emu");
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP");
    }

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value is PSObject p ? p.BaseObject : o.Properties[name]?.Value;

    private static PSObject ResultOf(RunResult r) =>
        Assert.Single(r.Output, o => o.BaseObject.GetType().FullName == "AutopilotExport.AutopilotExportResult");

    /// <summary>Rows from..to (automatic field map: Email, FirstName); the rows listed as changed have another first name.</summary>
    private static string Rows(int from, int to, params int[] changed) =>
        $"$rows = {from}..{to} | ForEach-Object {{ [pscustomobject]@{{ Email = \"user$_@example.com\"; FirstName = $(if (@({string.Join(",", changed.Select(c => c.ToString()))}) -contains $_) {{ \"Changed$_\" }} else {{ \"First$_\" }}) }} }}; ";

    private static (long Received, long Exported, long Unchanged, long Removed) Counts(PSObject result) =>
        ((long)Prop(result, "Received")!, (long)Prop(result, "Exported")!, (long)Prop(result, "Unchanged")!, (long)Prop(result, "Removed")!);

    private List<PSObject> History(string name = "Nightly") => RunClean($"Get-AutopilotExportRun -Name {name}").Output;

    /// <summary>The error ids of a run, whether its whole-run error terminated the script or not.</summary>
    private static IEnumerable<string> AllErrorIds(RunResult r) =>
        r.ErrorIds.Concat(r.Thrown is IContainsErrorRecord c ? new[] { c.ErrorRecord.FullyQualifiedErrorId } : Array.Empty<string>());

    private HashSet<string> OnList(string title)
    {
        var ids = Emulator.Lists().Single(l => l.Title == title).ContactIds.ToHashSet();
        return Emulator.Contacts().Where(c => ids.Contains(c.ContactId)).Select(c => c.Email.ToLowerInvariant()).ToHashSet();
    }

    [Fact]
    public void A_rerun_sends_only_changed_rows_counts_the_rest_Unchanged_and_each_run_is_in_the_history()
    {
        var first = ResultOf(RunClean(Rows(1, 120) + "$rows | Start-AutopilotExport -Name Nightly"));
        Assert.Equal((120L, 120L, 0L, 0L), Counts(first));

        var second = RunClean(Rows(1, 121, 7) + "$rows | Start-AutopilotExport -Name Nightly -Verbose");
        Assert.Equal((121L, 2L, 119L, 0L), Counts(ResultOf(second)));
        Assert.Equal("Succeeded", Prop(ResultOf(second), "Status"));
        Assert.Contains(second.Verbose, v => v.Contains("Sync record of 'Nightly': 120 contacts known"));
        Assert.Equal("Changed7", Emulator.Contact("user7@example.com")!["FirstName"]);
        Assert.Equal(3, Emulator.Stats().Count("POST /v1/contacts")); // two for the first run's 120, one for the 2 changed

        var full = ResultOf(RunClean(Rows(1, 121, 7) + "$rows | Start-AutopilotExport -Name Nightly -Full"));
        Assert.Equal((121L, 121L, 0L, 0L), Counts(full));

        var runs = History();
        Assert.Equal(new[] { "Succeeded", "Succeeded", "Succeeded" }, runs.Select(r => (string)Prop(r, "Status")!));
        Assert.Equal(new[] { 121L, 2L, 120L }, runs.Select(r => (long)Prop(r, "Exported")!));
        Assert.Equal(new[] { 0L, 119L, 0L }, runs.Select(r => (long)Prop(r, "Unchanged")!));
        Assert.Equal(new[] { true, false, false }, runs.Select(r => (bool)Prop(r, "Full")!));
        Assert.All(runs, r => Assert.True(File.Exists((string)Prop(r, "ReportPath")!)));
        Assert.Equal((string)Prop(full, "ReportPath")!, (string)Prop(runs[0], "ReportPath")!);

        // The row report's summary carries the new count.
        var summaryLine = File.ReadLines((string)Prop(ResultOf(second), "ReportPath")!).Last();
        Assert.Contains("\"unchanged\":119", summaryLine, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Ad_hoc_runs_keep_no_history_and_no_sync_record_and_Mirror_needs_a_saved_export()
    {
        var adhoc = ResultOf(RunClean(Rows(1, 3) + "$rows | Start-AutopilotExport -Connection Emu -Segment VIP"));
        Assert.Equal((3L, 3L, 0L, 0L), Counts(adhoc));
        Assert.DoesNotContain(StateFiles(), f => f.Contains(Path.DirectorySeparatorChar + "history" + Path.DirectorySeparatorChar) || f.Contains(Path.DirectorySeparatorChar + "sync" + Path.DirectorySeparatorChar));
        var again = ResultOf(RunClean(Rows(1, 3) + "$rows | Start-AutopilotExport -Connection Emu -Segment VIP"));
        Assert.Equal((3L, 3L, 0L, 0L), Counts(again));

        var mirror = Run(Rows(1, 3) + "$rows | Start-AutopilotExport -Connection Emu -Segment VIP -SyncMode Mirror");
        Assert.Contains("MirrorNeedsSavedExport" + Suffix, AllErrorIds(mirror));
        Assert.Equal(0, Emulator.Stats().Count(DeleteRoute));
    }

    [Fact]
    public void A_failed_run_is_in_the_history_with_its_error_id()
    {
        Emulator.SetApiKey("sk-ROTATED-0000000000");
        var r = Run(Rows(1, 3) + "$rows | Start-AutopilotExport -Name Nightly");
        Assert.Contains("Unauthorized" + Suffix, AllErrorIds(r));
        var run = Assert.Single(History());
        Assert.Equal(("Failed", "Unauthorized", 3L), ((string)Prop(run, "Status")!, (string?)Prop(run, "ErrorId"), (long)Prop(run, "Received")!));
        Assert.NotNull(Prop(run, "EndTime"));
        Assert.DoesNotContain(TestKey, (string?)Prop(run, "Message") ?? "");
    }

    [Fact]
    public void Mirror_removes_who_left_the_guard_rail_refuses_a_cut_off_input_and_WhatIf_names_them()
    {
        RunClean(Rows(1, 50) + "$null = $rows | Start-AutopilotExport -Name Nightly -SyncMode Mirror");

        // WhatIf names the 20 who left (40%) and says it would be refused; nothing is sent or removed.
        var whatIf = RunClean(Rows(21, 50) + "$rows | Start-AutopilotExport -Name Nightly -SyncMode Mirror -WhatIf -Verbose");
        var line = Assert.Single(whatIf.WhatIf, w => w.Contains("Remove 20 of the 50 contacts this export put on list 'VIP'"));
        Assert.Contains("user1@example.com", line);
        Assert.Contains("user20@example.com", line);
        Assert.DoesNotContain("user21@example.com", line);
        Assert.Contains("refused", line);
        Assert.Equal(20, whatIf.Verbose.Count(v => v.StartsWith("WhatIf: Mirror would take ", StringComparison.Ordinal)));
        Assert.Equal(0, Emulator.Stats().Count(DeleteRoute));
        Assert.Single(History()); // WhatIf writes no history

        // The same run for real is refused as a whole, with the result and the error id.
        var refused = Run(Rows(21, 50) + "$rows | Start-AutopilotExport -Name Nightly -SyncMode Mirror");
        Assert.Contains("RemovalLimitExceeded" + Suffix, AllErrorIds(refused));
        var result = ResultOf(refused);
        Assert.Equal(("Failed", "RemovalLimitExceeded"), ((string)Prop(result, "Status")!, (string?)Prop(result, "ErrorId")));
        Assert.Contains("-Force", (string)Prop(result, "ErrorMessage")!);
        Assert.Equal(0, Emulator.Stats().Count(DeleteRoute));
        Assert.Equal(50, OnList("VIP").Count);
        Assert.Equal(("Failed", "RemovalLimitExceeded"), ((string)Prop(History()[0], "Status")!, (string?)Prop(History()[0], "ErrorId")));

        // -Force takes them off the list (not out of the account).
        var forced = ResultOf(RunClean(Rows(21, 50) + "$rows | Start-AutopilotExport -Name Nightly -SyncMode Mirror -Force"));
        Assert.Equal((30L, 0L, 30L, 20L), Counts(forced));
        Assert.Equal(Enumerable.Range(21, 30).Select(i => $"user{i}@example.com").ToHashSet(), OnList("VIP"));
        Assert.Equal(50, Emulator.Contacts().Count);
        Assert.Equal(20L, (long)Prop(History()[0], "Removed")!);
        Assert.Equal("Mirror", (string)Prop(History()[0], "SyncMode")!);
    }

    [Fact]
    public void Mirror_from_the_saved_export_removes_within_the_limit_and_Upsert_overrides_it()
    {
        RunClean("Set-AutopilotExport -Name Nightly -SyncMode Mirror -MaxRemovalPercent 50");
        RunClean(Rows(1, 10) + "$null = $rows | Start-AutopilotExport -Name Nightly");
        Assert.Equal((7L, 0L, 7L, 0L), Counts(ResultOf(RunClean(Rows(1, 7) + "$rows | Start-AutopilotExport -Name Nightly -SyncMode Upsert"))));
        Assert.Equal(10, OnList("VIP").Count);
        Assert.Equal((7L, 0L, 7L, 3L), Counts(ResultOf(RunClean(Rows(1, 7) + "$rows | Start-AutopilotExport -Name Nightly"))));
        Assert.Equal(7, OnList("VIP").Count);
    }

    [Fact]
    public void Remove_AutopilotExport_takes_the_history_and_sync_record_along_and_WhatIf_keeps_them()
    {
        RunClean(Rows(1, 3) + "$null = $rows | Start-AutopilotExport -Name Nightly");
        Assert.Contains(StateFiles(), f => f.EndsWith(".sync", StringComparison.Ordinal));
        Assert.Single(History());

        var whatIf = RunClean("Remove-AutopilotExport -Name Nightly -WhatIf");
        Assert.Contains(whatIf.WhatIf, w => w.Contains("run history and its sync record"));
        Assert.Contains(StateFiles(), f => f.EndsWith(".sync", StringComparison.Ordinal));
        Assert.Single(History());

        var removed = RunClean("Remove-AutopilotExport -Name Nightly -Force -Verbose");
        Assert.Contains(removed.Verbose, v => v.Contains("its run history") && v.Contains("its sync record"));
        Assert.DoesNotContain(StateFiles(), f => f.EndsWith(".sync", StringComparison.Ordinal) || f.EndsWith(".journal", StringComparison.Ordinal));
        Assert.DoesNotContain(StateFiles(), f => f.Contains(Path.DirectorySeparatorChar + "history" + Path.DirectorySeparatorChar));

        // A new export of the same name starts from nothing: everything is sent again.
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP");
        Assert.Equal((3L, 3L, 0L, 0L), Counts(ResultOf(RunClean(Rows(1, 3) + "$rows | Start-AutopilotExport -Name Nightly"))));
    }
}
