using System.Collections;
using AutopilotEmulator;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Export;

/// <summary>Transient faults are retried until every contact lands exactly once and exactly as mapped.</summary>
public class FaultToleranceTests
{
    private const string Key = "fault-test-key";

    private sealed record Outcome(ExportSummary Summary, List<EmulatorView.StoredContact> Stored, Dictionary<string, string> Lists, List<RowProblemEvent> Problems);

    /// <summary>Exports <paramref name="rows"/> rows through the faults; rows in <paramref name="bad"/> hold an address the
    /// client accepts and the API refuses (the emulator's .invalid domain).</summary>
    private static async Task<Outcome> RunWith(FaultProfile faults, int rows, Action<EmulatorOptions>? configure = null, IReadOnlySet<int>? bad = null)
    {
        var options = new EmulatorOptions { ApiKey = Key, RateLimit = 0, Seed = 42 };
        configure?.Invoke(options);
        await using var emu = await EmulatorHost.StartAsync(options);
        emu.SetFaults(faults);
        using var runner = new ExportRunner(new AutopilotApiClient(emu.BaseUri, Key), new ExportRunOptions
        {
            ExportName = "faults",
            Segments = new[] { "Faulty" },
            FieldMap = FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail", ["FirstName"] = "First", ["Custom"] = new Hashtable { ["Score"] = "Score" } }),
            RequestsPerSecond = 0,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetries = 12,
            RequestTimeout = TimeSpan.FromSeconds(10),
        });
        var events = new List<RunEvent>();
        for (int i = 1; i <= rows; i++)
        {
            var mail = bad != null && bad.Contains(i) ? $"bad{i}@example.invalid" : $"p{i}@example.org";
            runner.Submit(new TestRecord(("Mail", mail), ("First", $"Fïrst{i}"), ("Score", i * 0.5)), "row" + i, events.Add);
        }
        var summary = runner.Complete(events.Add);
        emu.SetFaults(null);
        return new Outcome(summary, await EmulatorView.ContactsAsync(emu), await EmulatorView.ListsAsync(emu), events.OfType<RowProblemEvent>().ToList());
    }

    /// <summary>The store equals the expected mapping contact for contact (every field, custom key and list, nothing
    /// extra), the counts are exact, and only the refused rows were reported, each once, with <paramref name="badId"/>.</summary>
    private static void AssertAllLanded(Outcome o, int rows, IReadOnlySet<int>? bad = null, string? badId = null)
    {
        bad ??= new HashSet<int>();
        var summary = o.Summary;
        Assert.Equal(bad.Count > 0 ? ExportStatus.CompletedWithErrors : ExportStatus.Succeeded, summary.Status);
        var c = summary.Counters;
        Assert.Equal(((long)rows, (long)(rows - bad.Count), 0L, 0L, (long)bad.Count), (c.Received, c.Exported, c.Invalid, c.Duplicate, c.Failed));
        Assert.Equal(bad.OrderBy(i => i).Select(i => ("row" + i, badId)), o.Problems.OrderBy(p => p.RowNumber).Select(p => ((string)p.Tag!, (string?)p.ErrorId)));
        var lists = o.Lists;
        Assert.Single(lists); // no duplicate list from a retried create
        var byEmail = o.Stored.ToDictionary(x => x.Email);
        Assert.Equal(Enumerable.Range(1, rows).Where(i => !bad.Contains(i)).Select(i => $"p{i}@example.org").OrderBy(e => e, StringComparer.Ordinal),
            byEmail.Keys.OrderBy(e => e, StringComparer.Ordinal));
        foreach (var (email, stored) in byEmail)
        {
            int i = int.Parse(email.AsSpan(1, email.IndexOf('@') - 1), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(new[] { "Email", "FirstName", "unsubscribed" }, stored.Fields.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal($"Fïrst{i}", stored.Fields["FirstName"].GetString());
            Assert.False(stored.Fields["unsubscribed"].GetBoolean());
            Assert.Equal(new[] { "float--Score" }, stored.Custom.Keys);
            Assert.Equal(i * 0.5, stored.Custom["float--Score"].GetDouble());
            Assert.Equal(new[] { lists["Faulty"] }, stored.Lists);
        }
    }

    public static IEnumerable<object[]> EachFault() => new[]
    {
        new object[] { "500", new FaultProfile { Error500Rate = 0.3 } },
        new object[] { "503+Retry-After", new FaultProfile { Error503Rate = 0.2, RetryAfterSeconds = 1 } },
        new object[] { "reset", new FaultProfile { ResetRate = 0.3 } },
        new object[] { "accept-then-fail", new FaultProfile { AcceptThenFailRate = 0.3 } },
        new object[] { "malformed", new FaultProfile { MalformedRate = 0.3 } },
        new object[] { "latency", new FaultProfile { LatencySpikeRate = 0.3, LatencySpikeMs = 300 } },
    };

    [Theory]
    [MemberData(nameof(EachFault))]
    public async Task Each_fault_alone_still_lands_every_contact(string name, FaultProfile faults)
    {
        var o = await RunWith(faults, 500);
        AssertAllLanded(o, 500);
        if (name != "latency") Assert.True(o.Summary.Counters.Retries > 0, $"{name}: expected retries");
    }

    [Fact]
    public async Task Injected_503s_without_Retry_After_are_backed_off_and_retried()
    {
        // The real service is not known to send Retry-After: the client must back off on its own.
        var o = await RunWith(new FaultProfile { Error503Rate = 0.3, RetryAfterSeconds = 30 }, 200, e => e.SendRetryAfter = false);
        AssertAllLanded(o, 200);
        Assert.True(o.Summary.Counters.Retries > 0);
        Assert.True(o.Summary.Duration < TimeSpan.FromSeconds(25), "a 30 s Retry-After that was not sent must not be waited for");
    }

    public static IEnumerable<object[]> BulkModes() => new[]
    {
        new object[] { BulkInvalidMode.Skip, ErrorIds.NotInEmailContactMap },
        new object[] { BulkInvalidMode.Reject, ErrorIds.RejectedByApi },
    };

    [Theory]
    [MemberData(nameof(BulkModes))]
    public async Task Refused_addresses_under_faults_fail_alone_in_either_bulk_mode(BulkInvalidMode mode, string expectedId)
    {
        // Retries and batch splitting together: a refused row never takes good rows with it, and never lands.
        var bad = new HashSet<int> { 3, 100, 101, 250 };
        var faults = new FaultProfile { Error500Rate = 0.1, ResetRate = 0.1, AcceptThenFailRate = 0.1, MalformedRate = 0.1 };
        var o = await RunWith(faults, 300, e => e.BulkInvalid = mode, bad);
        AssertAllLanded(o, 300, bad, expectedId);
        Assert.True(o.Summary.Counters.Retries > 0);
    }

    [Theory]
    [MemberData(nameof(BulkModes))]
    public async Task All_faults_together_with_timeouts_still_land_every_contact(BulkInvalidMode mode, string expectedId)
    {
        var faults = new FaultProfile
        {
            Error500Rate = 0.05, Error503Rate = 0.02, RetryAfterSeconds = 1, ResetRate = 0.05, AcceptThenFailRate = 0.05,
            MalformedRate = 0.05, LatencySpikeRate = 0.05, LatencySpikeMs = 200,
        };
        var bad = new HashSet<int> { 7, 420 };
        var o = await RunWith(faults, 1000, e => { e.SendRetryAfter = false; e.BulkInvalid = mode; }, bad);
        AssertAllLanded(o, 1000, bad, expectedId);
        Assert.True(o.Summary.Counters.Requests > o.Summary.Counters.Batches);
    }

    [Fact]
    public async Task A_sustained_outage_opens_the_circuit_and_ends_the_run()
    {
        var options = new EmulatorOptions { ApiKey = Key, RateLimit = 0 };
        await using var emu = await EmulatorHost.StartAsync(options);
        emu.SetFaults(new FaultProfile { Error500Rate = 1.0 });
        using var runner = new ExportRunner(new AutopilotApiClient(emu.BaseUri, Key), new ExportRunOptions
        {
            Segments = new[] { "Down" }, FieldMap = FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail" }),
            RequestsPerSecond = 0, RetryBaseDelay = TimeSpan.FromMilliseconds(5), MaxRetries = 1000,
        });
        var ex = Assert.Throws<ExportAbortedException>(() =>
        {
            for (int i = 1; i <= 3000; i++) runner.Submit(new TestRecord(("Mail", $"d{i}@example.org")), null, null);
            runner.Complete(null);
        });
        Assert.Equal(ErrorIds.ServiceUnavailable, ex.ErrorId);
        Assert.Contains("kept failing", ex.Message);
        var c = ex.Summary.Counters;
        Assert.Equal(c.Received, c.Exported + c.Invalid + c.Duplicate + c.Failed);
        Assert.Equal(0, c.Exported);
        Assert.True(c.Requests < 200, $"{c.Requests} requests: the breaker should stop a retry storm");
    }
}
