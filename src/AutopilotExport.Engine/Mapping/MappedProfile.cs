using System;
using System.Collections.Generic;

namespace AutopilotExport.Engine.Mapping
{
    public enum FieldValueKind : byte { String, Integer, Float, Boolean, Date }

    /// <summary>One typed value ready for the JSON payload. Dates are kept as their ISO-8601 text.</summary>
    public readonly struct FieldValue
    {
        // A value has one kind, so the integer, the float's bits and the flag share one field: every mapped field of
        // every row is one of these, and 24 bytes instead of 32 is a quarter less for the collector.
        private readonly long _bits;

        private FieldValue(FieldValueKind kind, string? text, long bits)
        {
            Kind = kind; Text = text; _bits = bits;
        }

        public FieldValueKind Kind { get; }
        public string? Text { get; }
        public long Integer => Kind == FieldValueKind.Integer ? _bits : 0;
        public double Number => Kind == FieldValueKind.Float ? BitConverter.Int64BitsToDouble(_bits) : 0;
        public bool Flag => Kind == FieldValueKind.Boolean && _bits != 0;

        public static FieldValue FromString(string s) => new FieldValue(FieldValueKind.String, s, 0);
        public static FieldValue FromInteger(long i) => new FieldValue(FieldValueKind.Integer, null, i);
        public static FieldValue FromFloat(double d) => new FieldValue(FieldValueKind.Float, null, BitConverter.DoubleToInt64Bits(d));
        public static FieldValue FromBoolean(bool b) => new FieldValue(FieldValueKind.Boolean, null, b ? 1 : 0);
        public static FieldValue FromDate(string iso) => new FieldValue(FieldValueKind.Date, iso, 0);

        public override string ToString() => Kind switch
        {
            FieldValueKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
            FieldValueKind.Float => Number.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            FieldValueKind.Boolean => Flag ? "true" : "false",
            _ => Text ?? "",
        };
    }

    /// <summary>A validated profile as plain data: what the senders turn into one contact object.</summary>
    public sealed class MappedProfile
    {
        public MappedProfile(string email, string? segment, KeyValuePair<string, FieldValue>[] fields, KeyValuePair<string, FieldValue>[] custom)
        {
            Email = email; Segment = segment; Fields = fields; Custom = custom;
        }

        /// <summary>For a mapper that reuses its profile (row intake): the next row's values in the same instance.</summary>
        internal void Refill(string email, string? segment, KeyValuePair<string, FieldValue>[] fields, KeyValuePair<string, FieldValue>[] custom)
        {
            Email = email; Segment = segment; Fields = fields; Custom = custom;
        }

        /// <summary>Trimmed, spelled as given.</summary>
        public string Email { get; private set; }
        /// <summary>The row's own segment (from the segment property), or null.</summary>
        public string? Segment { get; private set; }
        /// <summary>Standard fields other than Email, by canonical name.</summary>
        public KeyValuePair<string, FieldValue>[] Fields { get; private set; }
        /// <summary>Custom fields by their typed API key, e.g. <c>string--Loyalty--Tier</c>.</summary>
        public KeyValuePair<string, FieldValue>[] Custom { get; private set; }
    }

    /// <summary>Either a profile or the reason the row cannot be exported.</summary>
    public readonly struct MapResult
    {
        private MapResult(MappedProfile? profile, string? errorId, string? reason, string? rawEmail, string? segment)
        {
            Profile = profile; ErrorId = errorId; Reason = reason; RawEmail = rawEmail; Segment = segment;
        }

        public MappedProfile? Profile { get; }
        public string? ErrorId { get; }
        public string? Reason { get; }
        /// <summary>A refused row's email as given (shortened), for the row report; null when it had none.</summary>
        public string? RawEmail { get; }
        /// <summary>A refused row's own segment, when it had a usable one.</summary>
        public string? Segment { get; }
        public bool Success => Profile != null;

        public static MapResult Ok(MappedProfile p) => new MapResult(p, null, null, null, null);
        public static MapResult Error(string errorId, string reason, string? rawEmail = null, string? segment = null) =>
            new MapResult(null, errorId, reason, rawEmail, segment);
    }
}
