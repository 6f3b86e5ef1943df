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

    private static async Task<(ExportSummary, List<EmulatorView.StoredContact>, Dictionary<string, string>)> RunWith(FaultProfile faults, int rows,
        Action<EmulatorOptions>? configure = null)
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
            runner.Submit(new TestRecord(("Mail", $"p{i}@example.org"), ("First", $"Fïrst{i}"), ("Score", i * 0.5)), null, events.Add);
        var summary = runner.Complete(events.Add);
        emu.SetFaults(null);
        return (summary, await EmulatorView.ContactsAsync(emu), await EmulatorView.ListsAsync(emu));
    }

    private static void AssertAllLanded(ExportSummary summary, List<EmulatorView.StoredContact> stored, Dictionary<string, string> lists, int rows)
    {
        Assert.Equal(ExportStatus.Succeeded, summary.Status);
        Assert.Equal((long)rows, summary.Counters.Received);
        Assert.Equal((long)rows, summary.Counters.Exported);
        Assert.Equal(0, summary.Counters.Failed);
        Assert.Single(lists); // no duplicate list from a retried create
        var byEmail = stored.ToDictionary(c => c.Email);
        Assert.Equal(rows, byEmail.Count);
        for (int i = 1; i <= rows; i++)
        {
            var c = byEmail[$"p{i}@example.org"];
            Assert.Equal($"Fïrst{i}", c.Fields["FirstName"].GetString());
            Assert.Equal(i * 0.5, c.Custom["float--Score"].GetDouble());
            Assert.Equal(new[] { lists["Faulty"] }, c.Lists);
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
        var (summary, stored, lists) = await RunWith(faults, 500);
        AssertAllLanded(summary, stored, lists, 500);
        if (name != "latency") Assert.True(summary.Counters.Retries > 0, $"{name}: expected retries");
    }

    [Fact]
    public async Task All_faults_together_with_timeouts_still_land_every_contact()
    {
        var faults = new FaultProfile
        {
            Error500Rate = 0.05, Error503Rate = 0.02, RetryAfterSeconds = 1, ResetRate = 0.05, AcceptThenFailRate = 0.05,
            MalformedRate = 0.05, LatencySpikeRate = 0.05, LatencySpikeMs = 200,
        };
        var (summary, stored, lists) = await RunWith(faults, 1000, o => o.SendRetryAfter = false);
        AssertAllLanded(summary, stored, lists, 1000);
        Assert.True(summary.Counters.Requests > summary.Counters.Batches);
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
