using System;
using System.Collections.Generic;

namespace AutopilotExport.Engine.Mapping
{
    /// <summary>
    /// Where a <see cref="ProfileMapper"/> puts a row's values. By default each row gets new arrays and a new
    /// <see cref="MappedProfile"/>. Reused (row intake, which encodes a profile before it maps the next row and keeps
    /// nothing of it but the email string): one scratch array per kind of field, one exact-length array per count of
    /// values a row had (rows leave fields empty in few patterns), and one profile refilled — a row then allocates
    /// none of them, which is a quarter of what the module allocated a row (docs/PERFORMANCE.md).
    /// </summary>
    internal sealed class ProfileBuffers
    {
        private readonly bool _reuse;
        private MappedProfile? _profile;
        private KeyValuePair<string, FieldValue>[] _fieldScratch = Array.Empty<KeyValuePair<string, FieldValue>>();
        private KeyValuePair<string, FieldValue>[] _customScratch = Array.Empty<KeyValuePair<string, FieldValue>>();
        private KeyValuePair<string, FieldValue>[]?[] _fieldsBySize = Array.Empty<KeyValuePair<string, FieldValue>[]?>();
        private KeyValuePair<string, FieldValue>[]?[] _customBySize = Array.Empty<KeyValuePair<string, FieldValue>[]?>();

        public ProfileBuffers(bool reuse) { _reuse = reuse; }

        /// <summary>Room for a row's standard field values.</summary>
        public KeyValuePair<string, FieldValue>[] Fields(int length) => Room(ref _fieldScratch, length);

        /// <summary>Room for a row's custom field values.</summary>
        public KeyValuePair<string, FieldValue>[] Custom(int length) => Room(ref _customScratch, length);

        /// <summary>The profile with the first <paramref name="fieldCount"/> and <paramref name="customCount"/> values, in arrays of exactly that length.</summary>
        public MappedProfile Profile(string email, string? segment, KeyValuePair<string, FieldValue>[] fields, int fieldCount,
            KeyValuePair<string, FieldValue>[] custom, int customCount)
        {
            if (!_reuse) return new MappedProfile(email, segment, Trim(fields, fieldCount), Trim(custom, customCount));
            var fieldsExact = Exactly(fields, fieldCount, ref _fieldsBySize);
            var customExact = Exactly(custom, customCount, ref _customBySize);
            if (_profile == null) _profile = new MappedProfile(email, segment, fieldsExact, customExact);
            else _profile.Refill(email, segment, fieldsExact, customExact);
            return _profile;
        }

        private KeyValuePair<string, FieldValue>[] Room(ref KeyValuePair<string, FieldValue>[] scratch, int length)
        {
            if (length == 0) return Array.Empty<KeyValuePair<string, FieldValue>>();
            if (!_reuse) return new KeyValuePair<string, FieldValue>[length];
            if (scratch.Length < length) scratch = new KeyValuePair<string, FieldValue>[length];
            return scratch;
        }

        /// <summary>A new row's array, trimmed when some fields were empty (no copy when all had values, the usual case).</summary>
        private static KeyValuePair<string, FieldValue>[] Trim(KeyValuePair<string, FieldValue>[] values, int count)
        {
            if (count == values.Length) return values;
            if (count == 0) return Array.Empty<KeyValuePair<string, FieldValue>>();
            var trimmed = new KeyValuePair<string, FieldValue>[count];
            Array.Copy(values, trimmed, count);
            return trimmed;
        }

        private static KeyValuePair<string, FieldValue>[] Exactly(KeyValuePair<string, FieldValue>[] values, int count, ref KeyValuePair<string, FieldValue>[]?[] bySize)
        {
            if (count == 0) return Array.Empty<KeyValuePair<string, FieldValue>>();
            if (bySize.Length <= count) Array.Resize(ref bySize, count + 1);
            var exact = bySize[count] ??= new KeyValuePair<string, FieldValue>[count];
            Array.Copy(values, exact, count);
            return exact;
        }
    }
}
