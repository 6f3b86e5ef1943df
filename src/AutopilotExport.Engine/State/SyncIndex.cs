using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// The contacts of a loaded snapshot, left in the snapshot's own bytes: an open-addressing table of entry offsets
    /// over the decompressed body. Loading a million contacts then allocates no object per contact (a dictionary of a
    /// million strings costs most of a second in allocation and garbage collection); a changed contact goes to the
    /// <see cref="SyncRecord"/>'s overlay, which shadows its entry here. Entry layout: [varint n][n bytes of the
    /// case-folded email, UTF-8][8 bytes hash][varint list bits][varint extra count][varint extra list indices].
    /// </summary>
    internal sealed class SyncIndex
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);
        private readonly byte[] _body;
        private readonly int[] _slots; // entry offset + 1; 0: empty
        private readonly int _mask;
        private byte[] _scratch = new byte[256];

        public SyncIndex(byte[] body, int entriesStart, int entriesEnd, int count, int listCount)
        {
            _body = body; EntriesStart = entriesStart; EntriesEnd = entriesEnd; Count = count;
            int size = 16;
            while (size < count * 2) size <<= 1;
            _slots = new int[size];
            _mask = size - 1;
            int pos = entriesStart;
            for (int i = 0; i < count; i++)
            {
                int start = pos;
                var r = new SyncCodec.Reader(body, pos, entriesEnd - pos);
                int n = r.ReadCount(entriesEnd - pos);
                int keyAt = r.Position;
                r.Skip(n + 8);
                var bits = r.ReadVarint();
                if (listCount < 64 && (bits >> listCount) != 0) throw new InvalidDataException("a contact names a list that is not in the table");
                int extra = r.ReadCount(listCount);
                for (int k = 0; k < extra; k++) r.ReadCount(listCount - 1);
                pos = r.Position;
                uint h = Hash(body, keyAt, n);
                int slot = (int)h & _mask;
                while (_slots[slot] != 0)
                {
                    if (KeyEquals(_slots[slot] - 1, body, keyAt, n)) throw new InvalidDataException("a contact is listed twice");
                    slot = (slot + 1) & _mask;
                }
                _slots[slot] = start + 1;
            }
            if (pos != entriesEnd) throw new InvalidDataException("the contact table does not end where the file says");
        }

        public int Count { get; }
        public int EntriesStart { get; }
        public int EntriesEnd { get; }
        public byte[] Body => _body;

        /// <summary>The offset of the entry for a case-folded email, or -1.</summary>
        public int Find(string foldedEmail)
        {
            int max = Utf8.GetMaxByteCount(foldedEmail.Length);
            if (_scratch.Length < max) _scratch = new byte[Math.Max(max, _scratch.Length * 2)];
            int n = Utf8.GetBytes(foldedEmail, 0, foldedEmail.Length, _scratch, 0);
            int slot = (int)Hash(_scratch, 0, n) & _mask;
            while (_slots[slot] != 0)
            {
                if (KeyEquals(_slots[slot] - 1, _scratch, 0, n)) return _slots[slot] - 1;
                slot = (slot + 1) & _mask;
            }
            return -1;
        }

        public SyncRecord.Entry Read(int offset, out int end)
        {
            var r = new SyncCodec.Reader(_body, offset, EntriesEnd - offset);
            int n = r.ReadCount(EntriesEnd - offset);
            r.Skip(n);
            var e = new SyncRecord.Entry { Hash = r.ReadUInt64(), Bits = r.ReadVarint() };
            int extra = r.ReadCount(int.MaxValue);
            if (extra > 0)
            {
                e.Extra = new int[extra];
                for (int k = 0; k < extra; k++) e.Extra[k] = r.ReadCount(int.MaxValue);
            }
            end = r.Position;
            return e;
        }

        public string KeyAt(int offset)
        {
            var r = new SyncCodec.Reader(_body, offset, EntriesEnd - offset);
            return r.ReadString();
        }

        /// <summary>Every entry's offset, in file order.</summary>
        public IEnumerable<int> Offsets()
        {
            int pos = EntriesStart;
            for (int i = 0; i < Count; i++)
            {
                int start = pos;
                Read(start, out pos);
                yield return start;
            }
        }

        /// <summary>Sets every stored hash to unknown, in place (the field map changed).</summary>
        public void ClearHashes()
        {
            foreach (var offset in Offsets())
            {
                var r = new SyncCodec.Reader(_body, offset, EntriesEnd - offset);
                int n = r.ReadCount(EntriesEnd - offset);
                Array.Clear(_body, r.Position + n, 8);
            }
        }

        private bool KeyEquals(int offset, byte[] key, int keyAt, int n)
        {
            var r = new SyncCodec.Reader(_body, offset, EntriesEnd - offset);
            if (r.ReadCount(EntriesEnd - offset) != n) return false;
            int at = r.Position;
            for (int i = 0; i < n; i++) if (_body[at + i] != key[keyAt + i]) return false;
            return true;
        }

        /// <summary>FNV-1a with a final avalanche, so the low bits that pick the slot are well mixed.</summary>
        private static uint Hash(byte[] data, int offset, int count)
        {
            uint h = 2166136261;
            for (int i = offset; i < offset + count; i++) h = (h ^ data[i]) * 16777619;
            h ^= h >> 16; h *= 0x85EBCA6B; h ^= h >> 13; h *= 0xC2B2AE35; h ^= h >> 16;
            return h;
        }
    }
}
