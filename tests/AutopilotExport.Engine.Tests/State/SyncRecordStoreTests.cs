using System.Text;
using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

public sealed class SyncRecordStoreTests : IDisposable
{
    private readonly StateTestFolder _folder = new();
    private static readonly SyncFingerprint Fp = new("conn-a", "map-a");

    public void Dispose() => _folder.Dispose();

    private static ulong H(string payload) => SyncRecord.HashPayload(Encoding.UTF8.GetBytes(payload));

    private static ConfirmedContact[] Batch(int from, int count, string list, string version = "v1") =>
        Enumerable.Range(from, count).Select(i => new ConfirmedContact($"user{i}@example.com", H($"{{\"Email\":\"user{i}@example.com\",\"v\":\"{version}\"}}"), list)).ToArray();

    [Fact]
    public void Confirmed_contacts_survive_reopen_and_only_an_equal_payload_on_the_same_list_is_unchanged()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp))
        {
            Assert.Equal(SyncRebase.None, record.Rebased);
            Assert.Equal(0, record.Count);
            record.RecordConfirmed(Batch(0, 100, "list-1"));
            record.RecordConfirmed(Batch(100, 50, "list-2"));
        }
        using (var record = store.Open("NIGHTLY", Fp))
        {
            Assert.Equal(SyncRebase.None, record.Rebased);
            Assert.Equal(150, record.Count);
            var hash = H("{\"Email\":\"user7@example.com\",\"v\":\"v1\"}");
            Assert.True(record.IsUnchanged("user7@example.com", hash, "list-1"));
            Assert.True(record.IsUnchanged("USER7@Example.COM", hash, "list-1"));
            Assert.True(record.IsUnchanged("user7@example.com", hash, null));
            Assert.False(record.IsUnchanged("user7@example.com", hash, "list-2"));
            Assert.False(record.IsUnchanged("user7@example.com", H("changed"), "list-1"));
            Assert.False(record.IsUnchanged("nobody@example.com", hash, "list-1"));
            Assert.False(record.IsUnchanged("user7@example.com", SyncRecord.UnknownHash, "list-1"));
            Assert.Equal(100, record.MembersOf("list-1").Count);
            Assert.Equal(50, record.MembersOf("list-2").Count);
            Assert.Empty(record.MembersOf("list-3"));
        }
    }

    [Fact]
    public void Open_compacts_the_journal_into_the_snapshot_and_Compact_does_at_the_end()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp))
        {
            record.RecordConfirmed(Batch(0, 1000, "list-1"));
            Assert.False(File.Exists(store.SnapshotFile("Nightly")));
            var journalBefore = new FileInfo(store.JournalFile("Nightly")).Length;
            record.Compact();
            Assert.True(File.Exists(store.SnapshotFile("Nightly")));
            Assert.True(new FileInfo(store.JournalFile("Nightly")).Length < 100, "the journal holds only its header after compaction");
            Assert.True(journalBefore > 20_000);
            record.RecordConfirmed(Batch(1000, 10, "list-1"));
        }
        using (var record = store.Open("Nightly", Fp))
        {
            Assert.Equal(1010, record.Count);
            Assert.True(new FileInfo(store.JournalFile("Nightly")).Length < 100, "opening replays and compacts");
        }
        Assert.DoesNotContain(_folder.AllFiles(), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Contacts_changed_after_a_load_shadow_the_snapshot_and_compaction_keeps_each_contact_once()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp)) { record.RecordConfirmed(Batch(0, 100, "list-1")); record.Compact(); }
        using (var record = store.Open("Nightly", Fp))
        {
            record.RecordConfirmed(Batch(50, 100, "list-1", version: "v2")); // 50 changed, 50 new
            record.RecordRemoved("list-1", new[] { "user0@example.com", "user60@example.com" });
            Assert.Equal(150, record.Count);
            record.Compact();
            Assert.Equal(150, record.Count);
        }
        using (var record = store.Open("Nightly", Fp))
        {
            Assert.Equal(150, record.Count);
            Assert.Equal(148, record.MembersOf("list-1").Count);
            Assert.True(record.IsUnchanged("user10@example.com", H("{\"Email\":\"user10@example.com\",\"v\":\"v1\"}"), "list-1"));
            Assert.True(record.IsUnchanged("user70@example.com", H("{\"Email\":\"user70@example.com\",\"v\":\"v2\"}"), "list-1"));
            Assert.False(record.IsUnchanged("user70@example.com", H("{\"Email\":\"user70@example.com\",\"v\":\"v1\"}"), "list-1"));
            Assert.False(record.IsOnList("user60@example.com", "list-1"));
            Assert.False(record.IsOnList("USER0@example.com", "list-1"));
            Assert.Equal(148, record.MembersOf("list-1").Distinct(StringComparer.OrdinalIgnoreCase).Count());
        }
    }

    [Fact]
    public void A_journal_cut_off_mid_frame_by_a_kill_keeps_every_earlier_batch_and_takes_appends_after_it()
    {
        var store = new SyncRecordStore(_folder.Home);
        long afterTwo;
        using (var record = store.Open("Nightly", Fp))
        {
            record.RecordConfirmed(Batch(0, 100, "list-1"));
            record.RecordConfirmed(Batch(100, 100, "list-1"));
            afterTwo = new FileInfo(store.JournalFile("Nightly")).Length;
            record.RecordConfirmed(Batch(200, 100, "list-1"));
        }
        // The kill came while the third frame was being written: part of it reached the file.
        var journal = store.JournalFile("Nightly");
        var full = new FileInfo(journal).Length;
        using (var f = new FileStream(journal, FileMode.Open)) f.SetLength(afterTwo + (full - afterTwo) / 2);

        using (var record = store.Open("Nightly", Fp))
        {
            Assert.Equal(200, record.Count);
            Assert.True(record.IsOnList("user199@example.com", "list-1"));
            Assert.False(record.IsOnList("user200@example.com", "list-1"));
            record.RecordConfirmed(Batch(200, 100, "list-1")); // the resumed run sends the third batch again
        }
        using (var record = store.Open("Nightly", Fp)) Assert.Equal(300, record.Count);
    }

    [Fact]
    public void A_damaged_frame_ends_the_replay_and_frames_before_it_survive()
    {
        var store = new SyncRecordStore(_folder.Home);
        long afterOne;
        using (var record = store.Open("Nightly", Fp))
        {
            record.RecordConfirmed(Batch(0, 10, "list-1"));
            afterOne = new FileInfo(store.JournalFile("Nightly")).Length;
            record.RecordConfirmed(Batch(10, 10, "list-1"));
            record.RecordConfirmed(Batch(20, 10, "list-1"));
        }
        var bytes = File.ReadAllBytes(store.JournalFile("Nightly"));
        bytes[afterOne + 20] ^= 0x55; // a flipped bit inside the second frame: its checksum fails
        File.WriteAllBytes(store.JournalFile("Nightly"), bytes);
        using var reopened = store.Open("Nightly", Fp);
        Assert.Equal(10, reopened.Count);
        Assert.True(reopened.IsOnList("user9@example.com", "list-1"));
        Assert.False(reopened.IsOnList("user10@example.com", "list-1"));
    }

    [Fact]
    public void Removals_take_the_membership_away_and_keep_the_contact_known()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp))
        {
            record.RecordConfirmed(Batch(0, 5, "list-1"));
            record.RecordConfirmed(Batch(0, 5, "list-2"));
            record.RecordRemoved("list-1", new[] { "USER1@example.com", "user3@example.com", "stranger@example.com" });
            Assert.Equal(new[] { "user0@example.com", "user2@example.com", "user4@example.com" }, record.MembersOf("list-1").OrderBy(e => e));
        }
        using (var record = store.Open("Nightly", Fp))
        {
            Assert.Equal(new[] { "user0@example.com", "user2@example.com", "user4@example.com" }, record.MembersOf("list-1").OrderBy(e => e));
            Assert.Equal(5, record.MembersOf("list-2").Count);
            Assert.Equal(5, record.Count);
            Assert.True(record.TryGetHash("user1@example.com", out var hash) && hash != SyncRecord.UnknownHash);
        }
    }

    [Fact]
    public void A_changed_field_map_forgets_the_hashes_and_keeps_memberships_a_changed_connection_clears_all()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp)) record.RecordConfirmed(Batch(0, 20, "list-1"));

        using (var record = store.Open("Nightly", new SyncFingerprint("conn-a", "map-b")))
        {
            Assert.Equal(SyncRebase.FieldMapChanged, record.Rebased);
            Assert.Equal(20, record.Count);
            Assert.Equal(20, record.MembersOf("list-1").Count);
            Assert.False(record.IsUnchanged("user3@example.com", H("{\"Email\":\"user3@example.com\",\"v\":\"v1\"}"), "list-1"));
        }
        // Stored: opening again with the new map is no change.
        using (var record = store.Open("Nightly", new SyncFingerprint("conn-a", "map-b"))) Assert.Equal(SyncRebase.None, record.Rebased);

        using (var record = store.Open("Nightly", new SyncFingerprint("conn-b", "map-b")))
        {
            Assert.Equal(SyncRebase.ConnectionChanged, record.Rebased);
            Assert.Equal(0, record.Count);
            Assert.Empty(record.MembersOf("list-1"));
        }
    }

    [Fact]
    public void A_journal_left_from_before_a_field_map_change_is_applied_without_its_hashes()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp)) { record.Compact(); record.RecordConfirmed(Batch(0, 3, "list-1")); }
        var oldJournal = File.ReadAllBytes(store.JournalFile("Nightly"));
        var newMap = new SyncFingerprint("conn-a", "map-b");
        using (var record = store.Open("Nightly", newMap)) { }
        // Killed after the new snapshot was written and before the journal was reset.
        File.WriteAllBytes(store.JournalFile("Nightly"), oldJournal);
        using var reopened = store.Open("Nightly", newMap);
        Assert.Equal(SyncRebase.None, reopened.Rebased);
        Assert.Equal(3, reopened.MembersOf("list-1").Count);
        Assert.True(reopened.TryGetHash("user1@example.com", out var hash));
        Assert.Equal(SyncRecord.UnknownHash, hash);
    }

    [Fact]
    public void One_run_per_export_holds_the_record()
    {
        var store = new SyncRecordStore(_folder.Home);
        using var first = store.Open("Nightly", Fp);
        var ex = Assert.Throws<StateException>(() => new SyncRecordStore(_folder.Home).Open("nightly", Fp));
        Assert.Equal(StateErrorIds.SyncRecordBusy, ex.ErrorId);
        Assert.Contains("Nightly", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(StateErrorIds.SyncRecordBusy, Assert.Throws<StateException>(() => store.Remove("Nightly")).ErrorId);
        using var other = store.Open("Weekly", Fp);
    }

    [Fact]
    public void A_damaged_snapshot_is_refused_by_name_and_Remove_starts_afresh()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp)) { record.RecordConfirmed(Batch(0, 500, "list-1")); record.Compact(); }
        var path = store.SnapshotFile("Nightly");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<StateException>(() => store.Open("Nightly", Fp));
        Assert.Equal(StateErrorIds.StateFileCorrupt, ex.ErrorId);
        Assert.Contains(path, ex.Message);

        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("not a sync record"));
        Assert.Equal(StateErrorIds.StateFileCorrupt, Assert.Throws<StateException>(() => store.Open("Nightly", Fp)).ErrorId);

        Assert.True(store.Remove("Nightly"));
        Assert.False(File.Exists(path));
        using (var fresh = store.Open("Nightly", Fp)) Assert.Equal(0, fresh.Count);
    }

    [Fact]
    public void Files_are_owner_only_and_a_planted_group_writable_journal_is_refused()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp)) { record.RecordConfirmed(Batch(0, 5, "list-1")); record.Compact(); }
        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(ownerOnly, StateTestFolder.ModeOf(store.SnapshotFile("Nightly")));
        Assert.Equal(ownerOnly, StateTestFolder.ModeOf(store.JournalFile("Nightly")));
        Assert.Equal(ownerOnly | UnixFileMode.UserExecute, StateTestFolder.ModeOf(store.SyncFolder));
        File.SetUnixFileMode(store.JournalFile("Nightly"), ownerOnly | UnixFileMode.GroupWrite);
        Assert.Equal(StateErrorIds.UnsafeStatePermissions, Assert.Throws<StateException>(() => store.Open("Nightly", Fp)).ErrorId);
    }

    [Fact]
    public void More_than_64_lists_and_concurrent_senders_round_trip()
    {
        var store = new SyncRecordStore(_folder.Home);
        using (var record = store.Open("Nightly", Fp))
        {
            Parallel.For(0, 100, l => record.RecordConfirmed(Batch(l * 10, 10, $"list-{l}")));
            record.RecordConfirmed(Batch(0, 1, "list-99"));
        }
        using (var record = store.Open("Nightly", Fp))
        {
            Assert.Equal(1000, record.Count);
            for (int l = 0; l < 100; l++) Assert.Equal(l == 99 ? 11 : 10, record.MembersOf($"list-{l}").Count);
            Assert.True(record.IsOnList("user0@example.com", "list-99") && record.IsOnList("user0@example.com", "list-0"));
            record.RecordRemoved("list-99", new[] { "user0@example.com" });
            record.Compact();
        }
        using (var record = store.Open("Nightly", Fp))
        {
            Assert.False(record.IsOnList("user0@example.com", "list-99"));
            Assert.True(record.IsOnList("user995@example.com", "list-99"));
        }
    }

    [Fact]
    public void The_payload_hash_is_stable_never_the_unknown_value_and_the_fingerprint_follows_map_and_account()
    {
        Assert.Equal(H("{\"a\":1}"), H("{\"a\":1}"));
        Assert.NotEqual(H("{\"a\":1}"), H("{\"a\":2}"));
        Assert.NotEqual(SyncRecord.UnknownHash, H(""));

        var conn = new ConnectionRecord { Name = "Prod", BaseUri = "https://api2.autopilothq.com/v1", InstanceId = "i-1" };
        var map = new FieldMapRecord { Email = "Mail" };
        map.Standard["FirstName"] = "GivenName";
        var same = new FieldMapRecord { Email = "Mail" };
        same.Standard["firstname"] = "GivenName";
        var other = new FieldMapRecord { Email = "Mail" };
        other.Standard["FirstName"] = "Nick";
        Assert.Equal(SyncFingerprint.Of(conn, map), SyncFingerprint.Of(conn, same));
        Assert.NotEqual(SyncFingerprint.Of(conn, map).FieldMap, SyncFingerprint.Of(conn, other).FieldMap);
        Assert.NotEqual(SyncFingerprint.Of(conn, map).FieldMap, SyncFingerprint.Of(conn, null).FieldMap);
        var otherAccount = conn.Clone();
        otherAccount.InstanceId = "i-2";
        Assert.NotEqual(SyncFingerprint.Of(conn, map).Connection, SyncFingerprint.Of(otherAccount, map).Connection);
        Assert.Equal(SyncFingerprint.Of(conn, map).FieldMap, SyncFingerprint.Of(otherAccount, map).FieldMap);
    }
}
