using System.Diagnostics;
using System.Management.Automation;
using System.Text.Json;
using AutopilotEmulator;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;
using static AutopilotExport.Module.Tests.Infrastructure.ExportResults;

namespace AutopilotExport.Module.Tests;

/// <summary>
/// Runs that end early: Ctrl+C (PowerShell.Stop) and a key revoked in the middle of a run. The counters must stay
/// true, nothing may keep sending afterwards, and the state folder and the runspace must stay usable.
/// </summary>
public sealed class InterruptionTests : ModuleTestBase
{
    public InterruptionTests(EmulatorFixture emulator) : base(emulator)
    {
        CreateConnection("Emu");
    }

    /// <summary>An input row whose Email getter records that the cmdlet read it (the cmdlet maps each row as it arrives).</summary>
    public sealed class TrackedRow
    {
        private readonly string _email;
        private int _read;

        public TrackedRow(int number, string email) { Number = number; _email = email; }

        public int Number { get; }
        public bool WasRead => Volatile.Read(ref _read) != 0;

        public string Email
        {
            get
            {
                Interlocked.Exchange(ref _read, 1);
                return _email;
            }
        }

        public string FirstName => "Row" + Number;
    }

    [Fact]
    public void Stopping_the_pipeline_leaves_a_Cancelled_result_with_true_counts_and_nothing_running()
    {
        // Every 40th row is invalid and every 75th repeats row 1's address: the counters must add up across kinds.
        static bool Invalid(int i) => i % 40 == 0;
        static bool Duplicate(int i) => !Invalid(i) && i % 75 == 0;
        var rows = Enumerable.Range(1, 3000)
            .Select(i => new TrackedRow(i, Invalid(i) ? $"broken{i}" : Duplicate(i) ? "STOP1@example.com" : $"stop{i}@example.com"))
            .ToArray();
        var report = Path.Combine(Path.GetDirectoryName(StateHome)!, "reports", "stopped.jsonl");
        Session.SetVariable("Rows", rows);
        Session.SetVariable("ReportFile", report);
        RunClean("$null = New-AutopilotExport -Name StopMe -Connection Emu -Segment Stop -FieldMap @{ Email = 'Email'; FirstName = 'FirstName' }");
        // Slow bulk calls keep batches in flight and the input waiting on the senders when the stop comes.
        Emulator.SetFaults(new FaultProfile { LatencyMs = 150, Paths = new[] { "/v1/contacts" } });

        using (var ps = PowerShell.Create())
        {
            ps.Runspace = Session.Runspace;
            ps.AddScript("$Rows | Start-AutopilotExport -Name StopMe -RequestsPerSecond 0 -Concurrency 2 -ReportPath $ReportFile");
            var async = ps.BeginInvoke();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Emulator.Stats().Count("POST /v1/contacts", 200) < 3 && DateTime.UtcNow < deadline && !async.IsCompleted) Thread.Sleep(20);
            Assert.False(async.IsCompleted, "the run ended before it could be stopped");
            ps.Stop();
            try { ps.EndInvoke(async); } catch (PipelineStoppedException) { }
        }

        // No sender is left running: once Stop has returned the emulator hears nothing more.
        var afterStop = Emulator.Stats().TotalRequests;
        Thread.Sleep(1500);
        Assert.Equal(afterStop, Emulator.Stats().TotalRequests);

        var last = Session.Run("$global:AutopilotLastExportResult").Output.Single();
        Assert.Equal("Cancelled", Prop<string>(last, "Status"));
        var c = Counts(last);

        // Received is what the cmdlet read: exactly the rows whose Email it looked at, which are a prefix of the input.
        var read = rows.Count(r => r.WasRead);
        Assert.Equal((long)read, c.Received);
        Assert.All(rows.Take(read), r => Assert.True(r.WasRead));
        Assert.True(read < rows.Length, "the stop came after all input was read");
        Assert.Equal(c.Received, c.Exported + c.Invalid + c.Duplicate + c.Failed);
        Assert.Equal(rows.Take(read).LongCount(r => Invalid(r.Number)), c.Invalid);
        Assert.Equal(rows.Take(read).LongCount(r => Duplicate(r.Number)), c.Duplicate);
        Assert.True(c.Exported >= 100, $"{c.Exported} exported: at least the confirmed batches");
        Assert.True(c.Failed > 0, "rows read but not sent count as failed");

        // The row report is valid JSON lines: one line per row not exported, then a summary with the same counts.
        var lines = File.ReadAllLines(report);
        var docs = lines.Select(l => JsonDocument.Parse(l)).ToList();
        var summary = docs[^1].RootElement.GetProperty("summary");
        Assert.Equal(("Cancelled", "StopMe", false), (summary.GetProperty("status").GetString(), summary.GetProperty("export").GetString(), summary.GetProperty("whatIf").GetBoolean()));
        Assert.Equal(c, (summary.GetProperty("received").GetInt64(), summary.GetProperty("exported").GetInt64(), summary.GetProperty("invalid").GetInt64(),
            summary.GetProperty("duplicate").GetInt64(), summary.GetProperty("failed").GetInt64()));
        var reported = docs.Take(docs.Count - 1).Select(d => d.RootElement)
            .ToDictionary(e => (int)e.GetProperty("row").GetInt64(), e => (Id: e.GetProperty("errorId").GetString()!, Email: e.GetProperty("email").GetString()));
        Assert.Equal(c.Received - c.Exported, reported.Count);
        Assert.All(reported.Keys, n => Assert.InRange(n, 1, read));
        foreach (var (n, entry) in reported)
            Assert.Equal(Invalid(n) ? "InvalidEmail" : Duplicate(n) ? "DuplicateEmail" : "SendFailed", entry.Id);

        // Every exported row is in the emulator; anything else stored is a row reported as not confirmed (its batch was
        // cut off mid-call, so it may have landed without an answer).
        var exportedEmails = rows.Take(read).Where(r => !reported.ContainsKey(r.Number)).Select(r => r.Email).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(c.Exported, exportedEmails.Count);
        var stored = Emulator.Contacts().Select(x => x.Email).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Subset(stored, exportedEmails);
        var unconfirmed = reported.Where(kv => kv.Value.Id == "SendFailed").Select(kv => kv.Value.Email!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Superset(stored, exportedEmails.Union(unconfirmed).ToHashSet(StringComparer.OrdinalIgnoreCase));

        // The state files still parse, the saved export records the cancelled run, and the runspace exports again.
        foreach (var file in StateFiles().Where(f => f.EndsWith(".json", StringComparison.Ordinal)))
            using (JsonDocument.Parse(File.ReadAllBytes(file))) { }
        Assert.Equal("Cancelled", Prop<string>(RunClean("Get-AutopilotExport StopMe").Output.Single(), "LastRunStatus"));
        Emulator.SetFaults(null);
        var again = RunClean("1..5 | ForEach-Object { [pscustomobject]@{ Email = \"again$_@example.com\"; FirstName = 'Again' } } | Start-AutopilotExport -Name StopMe -RequestsPerSecond 0");
        var result = again.Output.Single();
        Assert.Equal("Succeeded", Prop<string>(result, "Status"));
        Assert.Equal((5L, 5L, 0L, 0L, 0L), Counts(result));
        Assert.Equal("Succeeded", Prop<string>(RunClean("Get-AutopilotExport StopMe").Output.Single(), "LastRunStatus"));
        // The history has both runs, the stopped one completed as Cancelled with its true counts.
        var runs = RunClean("Get-AutopilotExportRun -Name StopMe").Output;
        Assert.Equal(new[] { "Succeeded", "Cancelled" }, runs.Select(r => Prop<string>(r, "Status")));
        Assert.Equal(c.Exported, Prop<long>(runs[1], "Exported"));
        Assert.Equal(c.Received, Prop<long>(runs[1], "Received"));
        Assert.NotNull(runs[1].Properties["EndTime"].Value);
        Assert.All(Enumerable.Range(1, 5), i => Assert.Equal("Again", Emulator.Contact($"again{i}@example.com")?["FirstName"]));
    }

    [Fact]
    public void A_key_revoked_mid_run_ends_it_quickly_with_one_Unauthorized_error_and_a_Failed_result()
    {
        const int Concurrency = 4;
        Emulator.SetFaults(new FaultProfile { LatencyMs = 100, Paths = new[] { "/v1/contacts" } });
        using var ps = PowerShell.Create();
        ps.Runspace = Session.Runspace;
        ps.AddScript($$"""
            $r = 1..5000 | ForEach-Object { [pscustomobject]@{ Email = "rv$_@example.com" } } |
                Start-AutopilotExport -Connection Emu -Segment Revoked -RequestsPerSecond 0 -Concurrency {{Concurrency}}
            $r
            $global:AutopilotLastExportResult
            """);
        var async = ps.BeginInvoke();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Emulator.Stats().Count("POST /v1/contacts", 200) < 2 && DateTime.UtcNow < deadline && !async.IsCompleted) Thread.Sleep(10);
        Assert.False(async.IsCompleted, "the run ended before the key could be revoked");

        var revokedAt = Emulator.Stats().TotalRequests;
        var clock = Stopwatch.StartNew();
        Emulator.SetApiKey("sk-ROTATED-5e4d3c2b1a");
        Assert.True(async.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20)), "the run did not end within 20 s of the revocation");
        var elapsed = clock.Elapsed;
        var output = ps.EndInvoke(async).Where(o => o != null).ToList();

        // Exactly one error, Unauthorized (non-terminating: the script's assignment gets the result), and no per-row error storm.
        var error = Assert.Single(ps.Streams.Error);
        Assert.Equal("Unauthorized" + ErrorIdSuffix, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
        Assert.DoesNotContain(TestKey, error.ToString());

        // The Failed result reached $r, was published, and is the error's target; its counts add up.
        var results = output.Where(IsResult).ToList();
        Assert.Equal(2, results.Count);
        Assert.Same(results[0].BaseObject, results[1].BaseObject);
        Assert.Same(results[0].BaseObject, error.TargetObject);
        var result = results[0];
        Assert.Equal(("Failed", "Unauthorized"), (Prop<string>(result, "Status"), Prop<string>(result, "ErrorId")));
        Assert.Contains("refused the API key (401", Prop<string>(result, "ErrorMessage"));
        var c = Counts(result);
        Assert.Equal(c.Received, c.Exported + c.Invalid + c.Duplicate + c.Failed);
        Assert.Equal((0L, 0L), (c.Invalid, c.Duplicate));
        Assert.True(c.Exported >= 100 && c.Failed > 0, $"counts {c}");
        Assert.InRange(Emulator.Contacts().LongCount(), c.Exported, c.Exported + 100 * Concurrency);

        // Few requests after the revocation: the calls already in flight, and at most one 401 per sender.
        var stats = Emulator.Stats();
        Assert.InRange(stats.Requests.Where(x => x.Status == 401).Sum(x => x.Count), 1, Concurrency);
        Assert.InRange(stats.TotalRequests - revokedAt, 1, 2 * Concurrency);
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"took {elapsed}");
    }
}
