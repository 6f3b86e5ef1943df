using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using AutopilotEmulator;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.Tests.Export;

namespace AutopilotExport.Engine.Tests.Send;

/// <summary>
/// Request bodies come from a shared pool and go back once their call is over. Under timeouts, retries, broken answers
/// and split batches, every body is handed back exactly once, never while a call can still send it, and what reaches
/// the API is what was built.
/// </summary>
public class PayloadLifetimeTests
{
    private const string Key = "payload-test-key";

    /// <summary>Watches the bodies: each one built is outstanding until returned; a body sent must be byte for byte
    /// what it was when built (a body handed back early and rebuilt for another batch would not be).</summary>
    private sealed class Watching : ForwardingDestination
    {
        private readonly ConcurrentDictionary<byte[], byte[]> _outstanding = new(ReferenceComparer.Instance);
        public readonly ConcurrentQueue<string> Violations = new();
        public int Built, Returned, Sent;

        public Watching(AutopilotApiClient client) : base(client) { }

        public override ArraySegment<byte> BuildPayload(IReadOnlyList<OutgoingContact> contacts)
        {
            var payload = base.BuildPayload(contacts);
            Interlocked.Increment(ref Built);
            if (!_outstanding.TryAdd(payload.Array!, payload.AsSpan().ToArray())) Violations.Enqueue("a body was built into an array still in use");
            return payload;
        }

        public override Task<BulkUpsertResult> SendBatchAsync(ArraySegment<byte> payload, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Sent);
            if (!_outstanding.TryGetValue(payload.Array!, out var built)) Violations.Enqueue("a body was sent after it was handed back");
            else if (!payload.AsSpan().SequenceEqual(built)) Violations.Enqueue("a body changed between building and sending: " + Encoding.UTF8.GetString(payload));
            return base.SendBatchAsync(payload, cancellationToken);
        }

        public override void ReturnPayload(ArraySegment<byte> payload)
        {
            Interlocked.Increment(ref Returned);
            if (!_outstanding.TryRemove(payload.Array!, out _)) Violations.Enqueue("a body was handed back twice, or was never built");
            base.ReturnPayload(payload);
        }

        public int Outstanding => _outstanding.Count;
    }

    private sealed class ReferenceComparer : IEqualityComparer<byte[]>
    {
        public static readonly ReferenceComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y);
        public int GetHashCode(byte[] obj) => RuntimeHelpers.GetHashCode(obj);
    }

    [Theory]
    [InlineData(BulkInvalidMode.Reject)]
    [InlineData(BulkInvalidMode.Skip)]
    public async Task Every_body_goes_back_to_the_pool_once_and_only_after_its_call(BulkInvalidMode mode)
    {
        await using var emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 0, Seed = 7, BulkInvalid = mode });
        // Spikes longer than the attempt's timeout: calls are cancelled mid-flight and sent again with the same body.
        emu.SetFaults(new FaultProfile
        {
            Error500Rate = 0.05, ResetRate = 0.05, AcceptThenFailRate = 0.05, MalformedRate = 0.05,
            LatencySpikeRate = 0.1, LatencySpikeMs = 1500, Paths = new[] { "/v1/contacts" },
        });
        var destination = new Watching(new AutopilotApiClient(emu.BaseUri, Key));
        var summary = RunExport(destination, rows: 1200, bad: i => i % 97 == 0);
        emu.SetFaults(null);

        Assert.Empty(destination.Violations);
        Assert.Equal(0, destination.Outstanding);
        Assert.Equal(destination.Built, destination.Returned);
        Assert.True(destination.Sent > destination.Built, "timeouts and faults should have sent some bodies again");
        var bad = Enumerable.Range(1, 1200).Count(i => i % 97 == 0);
        Assert.Equal((1200L, 1200L - bad, (long)bad), (summary.Counters.Received, summary.Counters.Exported, summary.Counters.Failed));
        Assert.True(summary.Counters.Retries > 0);
        // What was stored is each good row's own contact: no body carried another batch's bytes.
        var stored = await EmulatorView.ContactsAsync(emu);
        Assert.Equal(1200 - bad, stored.Count);
        foreach (var c in stored)
        {
            int i = int.Parse(c.Email.AsSpan(1, c.Email.IndexOf('@') - 1), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"First{i}", c.Fields["FirstName"].GetString());
        }
    }

    [Fact]
    public async Task A_cancelled_run_hands_back_the_bodies_of_calls_it_cut_short()
    {
        await using var emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 0, Seed = 8 });
        emu.SetFaults(new FaultProfile { LatencySpikeRate = 1.0, LatencySpikeMs = 10_000, Paths = new[] { "/v1/contacts" } });
        var destination = new Watching(new AutopilotApiClient(emu.BaseUri, Key));
        using var runner = new ExportRunner(destination, Options(TimeSpan.FromSeconds(60)));
        for (int i = 1; i <= 400; i++) runner.Submit(Row(i, $"p{i}@example.org"), "row" + i, null);
        // Wait until every sender has a call out, then cancel: the calls end, and their bodies go back.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref destination.Sent) < 4 && DateTime.UtcNow < deadline) await Task.Delay(20);
        runner.Cancel();
        var summary = runner.Complete(null);
        emu.SetFaults(null);

        Assert.Equal(ExportStatus.Cancelled, summary.Status);
        Assert.Equal(4, destination.Sent);
        Assert.Empty(destination.Violations);
        Assert.Equal(0, destination.Outstanding);
        Assert.Equal(destination.Built, destination.Returned);
    }

    private static ExportRunOptions Options(TimeSpan timeout) => new()
    {
        ExportName = "bodies",
        Segments = new[] { "Pool" },
        FieldMap = FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail", ["FirstName"] = "First" }),
        RequestsPerSecond = 0,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        MaxRetries = 12,
        RequestTimeout = timeout,
        Concurrency = 4,
    };

    private static TestRecord Row(int i, string mail) => new(("Mail", mail), ("First", $"First{i}"));

    private static ExportSummary RunExport(IContactDestination destination, int rows, Func<int, bool> bad)
    {
        using var runner = new ExportRunner(destination, Options(TimeSpan.FromMilliseconds(500)));
        for (int i = 1; i <= rows; i++) runner.Submit(Row(i, bad(i) ? $"p{i}@example.invalid" : $"p{i}@example.org"), "row" + i, null);
        return runner.Complete(null);
    }
}
