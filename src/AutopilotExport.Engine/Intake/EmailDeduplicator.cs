using System;
using System.Collections.Generic;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutopilotExport.Engine.Intake
{
    /// <summary>
    /// Remembers which (email, segment) pairs a run has already taken, case-insensitively. Keeps a 128-bit
    /// hash per pair instead of the strings, so a million profiles cost ~40 MB less and memory stays flat
    /// in the size of the rows. XxHash128 rather than SHA-256: nothing here needs a cryptographic hash (the keys
    /// live only for the run), and SHA-256 through the platform's crypto library cost about 0.4 µs a row.
    /// The table is open-addressed: two longs a slot, holding 88 bits of the hash and the first row's number
    /// (40 bits, rows up to 10^12), probed linearly and kept at most half full. A look-up is one memory access
    /// where a Dictionary took a bucket, then an entry, then the same again to add; at a million pairs that
    /// access is what de-duplication costs (docs/PERFORMANCE.md). A false "duplicate" would need 88 equal bits
    /// (about 1 in 10^14 for a million pairs).
    /// </summary>
    internal sealed class EmailDeduplicator
    {
        private const int RowBits = 40;
        private const ulong RowMask = (1UL << RowBits) - 1;
        private const int FirstSlots = 1024;
        // Most slots made before the first row (2^21 slots, 32 MB: a million pairs at most half full).
        private const int MostPresized = 1 << 21;

        // Slot i is _slots[2i] (the hash's first 64 bits; 0 marks an empty slot) and _slots[2i+1] (the hash's
        // other bits above RowBits, the first row below).
        private ulong[] _slots;
        private int _mask;

        /// <param name="expectedPairs">How many pairs the run can take (its profile cap): the table starts large enough
        /// for them, up to a million, so a run within its cap never re-hashes the table as it grows (each doubling moved
        /// every pair: a fifth of de-duplication's cost at a million rows). More pairs than that still fit; the table grows.</param>
        public EmailDeduplicator(long expectedPairs = 0)
        {
            int slots = FirstSlots;
            while (slots < MostPresized && slots < 2 * expectedPairs) slots *= 2;
            _slots = new ulong[2 * slots];
            _mask = slots - 1;
        }

        public int Count { get; private set; }

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
            foreach (var c in email) _chars[n++] = Upper(c);
            _chars[n++] = '\n';
            foreach (var c in segment) _chars[n++] = Upper(c);
            // The UTF-16 code units as they are: equal texts give equal bytes, no encoding step needed.
            XxHash128.Hash(MemoryMarshal.AsBytes(new ReadOnlySpan<char>(_chars, 0, n)), _hash);
            ulong a = BitConverter.ToUInt64(_hash, 0);
            if (a == 0) a = 1; // 0 marks an empty slot
            ulong tag = BitConverter.ToUInt64(_hash, 8) & ~RowMask;

            var slots = _slots;
            int i = (int)a & _mask;
            while (true)
            {
                ulong held = slots[2 * i];
                if (held == 0) break;
                if (held == a && (slots[2 * i + 1] & ~RowMask) == tag)
                {
                    firstRow = (long)(slots[2 * i + 1] & RowMask);
                    return false;
                }
                i = (i + 1) & _mask;
            }
            slots[2 * i] = a;
            slots[2 * i + 1] = tag | ((ulong)row & RowMask);
            firstRow = row;
            if (++Count * 2 > _mask + 1) Grow();
            return true;
        }

        /// <summary>char.ToUpperInvariant, with ASCII (nearly every address) answered without the casing table.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static char Upper(char c) => c < 0x80 ? (c >= 'a' && c <= 'z' ? (char)(c - 32) : c) : char.ToUpperInvariant(c);

        private void Grow()
        {
            var old = _slots;
            int capacity = (_mask + 1) * 2;
            var slots = new ulong[2 * capacity];
            int mask = capacity - 1;
            for (int j = 0; j < old.Length; j += 2)
            {
                ulong a = old[j];
                if (a == 0) continue;
                int i = (int)a & mask;
                while (slots[2 * i] != 0) i = (i + 1) & mask;
                slots[2 * i] = a;
                slots[2 * i + 1] = old[j + 1];
            }
            _slots = slots;
            _mask = mask;
        }
    }
}
