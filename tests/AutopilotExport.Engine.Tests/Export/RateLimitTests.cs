using System.Collections;
using AutopilotEmulator;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Export;

public class RateLimitTests
{
    private const string Key = "rate-test-key";

    private static async Task<(ExportSummary Summary, long EmulatorThrottled, int Stored)> Run(double clientRps, bool retryAfter, int rows)
    {
        await using var emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 5, SendRetryAfter = retryAfter });
        using var runner = new ExportRunner(new AutopilotApiClient(emu.BaseUri, Key), new ExportRunOptions
        {
            Segments = new[] { "Paced" },
            FieldMap = FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail" }),
            RequestsPerSecond = clientRps,
            RetryBaseDelay = TimeSpan.FromMilliseconds(200),
            MaxRetries = 20,
        });
        for (int i = 1; i <= rows; i++) runner.Submit(new TestRecord(("Mail", $"r{i}@example.net")), null, null);
        var summary = runner.Complete(null);
        var requests = await EmulatorView.RequestsAsync(emu);
        return (summary, requests.Where(kv => kv.Key.EndsWith(" 429")).Sum(kv => kv.Value), (await EmulatorView.ContactsAsync(emu)).Count);
    }

    [Fact]
    public async Task Paced_client_lands_everything_and_counts_every_429_it_met()
    {
        var (summary, throttled, stored) = await Run(clientRps: 5, retryAfter: true, rows: 1200);
        Assert.Equal(ExportStatus.Succeeded, summary.Status);
        Assert.Equal(1200, summary.Counters.Exported);
        Assert.Equal(1200, stored);
        Assert.Equal(throttled, summary.Counters.Throttled);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Unpaced_client_recovers_from_429_with_and_without_Retry_After(bool retryAfter)
    {
        var (summary, throttled, stored) = await Run(clientRps: 0, retryAfter: retryAfter, rows: 1500);
        Assert.Equal(ExportStatus.Succeeded, summary.Status);
        Assert.Equal(1500, stored);
        Assert.True(throttled > 0, "a burst of 4 senders must exceed 5 requests/s");
        Assert.Equal(throttled, summary.Counters.Throttled);
        Assert.Equal(summary.Counters.Retries, summary.Counters.Requests - summary.Counters.Batches - 2 /* GET /lists + POST /list */);
    }
}
