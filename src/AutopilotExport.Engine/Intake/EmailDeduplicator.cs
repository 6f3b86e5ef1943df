using System;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutopilotExport.Engine.Intake
{
    /// <summary>
    /// Remembers which (email, segment) pairs a run has already taken, case-insensitively. Keeps a 128-bit
    /// hash per pair instead of the strings, so memory stays flat in the size of the rows (24 bytes a slot, at
    /// most 70% of slots used: about 35 bytes a pair); a false "duplicate" would need a 128-bit collision (about
    /// 1 in 10^26 for a million pairs). XxHash128 rather than SHA-256: nothing here needs a cryptographic hash
    /// (the keys live only for the run). The table is open-addressed with linear probing: a million pairs are
    /// far bigger than the processor's caches, and one probe sequence per row both finds and inserts, where a
    /// Dictionary looked up and then inserted, missing the cache twice (docs/PERFORMANCE.md).
    /// </summary>
    internal sealed class EmailDeduplicator
    {
        private const int InitialSlots = 1024; // a power of two
        private ulong[] _a = new ulong[InitialSlots], _b = new ulong[InitialSlots];
        private long[] _firstRow = new long[InitialSlots];
        private int _count;

        public int Count => _count;

        // Reused for every row (one thread): the upper-cased text, so a row costs no allocation.
        private char[] _chars = new char[256];
        private readonly byte[] _hash = new byte[16];

        /// <summary>True the first time this email is seen in this segment; else gives the row that had it first.</summary>
        [MethodImpl(HotPath.Optimize)]
        public bool TryAdd(string email, string segment, long row, out long firstRow)
        {
            int length = email.Length + 1 + segment.Length;
            if (_chars.Length < length) _chars = new char[length * 2];
            int n = 0;
            // Upper-casing char by char is what OrdinalIgnoreCase compares, the rule the API (and the answer check)
            // match emails by; lower-casing would join addresses the API keeps apart (the Kelvin sign and 'k').
            foreach (var c in email) _chars[n++] = char.ToUpperInvariant(c);
            _chars[n++] = '\n';
            foreach (var c in segment) _chars[n++] = char.ToUpperInvariant(c);
            // The UTF-16 code units as they are: equal texts give equal bytes, no encoding step needed.
            XxHash128.Hash(MemoryMarshal.AsBytes(new ReadOnlySpan<char>(_chars, 0, n)), _hash);
            ulong a = BitConverter.ToUInt64(_hash, 0), b = BitConverter.ToUInt64(_hash, 8);
            if (a == 0 && b == 0) a = 1; // (0, 0) marks an empty slot

            int mask = _a.Length - 1;
            for (int i = (int)(a ^ (a >> 32)) & mask; ; i = (i + 1) & mask)
            {
                if (_a[i] == a && _b[i] == b) { firstRow = _firstRow[i]; return false; }
                if (_a[i] != 0 || _b[i] != 0) continue;
                _a[i] = a; _b[i] = b; _firstRow[i] = row;
                if (++_count * 10 > _a.Length * 7) Grow();
                firstRow = row;
                return true;
            }
        }

        private void Grow()
        {
            ulong[] oldA = _a, oldB = _b;
            long[] oldRows = _firstRow;
            _a = new ulong[oldA.Length * 2]; _b = new ulong[oldA.Length * 2]; _firstRow = new long[oldA.Length * 2];
            int mask = _a.Length - 1;
            for (int j = 0; j < oldA.Length; j++)
            {
                ulong a = oldA[j], b = oldB[j];
                if (a == 0 && b == 0) continue;
                int i = (int)(a ^ (a >> 32)) & mask;
                while (_a[i] != 0 || _b[i] != 0) i = (i + 1) & mask;
                _a[i] = a; _b[i] = b; _firstRow[i] = oldRows[j];
            }
        }
    }
}
