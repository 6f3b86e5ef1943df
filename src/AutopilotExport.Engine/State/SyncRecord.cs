using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;

namespace AutopilotExport.Engine.State
{
    /// <summary>A contact the API confirmed: its email, the hash of the payload sent, and the list it joined (null: none).</summary>
    public readonly struct ConfirmedContact
    {
        public ConfirmedContact(string email, ulong payloadHash, string? listId)
        {
            Email = email ?? throw new ArgumentNullException(nameof(email));
            PayloadHash = payloadHash;
            ListId = listId;
        }

        public string Email { get; }
        public ulong PayloadHash { get; }
        public string? ListId { get; }
    }

    /// <summary>What opening a sync record found, for the run's verbose text.</summary>
    public enum SyncRebase
    {
        /// <summary>The record matches the connection and field map (or is new).</summary>
        None,
        /// <summary>The field map changed: every contact is sent once more; the list memberships are kept.</summary>
        FieldMapChanged,
        /// <summary>The connection (account) changed: the record was cleared.</summary>
        ConnectionChanged,
    }

    /// <summary>
    /// The open sync record of one saved export (see <see cref="SyncRecordStore"/>): email (case-insensitive, as the
    /// API keys contacts) → hash of the mapped payload the API confirmed, and the lists the export put it on.
    /// Held exclusively while open (one run per export at a time). Thread-safe: senders may record confirmed
    /// batches while the pipeline thread asks <see cref="IsUnchanged"/>.
    /// </summary>
    public sealed class SyncRecord : IDisposable
    {
        /// <summary>The hash value that means "not known": never equal to a payload's hash.</summary>
        public const ulong UnknownHash = 0;

        internal struct Entry
        {
            public ulong Hash;
            /// <summary>Membership of the lists with index 0..63; <see cref="Extra"/> holds the higher indices.</summary>
            public ulong Bits;
            public int[]? Extra;

            public bool Has(int list)
            {
                if (list < 64) return (Bits & (1UL << list)) != 0;
                return Extra != null && Array.IndexOf(Extra, list) >= 0;
            }

            public void Add(int list)
            {
                if (list < 64) { Bits |= 1UL << list; return; }
                if (Has(list)) return;
                var extra = new int[(Extra?.Length ?? 0) + 1];
                Extra?.CopyTo(extra, 0);
                extra[extra.Length - 1] = list;
                Extra = extra;
            }

            public void Remove(int list)
            {
                if (list < 64) { Bits &= ~(1UL << list); return; }
                if (!Has(list)) return;
                var rest = new List<int>(Extra!);
                rest.Remove(list);
                Extra = rest.Count == 0 ? null : rest.ToArray();
            }
        }

        private readonly object _gate = new object();
        private readonly SyncRecordStore _store;
        private FileStream? _journal;
        /// <summary>The contacts of the loaded snapshot (null: none); <see cref="Overlay"/> shadows the ones changed since.</summary>
        internal SyncIndex? Base;
        /// <summary>Contacts confirmed or changed since the snapshot was loaded, by case-folded email.</summary>
        internal readonly Dictionary<string, Entry> Overlay = new Dictionary<string, Entry>(StringComparer.Ordinal);
        private int _added;
        internal readonly List<string> ListIds;
        private readonly Dictionary<string, int> _listIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        private byte[] _scratch = new byte[256];

        internal SyncRecord(SyncRecordStore store, string export, SyncFingerprint fingerprint, SyncIndex? baseIndex, List<string> listIds)
        {
            _store = store; Export = export; Fingerprint = fingerprint; Base = baseIndex; ListIds = listIds;
            for (int i = 0; i < listIds.Count; i++) _listIndex[listIds[i]] = i;
        }

        internal void Attach(FileStream journal) => _journal = journal;

        public string Export { get; }
        public SyncFingerprint Fingerprint { get; internal set; }
        public SyncRebase Rebased { get; internal set; }

        /// <summary>
        /// Flush every appended batch to the disk itself (fsync), not only to the operating system. Off by default:
        /// a batch flushed to the operating system survives a killed process; fsync per batch also survives power loss,
        /// at a few milliseconds per batch. <see cref="Compact"/> always writes through to the disk.
        /// </summary>
        public bool FlushToDiskEachBatch { get; set; }

        /// <summary>How many contacts the record knows.</summary>
        public int Count { get { lock (_gate) return CountUnlocked; } }

        internal int CountUnlocked => (Base?.Count ?? 0) + _added;

        /// <summary>The API keys contacts case-insensitively: so does the record (the address is kept case-folded).</summary>
        internal static string Fold(string email) => email.ToLowerInvariant();

        /// <summary>The hash the run compares: SHA-256 of the payload's bytes (e.g. the contact's JSON), first 8 bytes, never 0.</summary>
        public static ulong HashPayload(byte[] payload) => HashPayload(payload, 0, payload?.Length ?? 0);

        public static ulong HashPayload(byte[] payload, int offset, int count)
        {
            if (payload == null) throw new ArgumentNullException(nameof(payload));
            byte[] hash;
            using (var sha = SHA256.Create()) hash = sha.ComputeHash(payload, offset, count);
            ulong v = BitConverter.ToUInt64(hash, 0);
            return v == UnknownHash ? 1 : v;
        }

        /// <summary>
        /// True when the API confirmed this email with this payload hash, and (when <paramref name="listId"/> is given)
        /// on that list: the run need not send it (counted Unchanged).
        /// </summary>
        public bool IsUnchanged(string email, ulong payloadHash, string? listId)
        {
            if (email == null || payloadHash == UnknownHash) return false;
            lock (_gate)
            {
                if (!TryFind(Fold(email), out var e) || e.Hash != payloadHash) return false;
                if (listId == null) return true;
                return _listIndex.TryGetValue(listId, out var i) && e.Has(i);
            }
        }

        /// <summary>The payload hash last confirmed for the email (<see cref="UnknownHash"/> when it must be sent); false when unknown.</summary>
        public bool TryGetHash(string email, out ulong payloadHash)
        {
            lock (_gate)
            {
                if (email != null && TryFind(Fold(email), out var e)) { payloadHash = e.Hash; return true; }
                payloadHash = UnknownHash;
                return false;
            }
        }

        public bool IsOnList(string email, string listId)
        {
            lock (_gate) return email != null && listId != null && _listIndex.TryGetValue(listId, out var i) && TryFind(Fold(email), out var e) && e.Has(i);
        }

        /// <summary>The emails this export put on the list (as last confirmed), for Mirror: those absent from the segment now are removed.</summary>
        public IReadOnlyList<string> MembersOf(string listId)
        {
            var members = new List<string>();
            lock (_gate)
            {
                if (listId == null || !_listIndex.TryGetValue(listId, out var i)) return members;
                foreach (var kv in Overlay) if (kv.Value.Has(i)) members.Add(kv.Key);
                if (Base != null)
                {
                    foreach (var offset in Base.Offsets())
                    {
                        if (!Base.Read(offset, out _).Has(i)) continue;
                        var key = Base.KeyAt(offset);
                        if (!Overlay.ContainsKey(key)) members.Add(key);
                    }
                }
            }
            return members;
        }

        /// <summary>
        /// Records a batch the API confirmed: appends it to the journal (one checksummed frame, flushed) and then
        /// applies it in memory. Call only for contacts the API confirmed. A frame cut off by a kill is ignored on the
        /// next open; the frames before it survive.
        /// </summary>
        public void RecordConfirmed(IReadOnlyCollection<ConfirmedContact> batch)
        {
            if (batch == null) throw new ArgumentNullException(nameof(batch));
            if (batch.Count == 0) return;
            lock (_gate)
            {
                var frame = _store.EncodeConfirmed(batch, ref _scratch);
                Append(frame);
                foreach (var c in batch) ApplyConfirmed(c.Email, c.PayloadHash, c.ListId);
            }
        }

        /// <summary>Records that the API took these emails off the list (Mirror); the contacts stay known with their hash.</summary>
        public void RecordRemoved(string listId, IReadOnlyCollection<string> emails)
        {
            if (listId == null) throw new ArgumentNullException(nameof(listId));
            if (emails == null) throw new ArgumentNullException(nameof(emails));
            if (emails.Count == 0) return;
            lock (_gate)
            {
                var frame = _store.EncodeRemoved(listId, emails, ref _scratch);
                Append(frame);
                foreach (var email in emails) ApplyRemoved(listId, email);
            }
        }

        /// <summary>Writes the whole record as a snapshot (atomically) and empties the journal. Call at the end of a run.</summary>
        public void Compact()
        {
            lock (_gate)
            {
                var journal = _journal ?? throw new ObjectDisposedException(nameof(SyncRecord));
                _store.WriteSnapshot(this);
                _store.ResetJournal(journal, Fingerprint, ref _scratch);
            }
        }

        /// <summary>Closes the journal (what was appended stays; the next open replays it).</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                _journal?.Dispose();
                _journal = null;
            }
        }

        internal void ApplyConfirmed(string email, ulong hash, string? listId)
        {
            var key = Fold(email);
            if (!TryFind(key, out var e)) _added++;
            e.Hash = hash;
            if (listId != null) e.Add(IndexOf(listId));
            Overlay[key] = e;
        }

        internal void ApplyRemoved(string listId, string email)
        {
            var key = Fold(email);
            if (!_listIndex.TryGetValue(listId, out var i) || !TryFind(key, out var e) || !e.Has(i)) return;
            e.Remove(i);
            Overlay[key] = e;
        }

        internal void ClearHashes()
        {
            foreach (var k in new List<string>(Overlay.Keys))
            {
                var e = Overlay[k];
                e.Hash = UnknownHash;
                Overlay[k] = e;
            }
            Base?.ClearHashes();
        }

        internal void Clear()
        {
            Overlay.Clear();
            Base = null;
            _added = 0;
            ListIds.Clear();
            _listIndex.Clear();
        }

        private bool TryFind(string key, out Entry entry)
        {
            if (Overlay.TryGetValue(key, out entry)) return true;
            int offset = Base?.Find(key) ?? -1;
            if (offset < 0) { entry = default; return false; }
            entry = Base!.Read(offset, out _);
            return true;
        }

        private int IndexOf(string listId)
        {
            if (_listIndex.TryGetValue(listId, out var i)) return i;
            i = ListIds.Count;
            ListIds.Add(listId);
            _listIndex[listId] = i;
            return i;
        }

        private void Append(byte[] frame)
        {
            var journal = _journal ?? throw new ObjectDisposedException(nameof(SyncRecord));
            journal.Write(frame, 0, frame.Length);
            journal.Flush(flushToDisk: FlushToDiskEachBatch);
        }
    }
}
