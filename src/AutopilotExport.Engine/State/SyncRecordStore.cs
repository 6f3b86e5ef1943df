using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// Sync records of saved exports, in sync/ of the state folder: per export a snapshot (&lt;export&gt;.sync, gzip of a
    /// compact binary table, replaced atomically) and a journal (&lt;export&gt;.journal, append-only, one checksummed
    /// frame per confirmed batch). Opening replays the journal over the snapshot (a frame cut off by a kill, or one
    /// whose checksum fails, ends the replay: everything before it survives), then compacts both into a new snapshot.
    /// The journal file is held exclusively while a record is open: one run per export at a time. Files are owner-only
    /// (they hold email addresses) and get the StrictModes checks of the other state files.
    /// </summary>
    public sealed class SyncRecordStore
    {
        private static readonly byte[] SnapshotMagic = { (byte)'A', (byte)'P', (byte)'X', (byte)'S', (byte)'Y', (byte)'N', (byte)'C', (byte)'1' };
        private static readonly byte[] JournalMagic = { (byte)'A', (byte)'P', (byte)'X', (byte)'J', (byte)'R', (byte)'N', (byte)'L', (byte)'1' };
        private const uint EndMarker = 0x21444E45; // "END!"
        private const int FrameHeader = 8;
        private const int MaxFrame = 64 * 1024 * 1024;
        private const byte OpHeader = 0, OpConfirmed = 1, OpRemoved = 2;

        public SyncRecordStore(StateHome home)
        {
            Home = home ?? throw new ArgumentNullException(nameof(home));
        }

        public StateHome Home { get; }
        public string SyncFolder => Path.Combine(Home.Path, "sync");
        public string SnapshotFile(string export) => Path.Combine(SyncFolder, StateNames.ToFileName(export, ".sync"));
        public string JournalFile(string export) => Path.Combine(SyncFolder, StateNames.ToFileName(export, ".journal"));

        /// <summary>
        /// Opens the record of an export for a run with this connection and field map (see <see cref="SyncFingerprint"/>
        /// for what a change does; <see cref="SyncRecord.Rebased"/> tells). Throws StateException SyncRecordBusy when
        /// another run holds it, StateFileCorrupt when the snapshot is damaged.
        /// </summary>
        public SyncRecord Open(string export, SyncFingerprint fingerprint)
        {
            if (fingerprint == null) throw new ArgumentNullException(nameof(fingerprint));
            var name = StateNames.Validate(export, "export");
            Home.EnsureFolder(SyncFolder);
            var journalPath = JournalFile(name);
            StrictModes.RequireTrustedFile(journalPath, "sync journal", secret: false);
            FileStream journal;
            try
            {
                journal = UnixPermissions.WithOwnerOnlyUmask(() =>
                    new FileStream(journalPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.None));
            }
            catch (IOException ex)
            {
                throw new StateException(StateErrorIds.SyncRecordBusy,
                    $"The sync record of export '{name}' is in use by another run of it ('{journalPath}': {ex.Message}). Wait for that run to end.", journalPath, ex);
            }
            try
            {
                UnixPermissions.Set(journalPath, UnixPermissions.OwnerOnlyFile);
                RemoveSnapshotLeftovers(name);
                var record = ReadSnapshot(name, out var fromSnapshot);
                record.Attach(journal);
                var replay = ReplayJournal(journal, fromSnapshot, record);
                record.Rebased = Rebase(record, fingerprint);
                byte[] scratch = new byte[256];
                if (record.Rebased != SyncRebase.None || replay.Frames > 0)
                {
                    // Resume and rebase both end in one snapshot and an empty journal.
                    WriteSnapshot(record);
                    ResetJournal(journal, record.Fingerprint, ref scratch);
                }
                else if (!replay.HasHeader)
                {
                    ResetJournal(journal, record.Fingerprint, ref scratch);
                }
                else
                {
                    // Drop a torn tail before appending after it.
                    journal.SetLength(replay.ValidLength);
                    journal.Position = replay.ValidLength;
                }
                return record;
            }
            catch
            {
                journal.Dispose();
                throw;
            }
        }

        /// <summary>Deletes the record of an export (Remove-AutopilotExport); false when there was none. Throws SyncRecordBusy while a run holds it.</summary>
        public bool Remove(string export)
        {
            var journalPath = JournalFile(export);
            var snapshotPath = SnapshotFile(export);
            if (!Home.RequireTrusted() || !StrictModes.RequireTrustedFolder(SyncFolder, "sync folder")) return false;
            if (!File.Exists(journalPath) && !File.Exists(snapshotPath)) return false;
            FileStream? held = null;
            try
            {
                if (File.Exists(journalPath))
                    held = new FileStream(journalPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (!(ex is FileNotFoundException))
            {
                throw new StateException(StateErrorIds.SyncRecordBusy,
                    $"The sync record of export '{export}' is in use by a run of it ('{journalPath}'). Wait for that run to end.", journalPath, ex);
            }
            using (held)
            {
                if (File.Exists(snapshotPath)) File.Delete(snapshotPath);
            }
            if (File.Exists(journalPath)) File.Delete(journalPath);
            return true;
        }

        /// <summary>Temporary files of a snapshot write that was killed; only this export's (its journal lock is held).</summary>
        private void RemoveSnapshotLeftovers(string export)
        {
            var prefix = "." + Path.GetFileName(SnapshotFile(export)) + ".";
            foreach (var file in Directory.GetFiles(SyncFolder, prefix + "*" + ".tmp"))
            {
                try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        private static SyncRebase Rebase(SyncRecord record, SyncFingerprint wanted)
        {
            var had = record.Fingerprint;
            record.Fingerprint = wanted;
            // A new record (no snapshot, no journal) adopts the fingerprint.
            if (had.Equals(wanted) || had.Connection.Length == 0 && had.FieldMap.Length == 0 && record.Count == 0) return SyncRebase.None;
            if (had.Connection != wanted.Connection)
            {
                record.Clear();
                return SyncRebase.ConnectionChanged;
            }
            record.ClearHashes();
            return SyncRebase.FieldMapChanged;
        }

        private SyncRecord ReadSnapshot(string export, out SyncFingerprint? fingerprint)
        {
            fingerprint = null;
            var path = SnapshotFile(export);
            SyncIndex? entries = null;
            var lists = new List<string>();
            if (StrictModes.RequireTrustedFile(path, "sync record", secret: false))
            {
                byte[] raw;
                try { raw = File.ReadAllBytes(path); }
                catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException) { raw = Array.Empty<byte>(); }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    throw StrictModes.Unreadable(path, "sync record", ex is UnauthorizedAccessException ? "access is denied" : ex.Message, ex);
                }
                if (raw.Length > 0)
                {
                    try
                    {
                        fingerprint = Decode(raw, out entries, lists);
                    }
                    catch (Exception ex) when (ex is InvalidDataException || ex is EndOfStreamException || ex is OverflowException || ex is OutOfMemoryException && raw.Length < 1024)
                    {
                        throw new StateException(StateErrorIds.StateFileCorrupt,
                            $"The sync record '{path}' cannot be read: {ex.Message}. Move it away to start afresh: the next run then sends every contact once, and Mirror removes nobody it put on a list before.",
                            path, ex);
                    }
                }
            }
            return new SyncRecord(this, export, fingerprint ?? new SyncFingerprint("", ""), entries, lists);
        }

        private static SyncFingerprint Decode(byte[] raw, out SyncIndex? entries, List<string> lists)
        {
            if (raw.Length < SnapshotMagic.Length || !StartsWith(raw, SnapshotMagic)) throw new InvalidDataException("it is not an AutopilotExport sync record");
            byte[] body;
            int length;
            using (var input = new MemoryStream(raw, SnapshotMagic.Length, raw.Length - SnapshotMagic.Length, writable: false))
            using (var gzip = new GZipStream(input, CompressionMode.Decompress))
            using (var output = new MemoryStream(raw.Length * 3))
            {
                gzip.CopyTo(output, 256 * 1024);
                body = output.GetBuffer();
                length = (int)output.Length;
            }
            var r = new SyncCodec.Reader(body, 0, length);
            var version = r.ReadVarint();
            if (version != 1) throw new InvalidDataException($"it has version {version}, written by a newer AutopilotExport; update the module");
            var fp = new SyncFingerprint(r.ReadString(), r.ReadString());
            int listCount = r.ReadCount(1 << 20);
            for (int i = 0; i < listCount; i++) lists.Add(r.ReadString());
            int count = r.ReadCount(length);
            if (length - r.Position < 4) throw new InvalidDataException("the data ends early");
            var end = new SyncCodec.Reader(body, length - 4, 4);
            if (end.ReadUInt32() != EndMarker) throw new InvalidDataException("its end is missing");
            entries = count == 0 ? null : new SyncIndex(body, r.Position, length - 4, count, listCount);
            return fp;
        }

        internal void WriteSnapshot(SyncRecord record)
        {
            var overlay = record.Overlay;
            var baseIndex = record.Base;
            var body = new MemoryStream(Math.Max(1024, (baseIndex?.EntriesEnd ?? 0) + overlay.Count * 48 + 1024));
            byte[] scratch = new byte[256];
            SyncCodec.WriteVarint(body, 1);
            SyncCodec.WriteString(body, record.Fingerprint.Connection, ref scratch);
            SyncCodec.WriteString(body, record.Fingerprint.FieldMap, ref scratch);
            SyncCodec.WriteVarint(body, (ulong)record.ListIds.Count);
            foreach (var id in record.ListIds) SyncCodec.WriteString(body, id, ref scratch);
            SyncCodec.WriteVarint(body, (ulong)record.CountUnlocked);
            foreach (var kv in overlay)
            {
                SyncCodec.WriteString(body, kv.Key, ref scratch);
                SyncCodec.WriteUInt64(body, kv.Value.Hash);
                SyncCodec.WriteVarint(body, kv.Value.Bits);
                var extra = kv.Value.Extra;
                SyncCodec.WriteVarint(body, (ulong)(extra?.Length ?? 0));
                if (extra != null) foreach (var i in extra) SyncCodec.WriteVarint(body, (ulong)i);
            }
            if (baseIndex != null)
            {
                // Unchanged contacts are copied byte for byte; the ones the overlay shadows are left out.
                var shadowed = new HashSet<int>();
                foreach (var key in overlay.Keys)
                {
                    int offset = baseIndex.Find(key);
                    if (offset >= 0) shadowed.Add(offset);
                }
                int pos = baseIndex.EntriesStart, runStart = pos;
                for (int i = 0; i < baseIndex.Count; i++)
                {
                    int start = pos;
                    baseIndex.Read(start, out pos);
                    if (!shadowed.Contains(start)) continue;
                    body.Write(baseIndex.Body, runStart, start - runStart);
                    runStart = pos;
                }
                body.Write(baseIndex.Body, runStart, pos - runStart);
            }
            for (int i = 0; i < 4; i++) body.WriteByte((byte)(EndMarker >> (8 * i)));

            var file = new MemoryStream((int)Math.Min(int.MaxValue, body.Length / 2 + 64));
            file.Write(SnapshotMagic, 0, SnapshotMagic.Length);
            using (var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true))
                gzip.Write(body.GetBuffer(), 0, (int)body.Length);
            Home.EnsureFolder(SyncFolder);
            AtomicFile.WriteAllBytes(SnapshotFile(record.Export), file.ToArray(), ownerOnly: true);
        }

        internal void ResetJournal(FileStream journal, SyncFingerprint fingerprint, ref byte[] scratch)
        {
            var header = new MemoryStream();
            header.WriteByte(OpHeader);
            SyncCodec.WriteString(header, fingerprint.Connection, ref scratch);
            SyncCodec.WriteString(header, fingerprint.FieldMap, ref scratch);
            var frame = Frame(header);
            journal.SetLength(0);
            journal.Position = 0;
            journal.Write(JournalMagic, 0, JournalMagic.Length);
            journal.Write(frame, 0, frame.Length);
            journal.Flush(flushToDisk: true);
        }

        internal byte[] EncodeConfirmed(IReadOnlyCollection<ConfirmedContact> batch, ref byte[] scratch)
        {
            var lists = new List<string>();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var c in batch)
                if (c.ListId != null && !index.ContainsKey(c.ListId)) { index[c.ListId] = lists.Count; lists.Add(c.ListId); }
            var payload = new MemoryStream(batch.Count * 48 + 64);
            payload.WriteByte(OpConfirmed);
            SyncCodec.WriteVarint(payload, (ulong)lists.Count);
            foreach (var l in lists) SyncCodec.WriteString(payload, l, ref scratch);
            SyncCodec.WriteVarint(payload, (ulong)batch.Count);
            foreach (var c in batch)
            {
                SyncCodec.WriteString(payload, c.Email, ref scratch);
                SyncCodec.WriteUInt64(payload, c.PayloadHash);
                SyncCodec.WriteVarint(payload, c.ListId == null ? 0UL : (ulong)index[c.ListId] + 1);
            }
            return Frame(payload);
        }

        internal byte[] EncodeRemoved(string listId, IReadOnlyCollection<string> emails, ref byte[] scratch)
        {
            var payload = new MemoryStream(emails.Count * 32 + 64);
            payload.WriteByte(OpRemoved);
            SyncCodec.WriteString(payload, listId, ref scratch);
            SyncCodec.WriteVarint(payload, (ulong)emails.Count);
            foreach (var e in emails) SyncCodec.WriteString(payload, e ?? throw new ArgumentException("An email is null.", nameof(emails)), ref scratch);
            return Frame(payload);
        }

        /// <summary>[payload length][CRC-32 of the payload][payload], little-endian.</summary>
        private static byte[] Frame(MemoryStream payload)
        {
            var body = payload.GetBuffer();
            int n = (int)payload.Length;
            var frame = new byte[FrameHeader + n];
            uint crc = SyncCodec.Crc32(body, 0, n);
            for (int i = 0; i < 4; i++) { frame[i] = (byte)(n >> (8 * i)); frame[4 + i] = (byte)(crc >> (8 * i)); }
            Buffer.BlockCopy(body, 0, frame, FrameHeader, n);
            return frame;
        }

        private struct Replay
        {
            public bool HasHeader;
            public long ValidLength;
            public int Frames;
        }

        /// <summary>
        /// Applies the journal's frames in order up to the first incomplete or damaged one. A journal written for
        /// another fingerprint than the snapshot's (a leftover from before a rebase) is applied as the rebase would
        /// leave it: nothing of it for another connection, no hashes for another field map.
        /// </summary>
        private static Replay ReplayJournal(FileStream journal, SyncFingerprint? snapshotFingerprint, SyncRecord record)
        {
            var result = new Replay();
            journal.Position = 0;
            var bytes = new byte[journal.Length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = journal.Read(bytes, read, bytes.Length - read);
                if (n == 0) break;
                read += n;
            }
            if (read < JournalMagic.Length || !StartsWith(bytes, JournalMagic)) return result;
            int pos = JournalMagic.Length;
            bool ignoreAll = false, ignoreHashes = false;
            while (read - pos >= FrameHeader)
            {
                int length = bytes[pos] | bytes[pos + 1] << 8 | bytes[pos + 2] << 16 | bytes[pos + 3] << 24;
                uint crc = (uint)(bytes[pos + 4] | bytes[pos + 5] << 8 | bytes[pos + 6] << 16 | bytes[pos + 7] << 24);
                if (length <= 0 || length > MaxFrame || read - pos - FrameHeader < length) break;
                if (SyncCodec.Crc32(bytes, pos + FrameHeader, length) != crc) break;
                var r = new SyncCodec.Reader(bytes, pos + FrameHeader, length);
                try
                {
                    var op = r.ReadByte();
                    if (!result.HasHeader)
                    {
                        if (op != OpHeader) break;
                        var fp = new SyncFingerprint(r.ReadString(), r.ReadString());
                        if (snapshotFingerprint != null && !fp.Equals(snapshotFingerprint))
                        {
                            ignoreAll = fp.Connection != snapshotFingerprint.Connection;
                            ignoreHashes = !ignoreAll;
                        }
                        else if (snapshotFingerprint == null)
                        {
                            record.Fingerprint = fp;
                        }
                        result.HasHeader = true;
                    }
                    else if (op == OpConfirmed)
                    {
                        // The whole frame is read before any of it is applied.
                        var lists = new List<string>();
                        int nLists = r.ReadCount(length);
                        for (int i = 0; i < nLists; i++) lists.Add(r.ReadString());
                        int count = r.ReadCount(length);
                        var contacts = new List<ConfirmedContact>(count);
                        for (int i = 0; i < count; i++)
                        {
                            var email = r.ReadString();
                            var hash = r.ReadUInt64();
                            int list = r.ReadCount(nLists);
                            contacts.Add(new ConfirmedContact(email, ignoreHashes ? SyncRecord.UnknownHash : hash, list == 0 ? null : lists[list - 1]));
                        }
                        if (!ignoreAll) foreach (var c in contacts) record.ApplyConfirmed(c.Email, c.PayloadHash, c.ListId);
                        result.Frames++;
                    }
                    else if (op == OpRemoved)
                    {
                        var list = r.ReadString();
                        int count = r.ReadCount(length);
                        var emails = new List<string>(count);
                        for (int i = 0; i < count; i++) emails.Add(r.ReadString());
                        if (!ignoreAll) foreach (var email in emails) record.ApplyRemoved(list, email);
                        result.Frames++;
                    }
                    else
                    {
                        break;
                    }
                }
                catch (InvalidDataException)
                {
                    break;
                }
                pos += FrameHeader + length;
                result.ValidLength = pos;
            }
            if (!result.HasHeader) result.ValidLength = 0;
            return result;
        }

        private static bool StartsWith(byte[] data, byte[] prefix)
        {
            if (data.Length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++) if (data[i] != prefix[i]) return false;
            return true;
        }
    }
}
