using System.Diagnostics;
using System.Text.Json;
using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

public sealed class RunHistoryStoreTests : IDisposable
{
    private readonly StateTestFolder _folder = new();
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 2, 0, 0, TimeSpan.Zero);

    public void Dispose() => _folder.Dispose();

    private static RunStart Start(string export, string? report = null, int? keep = null) => new()
    {
        Export = export, Connection = "Prod", Segments = new[] { "VIP", "News" }, SyncMode = "Mirror", ReportPath = report, KeepRuns = keep,
    };

    private static RunOutcome Outcome(RunStatus status) => new()
    {
        Status = status,
        Counts = new RunCounts { Received = 10, Exported = 6, Unchanged = 2, Removed = 3, Invalid = 1, Duplicate = 1, Failed = 0, Batches = 1, Retries = 4, Throttled = 5 },
        ErrorId = status == RunStatus.Failed ? "Unauthorized" : null,
    };

    [Fact]
    public void A_run_is_Running_from_Begin_and_completed_with_every_field()
    {
        var store = new RunHistoryStore(_folder.Home);
        using var run = store.Begin(Start("Nightly", "/r/a.jsonl"), T0);

        var running = Assert.Single(new RunHistoryStore(_folder.Home).List("NIGHTLY"));
        Assert.Equal(RunStatus.Running, running.Status);
        Assert.Equal(run.Record.Id, running.Id);
        Assert.Equal(Environment.ProcessId, running.ProcessId);
        Assert.NotNull(running.ProcessStartedAt);
        Assert.Null(running.EndedAt);

        var done = run.Complete(Outcome(RunStatus.CompletedWithErrors), T0.AddMinutes(3));
        var r = Assert.Single(new RunHistoryStore(_folder.Home).List());
        Assert.Equal(done.Id, r.Id);
        Assert.Equal("Nightly", r.Export);
        Assert.Equal("Prod", r.Connection);
        Assert.Equal(RunStatus.CompletedWithErrors, r.Status);
        Assert.Equal(T0, r.StartedAt);
        Assert.Equal(T0.AddMinutes(3), r.EndedAt);
        Assert.Equal(new[] { "VIP", "News" }, r.Segments);
        Assert.Equal("Mirror", r.SyncMode);
        Assert.Equal("/r/a.jsonl", r.ReportPath);
        Assert.Equal(6, r.Counts.Exported);
        Assert.Equal(2, r.Counts.Unchanged);
        Assert.Equal(3, r.Counts.Removed);
        Assert.Equal(4, r.Counts.Retries);
        Assert.Equal(5, r.Counts.Throttled);
        Assert.Matches("^[0-9]{14}[0-9a-f]{8}$", r.Id);
        // Completed: the liveness lock file is gone.
        Assert.DoesNotContain(_folder.AllFiles(), f => f.EndsWith(".running", StringComparison.Ordinal));
    }

    [Fact]
    public void List_is_newest_first_across_exports_and_Last_takes_the_newest()
    {
        var store = new RunHistoryStore(_folder.Home);
        var ids = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            using var run = store.Begin(Start(i % 2 == 0 ? "A" : "B"), T0.AddHours(i));
            run.Complete(Outcome(RunStatus.Succeeded), T0.AddHours(i).AddMinutes(1));
            ids.Add(run.Record.Id);
        }
        Assert.Equal(new[] { ids[3], ids[2], ids[1], ids[0] }, store.List().Select(r => r.Id));
        Assert.Equal(new[] { ids[3], ids[2] }, store.List(last: 2).Select(r => r.Id));
        Assert.Equal(new[] { ids[2], ids[0] }, store.List("a").Select(r => r.Id));
        Assert.Equal(new[] { ids[3] }, store.List("B", 1).Select(r => r.Id));
        Assert.Empty(store.List("never-ran"));
    }

    [Fact]
    public void History_is_bounded_and_pruned_runs_take_their_own_reports_but_never_a_report_elsewhere()
    {
        var store = new RunHistoryStore(_folder.Home, defaultKeepRuns: 3);
        var reports = _folder.Home.EnsureFolder(_folder.Home.ReportsFolder);
        var elsewhere = Path.Combine(_folder.Root, "mine.jsonl");
        File.WriteAllText(elsewhere, "keep me");
        var paths = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            var report = i == 1 ? elsewhere : Path.Combine(reports, $"Nightly-{i}.jsonl");
            if (i != 1) File.WriteAllText(report, "{}");
            paths.Add(report);
            using var run = store.Begin(Start("Nightly", report), T0.AddDays(i));
            run.Complete(Outcome(RunStatus.Succeeded), T0.AddDays(i).AddMinutes(1));
        }
        var kept = store.List("Nightly");
        Assert.Equal(3, kept.Count);
        Assert.Equal(new[] { paths[4], paths[3], paths[2] }, kept.Select(r => r.ReportPath));
        Assert.False(File.Exists(paths[0]));
        Assert.True(File.Exists(elsewhere), "a report outside the reports folder is the user's and stays");
        Assert.True(File.Exists(paths[2]) && File.Exists(paths[3]) && File.Exists(paths[4]));

        // A per-export limit (Set-AutopilotExport -KeepRuns) overrides the default.
        using (var run = store.Begin(Start("Nightly", keep: 1), T0.AddDays(9))) run.Complete(Outcome(RunStatus.Succeeded), T0.AddDays(9));
        Assert.Single(store.List("Nightly"));
        Assert.False(File.Exists(paths[4]));
    }

    [Fact]
    public void A_run_whose_lock_is_released_without_completion_reads_as_Interrupted_and_that_is_stored()
    {
        var store = new RunHistoryStore(_folder.Home);
        var run = store.Begin(Start("Nightly"), T0);
        Assert.Equal(RunStatus.Running, store.List().Single().Status);
        run.Dispose(); // what the operating system does to the lock of a killed process

        var r = store.List().Single();
        Assert.Equal(RunStatus.Interrupted, r.Status);
        Assert.Contains($"id {Environment.ProcessId}", r.Message);
        Assert.Null(r.EndedAt);
        var json = File.ReadAllText(store.FileOf("Nightly"));
        Assert.Contains("\"Interrupted\"", json);
        Assert.DoesNotContain(_folder.AllFiles(), f => f.EndsWith(".running", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_lock_file_the_process_id_and_start_time_decide()
    {
        var store = new RunHistoryStore(_folder.Home);
        var alive = store.Begin(Start("Alive"), T0);
        var reused = store.Begin(Start("Reused"), T0);
        var gone = store.Begin(Start("Gone"), T0);
        foreach (var run in new[] { alive, reused, gone }) run.Dispose();
        foreach (var f in _folder.AllFiles().Where(f => f.EndsWith(".running", StringComparison.Ordinal)).ToList()) File.Delete(f);

        // Our own process id with its start time: alive. With another start time: a reused id. A finished process: gone.
        Rewrite(store, "Reused", r => r.ProcessStartedAt = r.ProcessStartedAt!.Value.AddMinutes(-5));
        using (var p = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!)
        {
            p.WaitForExit();
            var deadId = p.Id;
            Rewrite(store, "Gone", r => r.ProcessId = deadId);
        }

        Assert.Equal(RunStatus.Running, store.List("Alive").Single().Status);
        Assert.Equal(RunStatus.Interrupted, store.List("Reused").Single().Status);
        Assert.Equal(RunStatus.Interrupted, store.List("Gone").Single().Status);
    }

    [Fact]
    public void A_live_run_held_by_another_handle_stays_Running()
    {
        var store = new RunHistoryStore(_folder.Home);
        using var run = store.Begin(Start("Nightly"), T0);
        for (int i = 0; i < 3; i++) Assert.Equal(RunStatus.Running, new RunHistoryStore(_folder.Home).List("Nightly").Single().Status);
        run.Complete(Outcome(RunStatus.Cancelled), T0.AddSeconds(5));
        Assert.Equal(RunStatus.Cancelled, store.List("Nightly").Single().Status);
    }

    [Fact]
    public void Files_are_owner_only_and_a_corrupt_or_planted_history_is_refused_by_name()
    {
        var store = new RunHistoryStore(_folder.Home);
        using (var run = store.Begin(Start("Nightly"), T0)) run.Complete(Outcome(RunStatus.Succeeded), T0);
        var file = store.FileOf("Nightly");
        if (StateTestFolder.IsUnix)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, StateTestFolder.ModeOf(store.HistoryFolder));
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);
            Assert.Equal(StateErrorIds.UnsafeStatePermissions, Assert.Throws<StateException>(() => store.List("Nightly")).ErrorId);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var json = File.ReadAllText(file);
        File.WriteAllText(file, json.Replace("\"id\": \"", "\"id\": \"../../x"));
        var ex = Assert.Throws<StateException>(() => store.List());
        Assert.Equal(StateErrorIds.StateFileCorrupt, ex.ErrorId);
        Assert.Contains(file, ex.Message);
        File.WriteAllText(file, "{ not json");
        Assert.Equal(StateErrorIds.StateFileCorrupt, Assert.Throws<StateException>(() => store.List("Nightly")).ErrorId);
    }

    [Fact]
    public void Remove_forgets_the_history_and_its_reports()
    {
        var store = new RunHistoryStore(_folder.Home);
        var report = Path.Combine(_folder.Home.EnsureFolder(_folder.Home.ReportsFolder), "Nightly-1.jsonl");
        File.WriteAllText(report, "{}");
        using (var run = store.Begin(Start("Nightly", report), T0)) run.Complete(Outcome(RunStatus.Succeeded), T0);
        Assert.True(store.Remove("nightly"));
        Assert.Empty(store.List());
        Assert.False(File.Exists(report));
        Assert.False(store.Remove("nightly"));
    }

    private static void Rewrite(RunHistoryStore store, string export, Action<RunRecord> change)
    {
        var file = store.FileOf(export);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var runs = doc.RootElement.GetProperty("runs");
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
        var record = runs[0].Deserialize<RunRecord>(options)!;
        change(record);
        var text = JsonSerializer.Serialize(new { version = 1, export, runs = new[] { record } }, options);
        File.WriteAllText(file, text);
    }
}
