using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json;
using AutopilotEmulator;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;
using AutopilotExport.Engine.Tests.Send;
using AutopilotExport.Engine.Tests.State;

namespace AutopilotExport.Engine.Tests.Export;

/// <summary>
/// A saved export's runs against the emulator with its sync record: incremental (only new or changed contacts are
/// sent), -Full, a changed field map or account, resume after a run killed between batches, and Mirror with its
/// guard rail. Every assertion looks at what reached the emulator, not only at the counts.
/// </summary>
public sealed class IncrementalSyncTests : IAsyncLifetime
{
    private const string Key = "sync-test-key";
    private const string Export = "nightly";
    private const string DeleteRoute = "DELETE /v1/list/{listId}/contact/{idOrEmail}";
    private EmulatorHost _emu = null!;
    private readonly StateTestFolder _folder = new();

    public async Task InitializeAsync() => _emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 0, Seed = 11 });

    public async Task DisposeAsync()
    {
        await _emu.DisposeAsync();
        _folder.Dispose();
    }

    private static readonly FieldMap Map = FieldMap.FromDictionary(new Hashtable
    {
        ["Email"] = "Mail", ["FirstName"] = "First",
        ["Custom"] = new Hashtable { ["Tier"] = "Tier" },
    });

    private static SyncFingerprint Fingerprint(string map = "map-1", string account = "account-1") => new(account, map);

    private static TestRecord Row(int i, string tier = "gold") => new(("Mail", $"user{i}@example.com"), ("First", $"First{i}"), ("Tier", tier));

    /// <summary>Sends through the real destination and keeps every email that went out in a bulk call.</summary>
    private sealed class Recording : ForwardingDestination
    {
        public readonly ConcurrentQueue<string> Sent = new();
        public readonly ConcurrentQueue<string> Payloads = new();
        /// <summary>After this many bulk calls went through, the next ones wait until cancelled (a frozen, then killed, process).</summary>
        public int FreezeAfter = int.MaxValue;
        private int _calls;

        public Recording(AutopilotApiClient client) : base(client) { }

        public override async Task<BulkUpsertResult> SendBatchAsync(ArraySegment<byte> payload, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) > FreezeAfter) await Task.Delay(Timeout.Infinite, cancellationToken);
            var json = System.Text.Encoding.UTF8.GetString(payload.Array!, payload.Offset, payload.Count);
            Payloads.Enqueue(json);
            using (var doc = JsonDocument.Parse(json))
                foreach (var c in doc.RootElement.GetProperty("contacts").EnumerateArray()) Sent.Enqueue(c.GetProperty("Email").GetString()!);
            return await Inner.SendBatchAsync(payload, cancellationToken);
        }
    }

    private sealed record Run(ExportSummary Summary, List<RunEvent> Events, Recording Destination);

    private ExportRunOptions Options(SyncRecord? sync, Action<ExportRunOptions>? configure)
    {
        var o = new ExportRunOptions
        {
            ExportName = Export,
            Segments = new[] { "VIP" },
            FieldMap = Map,
            RequestsPerSecond = 0,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetries = 12,
            Sync = sync,
        };
        configure?.Invoke(o);
        return o;
    }

    /// <summary>One run of the saved export: opens its sync record, runs, compacts (inside Complete) and closes it.</summary>
    private Run RunExport(IEnumerable<TestRecord> rows, Action<ExportRunOptions>? configure = null, SyncFingerprint? fingerprint = null)
    {
        using var sync = new SyncRecordStore(_folder.Home).Open(Export, fingerprint ?? Fingerprint());
        var destination = new Recording(new AutopilotApiClient(_emu.BaseUri, Key));
        using var runner = new ExportRunner(destination, Options(sync, configure));
        var events = new List<RunEvent>();
        foreach (var row in rows) runner.Submit(row, row, events.Add);
        return new Run(runner.Complete(events.Add), events, destination);
    }

    private static ulong HashOf(TestRecord row)
    {
        var profile = new ProfileMapper(Map, null).Map(row).Profile!;
        return SyncRecord.HashPayload(ContactJson.Encode(profile));
    }

    private string ListId(string title) => _emu.Lists().Single(l => l.Title == title).ListId;

    private HashSet<string> OnList(string title)
    {
        var ids = _emu.Lists().Single(l => l.Title == title).ContactIds.ToHashSet();
        return _emu.Contacts().Where(c => ids.Contains(c.ContactId)).Select(c => c.Email).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private static IEnumerable<string> Emails(IEnumerable<int> numbers) => numbers.Select(i => $"user{i}@example.com");

    [Fact]
    public void A_rerun_sends_only_new_and_changed_contacts_and_counts_the_rest_Unchanged()
    {
        var first = RunExport(Enumerable.Range(1, 250).Select(i => Row(i)));
        Assert.Equal((250L, 250L, 0L), (first.Summary.Counters.Received, first.Summary.Counters.Exported, first.Summary.Counters.Unchanged));
        Assert.Equal(250, first.Destination.Sent.Count);

        // Rows 5 and 77 changed, 251 and 252 are new.
        var rows = Enumerable.Range(1, 252).Select(i => Row(i, i is 5 or 77 ? "platinum" : "gold")).ToList();
        var second = RunExport(rows);
        var c = second.Summary.Counters;
        Assert.Equal(ExportStatus.Succeeded, second.Summary.Status);
        Assert.Equal((252L, 4L, 248L, 0L, 0L, 0L), (c.Received, c.Exported, c.Unchanged, c.Invalid, c.Duplicate, c.Failed));
        Assert.Equal(1, c.Batches);
        Assert.Equal(Emails(new[] { 5, 77, 251, 252 }).OrderBy(e => e), second.Destination.Sent.OrderBy(e => e));
        Assert.Empty(second.Events.OfType<RowProblemEvent>());
        var seg = Assert.Single(second.Summary.Segments);
        Assert.Equal((4L, 248L), (seg.Exported, seg.Unchanged));

        // The emulator holds the change.
        Assert.Equal("platinum", _emu.Contact("user77@example.com")!.Custom["string--Tier"]?.ToString());
        Assert.Equal(252, _emu.Contacts().Count);

        // A third run with nothing changed sends nothing at all: no bulk call.
        var third = RunExport(rows);
        Assert.Equal((252L, 0L, 252L, 0L), (third.Summary.Counters.Received, third.Summary.Counters.Exported, third.Summary.Counters.Unchanged, third.Summary.Counters.Batches));
        Assert.Empty(third.Destination.Sent);
    }

    [Fact]
    public void Full_sends_every_profile_once_and_a_changed_field_map_or_account_sends_everything_again()
    {
        var rows = Enumerable.Range(1, 120).Select(i => Row(i)).ToList();
        RunExport(rows);

        var full = RunExport(rows, o => o.Full = true);
        Assert.Equal((120L, 0L), (full.Summary.Counters.Exported, full.Summary.Counters.Unchanged));
        Assert.Equal(120, full.Destination.Sent.Distinct().Count());
        Assert.Equal(0, RunExport(rows).Summary.Counters.Exported); // -Full recorded what it sent

        var newMap = RunExport(rows, fingerprint: Fingerprint(map: "map-2"));
        Assert.Equal((120L, 0L), (newMap.Summary.Counters.Exported, newMap.Summary.Counters.Unchanged));
        Assert.Equal(0, RunExport(rows, fingerprint: Fingerprint(map: "map-2")).Summary.Counters.Exported);

        var newAccount = RunExport(rows, fingerprint: Fingerprint(map: "map-2", account: "account-2"));
        Assert.Equal((120L, 0L), (newAccount.Summary.Counters.Exported, newAccount.Summary.Counters.Unchanged));
    }

    [Fact]
    public void A_contact_moved_to_another_segment_is_sent_again_for_that_list()
    {
        RunExport(Enumerable.Range(1, 10).Select(i => Row(i)));
        var other = RunExport(Enumerable.Range(1, 10).Select(i => Row(i)), o => o.Segments = new[] { "Newsletter" });
        Assert.Equal((10L, 0L), (other.Summary.Counters.Exported, other.Summary.Counters.Unchanged));
        Assert.Equal(10, OnList("Newsletter").Count);
    }

    [Fact]
    public async Task A_run_killed_between_batches_resumes_sending_only_what_was_not_confirmed()
    {
        var rows = Enumerable.Range(1, 1000).Select(i => Row(i, i % 3 == 0 ? "silver" : "gold")).ToList();

        // Run 1: three bulk calls land and are confirmed, then the process freezes and is killed: the sync record is
        // closed as the operating system closes it (no compaction, nothing completed), the runner abandoned.
        var store = new SyncRecordStore(_folder.Home);
        var sync = store.Open(Export, Fingerprint());
        var frozen = new Recording(new AutopilotApiClient(_emu.BaseUri, Key)) { FreezeAfter = 3 };
        var runner = new ExportRunner(frozen, Options(sync, o => o.Concurrency = 1));
        var feeding = Task.Run(() =>
        {
            try { foreach (var row in rows) runner.Submit(row, row, null); }
            catch (ExportAbortedException) { }
        });
        for (int i = 0; i < 600 && runner.Snapshot().Exported < 300; i++) await Task.Delay(50);
        Assert.Equal(300, runner.Snapshot().Exported);
        sync.Dispose();   // the kill: the journal's file handle goes, what was flushed stays
        runner.Cancel();  // stops the abandoned threads; Complete is never called
        await feeding;
        runner.Dispose();
        Assert.False(File.Exists(store.SnapshotFile(Export)), "a killed run wrote no snapshot");
        var firstSent = frozen.Sent.ToHashSet();
        Assert.Equal(300, firstSent.Count);

        // Run 2 with the same input: the 300 confirmed are Unchanged, the other 700 are sent, each once.
        var second = RunExport(rows);
        var c = second.Summary.Counters;
        Assert.Equal(ExportStatus.Succeeded, second.Summary.Status);
        Assert.Equal((1000L, 700L, 300L, 0L), (c.Received, c.Exported, c.Unchanged, c.Failed));
        Assert.Equal(700, second.Destination.Sent.Count);
        Assert.Empty(second.Destination.Sent.Intersect(firstSent));
        Assert.Equal(Emails(Enumerable.Range(1, 1000)).OrderBy(e => e), firstSent.Concat(second.Destination.Sent).OrderBy(e => e));

        // The emulator holds every contact exactly as mapped, on the list; the record matches it contact for contact.
        var vip = ListId("VIP");
        var stored = _emu.Contacts().ToDictionary(x => x.Email, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(1000, stored.Count);
        using var record = store.Open(Export, Fingerprint());
        Assert.Equal(1000, record.Count);
        foreach (var row in rows)
        {
            row.TryGetValue("Mail", out var mail);
            row.TryGetValue("Tier", out var tier);
            row.TryGetValue("First", out var first);
            var s = stored[(string)mail!];
            Assert.Equal((string)first!, s["FirstName"]);
            Assert.Equal((string)tier!, s.Custom["string--Tier"]?.ToString());
            Assert.Single(s.Custom);
            Assert.Equal(new[] { vip }, s.Lists);
            Assert.True(record.IsUnchanged((string)mail!, HashOf(row), vip), $"record holds {mail} as sent");
        }
    }

    [Fact]
    public void The_payload_never_carries_unsubscribed_unless_it_is_mapped_so_an_unsubscribed_contact_stays_unsubscribed()
    {
        RunExport(Enumerable.Range(1, 5).Select(i => Row(i)));
        // The contact unsubscribes in Autopilot; the next export of a changed profile must not undo it.
        using (var http = _emu.CreateClient())
        {
            var r = http.PostAsync("contact", new StringContent("{\"contact\":{\"Email\":\"user3@example.com\",\"unsubscribed\":true}}",
                System.Text.Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
            Assert.True(r.IsSuccessStatusCode);
        }
        Assert.True(_emu.Contact("user3@example.com")!.Unsubscribed);
        var run = RunExport(Enumerable.Range(1, 5).Select(i => Row(i, "changed")), o => o.Full = true);
        Assert.Equal(5, run.Summary.Counters.Exported);
        Assert.All(run.Destination.Payloads, p => Assert.DoesNotContain("unsubscribed", p, StringComparison.OrdinalIgnoreCase));
        Assert.True(_emu.Contact("user3@example.com")!.Unsubscribed);
        Assert.Equal("changed", _emu.Contact("user3@example.com")!.Custom["string--Tier"]?.ToString());
    }

    [Fact]
    public void Mirror_takes_only_this_exports_contacts_that_left_the_segment_off_the_list_and_nothing_else()
    {
        RunExport(Enumerable.Range(1, 100).Select(i => Row(i)), o => o.Mirror = true);
        var vip = ListId("VIP");
        // Someone else puts a contact on the same list: Mirror never takes it off.
        using (var http = _emu.CreateClient())
        {
            Assert.True(http.PostAsync("contact", new StringContent("{\"contact\":{\"Email\":\"other@example.com\"}}", System.Text.Encoding.UTF8, "application/json")).GetAwaiter().GetResult().IsSuccessStatusCode);
            Assert.True(http.PostAsync($"list/{vip}/contact/other@example.com", null).GetAwaiter().GetResult().IsSuccessStatusCode);
        }

        // Rows 1..10 left the segment; 101 joined.
        var run = RunExport(Enumerable.Range(11, 91).Select(i => Row(i)), o => o.Mirror = true);
        var c = run.Summary.Counters;
        Assert.Equal(ExportStatus.Succeeded, run.Summary.Status);
        Assert.Equal((91L, 1L, 90L, 10L), (c.Received, c.Exported, c.Unchanged, c.Removed));
        Assert.Equal(10, _emu.Stats().Count(DeleteRoute, 200));
        var expected = Emails(Enumerable.Range(11, 91)).Append("other@example.com").ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.True(expected.SetEquals(OnList("VIP")));
        // Taken off the list only: the contacts stay in the account.
        Assert.Equal(102, _emu.Contacts().Count);
        Assert.All(Emails(Enumerable.Range(1, 10)), e => Assert.Empty(_emu.Contact(e)!.Lists));

        // The record knows they left: the next run removes nobody and sends nothing.
        var again = RunExport(Enumerable.Range(11, 91).Select(i => Row(i)), o => o.Mirror = true);
        Assert.Equal((0L, 91L, 0L), (again.Summary.Counters.Exported, again.Summary.Counters.Unchanged, again.Summary.Counters.Removed));
        Assert.Equal(10, _emu.Stats().Count(DeleteRoute));
    }

    [Fact]
    public void Upsert_mode_removes_nobody()
    {
        RunExport(Enumerable.Range(1, 10).Select(i => Row(i)));
        var run = RunExport(Enumerable.Range(1, 5).Select(i => Row(i)));
        Assert.Equal(0, run.Summary.Counters.Removed);
        Assert.Equal(0, _emu.Stats().Count(DeleteRoute));
        Assert.Equal(10, OnList("VIP").Count);
    }

    [Fact]
    public void The_guard_rail_refuses_a_run_that_would_empty_a_list_and_Force_removes_them()
    {
        RunExport(Enumerable.Range(1, 100).Select(i => Row(i)), o => o.Mirror = true);

        // 21 of 100 leave: over the default 20%.
        var refused = RunExport(Enumerable.Range(22, 79).Select(i => Row(i)), o => o.Mirror = true);
        Assert.Equal(ExportStatus.Failed, refused.Summary.Status);
        Assert.Equal(ErrorIds.RemovalLimitExceeded, refused.Summary.FatalErrorId);
        Assert.Contains("21 of the 100 contacts this export put on list 'VIP'", refused.Summary.FatalMessage);
        Assert.Contains("nobody was removed", refused.Summary.FatalMessage);
        Assert.Equal(0, refused.Summary.Counters.Removed);
        Assert.Equal(0, _emu.Stats().Count(DeleteRoute));
        Assert.Equal(100, OnList("VIP").Count);

        // An empty input: 100%.
        var empty = RunExport(Array.Empty<TestRecord>(), o => o.Mirror = true);
        Assert.Equal(ErrorIds.RemovalLimitExceeded, empty.Summary.FatalErrorId);
        Assert.Equal(0, _emu.Stats().Count(DeleteRoute));

        // Exactly 20 of 100 is within the limit.
        var within = RunExport(Enumerable.Range(21, 80).Select(i => Row(i)), o => { o.Mirror = true; o.MaxRemovalPercent = 20; });
        Assert.Equal((ExportStatus.Succeeded, 20L), (within.Summary.Status, within.Summary.Counters.Removed));

        // Force: 79 of 80 go.
        var forced = RunExport(new[] { Row(100) }, o => { o.Mirror = true; o.ForceRemovals = true; });
        Assert.Equal((ExportStatus.Succeeded, 79L), (forced.Summary.Status, forced.Summary.Counters.Removed));
        Assert.Equal(new[] { "user100@example.com" }, OnList("VIP"));
    }

    [Fact]
    public void WhatIf_names_who_Mirror_would_remove_and_removes_nobody()
    {
        RunExport(Enumerable.Range(1, 10).Select(i => Row(i)), o => o.Mirror = true);
        var dry = RunExport(Enumerable.Range(4, 7).Select(i => Row(i)), o => { o.Mirror = true; o.DryRun = true; });
        var plan = Assert.Single(dry.Summary.Removals);
        Assert.Equal(("VIP", ListId("VIP"), 10, true), (plan.Segment, plan.ListId, plan.Members, plan.OverLimit));
        Assert.Equal(new[] { "user1@example.com", "user2@example.com", "user3@example.com" }, plan.Emails);
        Assert.Equal(0, _emu.Stats().Count(DeleteRoute));
        Assert.Empty(dry.Destination.Sent);
        Assert.Equal(10, OnList("VIP").Count);
    }

    [Fact]
    public void Mirror_removes_nobody_after_a_cancel_or_when_rows_were_invalid()
    {
        RunExport(Enumerable.Range(1, 10).Select(i => Row(i)), o => o.Mirror = true);

        var rows = Enumerable.Range(1, 9).Select(i => Row(i)).Append(new TestRecord(("Mail", "not-an-address"), ("First", "X"), ("Tier", "gold")));
        var invalid = RunExport(rows, o => o.Mirror = true);
        Assert.Equal((1L, 0L), (invalid.Summary.Counters.Invalid, invalid.Summary.Counters.Removed));
        Assert.Contains(invalid.Events.OfType<WarningEvent>(), w => w.Message.Contains("Mirror removed nobody"));

        using (var sync = new SyncRecordStore(_folder.Home).Open(Export, Fingerprint()))
        using (var runner = new ExportRunner(new AutopilotApiClient(_emu.BaseUri, Key), Options(sync, o => o.Mirror = true)))
        {
            runner.Submit(Row(1), null, null);
            runner.Cancel();
            var summary = runner.Complete(null);
            Assert.Equal((ExportStatus.Cancelled, 0L), (summary.Status, summary.Counters.Removed));
        }
        Assert.Equal(0, _emu.Stats().Count(DeleteRoute));
        Assert.Equal(10, OnList("VIP").Count);
    }

    [Fact]
    public void A_contact_already_gone_counts_as_removed()
    {
        RunExport(Enumerable.Range(1, 10).Select(i => Row(i)), o => o.Mirror = true);
        // Someone deleted the contact in Autopilot meanwhile: the removal's 404 leaves the state Mirror wants.
        using (var http = _emu.CreateClient())
            Assert.True(http.DeleteAsync("contact/user1@example.com").GetAwaiter().GetResult().IsSuccessStatusCode);
        var run = RunExport(Enumerable.Range(2, 9).Select(i => Row(i)), o => o.Mirror = true);
        Assert.Equal((ExportStatus.Succeeded, 1L), (run.Summary.Status, run.Summary.Counters.Removed));
        Assert.Equal(1, _emu.Stats().Count(DeleteRoute, 404));
    }

    /// <summary>The fault matrix for removals: each kind alone, aimed at DELETE only, and all of them together.</summary>
    public static IEnumerable<object[]> RemovalFaults() => new[]
    {
        new object[] { "500", new FaultProfile { Error500Rate = 0.3 } },
        new object[] { "503+Retry-After", new FaultProfile { Error503Rate = 0.2, RetryAfterSeconds = 1 } },
        new object[] { "reset", new FaultProfile { ResetRate = 0.3 } },
        new object[] { "accept-then-fail", new FaultProfile { AcceptThenFailRate = 0.3 } },
        new object[] { "malformed", new FaultProfile { MalformedRate = 0.3 } },
        new object[] { "mixed", new FaultProfile { Error500Rate = 0.1, Error503Rate = 0.05, RetryAfterSeconds = 1, ResetRate = 0.1, AcceptThenFailRate = 0.1, MalformedRate = 0.05 } },
    };

    [Theory]
    [MemberData(nameof(RemovalFaults))]
    public void Removals_land_exactly_once_through_faults_aimed_at_them(string kind, FaultProfile faults)
    {
        RunExport(Enumerable.Range(1, 100).Select(i => Row(i)), o => o.Mirror = true);
        faults.Methods = new[] { "DELETE" };
        _emu.SetFaults(faults);
        var run = RunExport(Enumerable.Range(21, 80).Select(i => Row(i)), o => o.Mirror = true);
        _emu.SetFaults(null);
        Assert.Equal((ExportStatus.Succeeded, 20L, 0L), (run.Summary.Status, run.Summary.Counters.Removed, run.Summary.Counters.RemovalsFailed));
        Assert.True(run.Summary.Counters.Retries > 0 || kind == "malformed", $"the {kind} faults were retried");
        Assert.Equal(1, _emu.Stats().Count("POST /v1/contacts")); // the first run's one call: the second had nothing to upsert
        Assert.True(Emails(Enumerable.Range(21, 80)).ToHashSet(StringComparer.OrdinalIgnoreCase).SetEquals(OnList("VIP")));
        Assert.Equal(100, _emu.Contacts().Count);
        Assert.All(_emu.Contacts(), x => Assert.False(x.Unsubscribed));
    }
}
