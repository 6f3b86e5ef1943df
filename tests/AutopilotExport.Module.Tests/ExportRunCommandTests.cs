using System.Management.Automation;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>
/// Get-AutopilotExportRun over a history written through the engine's run history store (the store Start-AutopilotExport
/// will write to), reached inside the session from the module's own loaded engine assembly.
/// </summary>
public sealed class ExportRunCommandTests : ModuleTestBase
{
    public ExportRunCommandTests(EmulatorFixture emulator) : base(emulator) { }

    private const string Engine = @"
        $null = Get-AutopilotExportRun
        $engine = @([AppDomain]::CurrentDomain.GetAssemblies().Where({ $_.GetName().Name -eq 'AutopilotExport.Engine' }))[0]
        function T($name) { $engine.GetType('AutopilotExport.Engine.State.' + $name, $true) }
        $history = (T RunHistoryStore)::new((T StateHome)::new($env:AUTOPILOTEXPORT_HOME, $env:AUTOPILOTEXPORT_KEY_HOME), 50)
        function Begin($export, $at, $segments = @('VIP')) {
            $start = (T RunStart)::new(); $start.Export = $export; $start.Connection = 'Emu'; $start.Segments = [string[]]$segments
            $history.Begin($start, [DateTimeOffset]::Parse($at))
        }
        function Complete($run, $status, $exported, $unchanged, $failed, $at) {
            $outcome = (T RunOutcome)::new(); $outcome.Status = $status
            $outcome.Counts.Received = $exported + $unchanged + $failed; $outcome.Counts.Exported = $exported
            $outcome.Counts.Unchanged = $unchanged; $outcome.Counts.Failed = $failed; $outcome.Counts.Removed = 3
            $null = $run.Complete($outcome, [DateTimeOffset]::Parse($at)); $run.Dispose()
        }
    ";

    private void WriteHistory()
    {
        CreateConnection("Emu");
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP; $null = New-AutopilotExport -Name Weekly -Connection Emu -Segment VIP");
        RunClean(Engine + @"
            Complete (Begin Nightly '2026-03-01T02:00:00Z') Succeeded 100 0 0 '2026-03-01T02:05:00Z'
            Complete (Begin Weekly '2026-03-01T03:00:00Z') CompletedWithErrors 90 0 10 '2026-03-01T03:01:00Z'
            Complete (Begin Nightly '2026-03-02T02:00:00Z') Failed 0 0 0 '2026-03-02T02:00:10Z'
            $killed = Begin Nightly '2026-03-03T02:00:00Z'
            $killed.Dispose()   # the process died: its lock is gone, the record still says Running
            $script:live = Begin Weekly '2026-03-04T02:00:00Z'
        ");
    }

    [Fact]
    public void Runs_come_newest_first_with_their_counts_and_a_dead_run_reads_Interrupted()
    {
        WriteHistory();
        var runs = RunClean("Get-AutopilotExportRun").Output;
        Assert.Equal(new[] { "Weekly", "Nightly", "Nightly", "Weekly", "Nightly" }, runs.Select(r => (string)r.Properties["Export"].Value));
        Assert.Equal(new[] { "Running", "Interrupted", "Failed", "CompletedWithErrors", "Succeeded" }, runs.Select(r => (string)r.Properties["Status"].Value));
        var weekly = runs[3];
        Assert.Equal("AutopilotExport.AutopilotExportRun", weekly.BaseObject.GetType().FullName);
        Assert.Equal(90L, weekly.Properties["Exported"].Value);
        Assert.Equal(10L, weekly.Properties["Failed"].Value);
        Assert.Equal(3L, weekly.Properties["Removed"].Value);
        Assert.Equal(100L, weekly.Properties["Received"].Value);
        Assert.Equal(TimeSpan.FromMinutes(1), weekly.Properties["Duration"].Value);
        Assert.Equal(new[] { "VIP" }, (string[])weekly.Properties["Segments"].Value);
        Assert.Null(runs[1].Properties["EndTime"].Value);
        Assert.Contains("ended before the run completed", (string)runs[1].Properties["Message"].Value);

        // Stored as Interrupted: a reader with a fresh session sees it too.
        Assert.Contains("\"Interrupted\"", File.ReadAllText(Directory.GetFiles(Path.Combine(StateHome, "history"), "nightly-*.json").Single()));
    }

    [Fact]
    public void Name_and_Last_select_and_wildcards_and_errors_behave_like_the_other_Get_cmdlets()
    {
        WriteHistory();
        Assert.Equal(new[] { "Interrupted", "Failed" },
            RunClean("Get-AutopilotExportRun -Name nightly -Last 2").Output.Select(r => (string)r.Properties["Status"].Value));
        Assert.Equal(2, RunClean("Get-AutopilotExportRun -Last 2").Output.Count);
        Assert.Equal(5, RunClean("Get-AutopilotExportRun -Name *ly").Output.Count);
        Assert.Equal(2, RunClean("Get-AutopilotExport -Name Weekly | Get-AutopilotExportRun").Output.Count);

        RunClean("$null = New-AutopilotExport -Name NeverRan -Connection Emu -Segment VIP");
        Assert.Empty(RunClean("Get-AutopilotExportRun -Name NeverRan").Output);
        var missing = Run("Get-AutopilotExportRun -Name Nope");
        Assert.Empty(missing.Output);
        Assert.StartsWith("ExportNotFound,", Assert.Single(missing.Errors).FullyQualifiedErrorId);
    }
}
