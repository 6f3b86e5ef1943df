using System;
using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Mapping
{
    /// <summary>
    /// The value rules of the mapping: what counts as empty, the text of a scalar, and how a raw input value becomes
    /// a standard field or a custom field of a type (integer, float, boolean, date, string), or the reason it
    /// cannot. Stateless; <see cref="ProfileMapper"/> applies them to each row.
    /// </summary>
    internal static class ValueConversion
    {
        internal static bool IsEmpty(object? v) => v == null || v is DBNull || (v is string s && string.IsNullOrWhiteSpace(s));

        /// <summary>Text of a scalar value (invariant culture); null for null and for values that are not scalars.</summary>
        [MethodImpl(HotPath.Optimize)]
        internal static string? AsText(object? v)
        {
            switch (v)
            {
                case null: return null;
                case DBNull _: return null;
                case string s: return s;
                case char c: return c.ToString();
                case bool b: return b ? "true" : "false";
                case DateTime dt: return FormatDate(dt);
                case DateTimeOffset dto: return FormatDate(dto);
                case IFormattable f when IsScalar(v): return f.ToString(null, CultureInfo.InvariantCulture);
                case Guid g: return g.ToString();
                case Uri u: return u.ToString();
                default: return null;
            }
        }

        internal static bool IsScalar(object v) => v.GetType().IsPrimitive || v is decimal || v is BigInteger || v is Enum || v is Guid || v is TimeSpan;

        [MethodImpl(HotPath.Optimize)]
        internal static string? ConvertStandard(string field, string property, object raw, out FieldValue value)
        {
            value = default;
            if (field == "unsubscribed")
            {
                if (!TryBoolean(raw, out var b)) return $"property '{property}' (mapped to unsubscribed) holds {Describe(raw)}, not true or false";
                value = FieldValue.FromBoolean(b);
                return null;
            }
            var text = AsText(raw);
            if (text == null) return $"property '{property}' (mapped to {field}) holds {Describe(raw)}, not a single value";
            text = text.Trim();
            if (text.Length > ProfileMapper.MaxValueLength) return $"property '{property}' (mapped to {field}) is {text.Length} characters long; at most {ProfileMapper.MaxValueLength} are sent";
            if (UnicodeText.HasLoneSurrogate(text)) return $"property '{property}' (mapped to {field}) holds text with a broken character (half of a UTF-16 surrogate pair)";
            value = FieldValue.FromString(text);
            return null;
        }

        internal static CustomFieldType Infer(object raw) => raw switch
        {
            bool _ => CustomFieldType.Boolean,
            sbyte _ or byte _ or short _ or ushort _ or int _ or uint _ or long _ or ulong _ or BigInteger _ => CustomFieldType.Integer,
            float _ or double _ or decimal _ => CustomFieldType.Float,
            DateTime _ or DateTimeOffset _ => CustomFieldType.Date,
            _ => CustomFieldType.String,
        };

        [MethodImpl(HotPath.Optimize)]
        internal static string? ConvertCustom(string name, string property, CustomFieldType type, object raw, out FieldValue value)
        {
            value = default;
            // Only built for an error: this runs for every custom value of every row.
            string Where() => $"property '{property}' (custom field '{name}', {type.ToString().ToLowerInvariant()})";
            switch (type)
            {
                case CustomFieldType.Integer:
                    if (TryInteger(raw, out var i)) { value = FieldValue.FromInteger(i); return null; }
                    return $"{Where()} holds {Describe(raw)}, not a whole number";
                case CustomFieldType.Float:
                    if (TryFloat(raw, out var d)) { value = FieldValue.FromFloat(d); return null; }
                    return $"{Where()} holds {Describe(raw)}, not a finite number (use '.' as the decimal separator)";
                case CustomFieldType.Boolean:
                    if (TryBoolean(raw, out var b)) { value = FieldValue.FromBoolean(b); return null; }
                    return $"{Where()} holds {Describe(raw)}, not true or false";
                case CustomFieldType.Date:
                    if (TryDate(raw, out var iso)) { value = FieldValue.FromDate(iso); return null; }
                    return $"{Where()} holds {Describe(raw)}, not a date (use ISO 8601, e.g. 2026-11-23 or 2026-11-23T10:00:00Z)";
                default:
                    var text = AsText(raw);
                    if (text == null) return $"{Where()} holds {Describe(raw)}, not a single value";
                    if (text.Length > ProfileMapper.MaxValueLength) return $"{Where()} is {text.Length} characters long; at most {ProfileMapper.MaxValueLength} are sent";
                    if (UnicodeText.HasLoneSurrogate(text)) return $"{Where()} holds text with a broken character (half of a UTF-16 surrogate pair)";
                    value = FieldValue.FromString(text);
                    return null;
            }
        }

        // 2^63 as a double: (long)d of this or above is not a long (it saturates to long.MaxValue on .NET 9+).
        private const double TwoTo63 = 9223372036854775808.0;

        [MethodImpl(HotPath.Optimize)]
        internal static bool TryInteger(object raw, out long result)
        {
            switch (raw)
            {
                case long l: result = l; return true;
                case int n: result = n; return true;
                case short n: result = n; return true;
                case byte n: result = n; return true;
                case sbyte n: result = n; return true;
                case ushort n: result = n; return true;
                case uint n: result = n; return true;
                case ulong n when n <= long.MaxValue: result = (long)n; return true;
                case double d when d == Math.Floor(d) && d >= -TwoTo63 && d < TwoTo63: result = (long)d; return true;
                case float f when f == Math.Floor(f) && f >= -TwoTo63 && f < TwoTo63: result = (long)f; return true;
                case decimal m when m == decimal.Truncate(m) && m >= long.MinValue && m <= long.MaxValue: result = (long)m; return true;
                case BigInteger b when b >= long.MinValue && b <= long.MaxValue: result = (long)b; return true;
                case string s: return long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result);
                default: result = 0; return false;
            }
        }

        [MethodImpl(HotPath.Optimize)]
        internal static bool TryFloat(object raw, out double result)
        {
            switch (raw)
            {
                case double d: result = d; break;
                // Via its shortest text: a SQL 'real' 19.99 is sent as 19.99, not as the widened 19.989999771118164.
                case float f: result = double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture); break;
                case decimal m: result = (double)m; break;
                case string s:
                    if (!double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out result)) return false;
                    break;
                default:
                    if (TryInteger(raw, out var l) && !(raw is string)) { result = l; break; }
                    result = 0; return false;
            }
            return !double.IsNaN(result) && !double.IsInfinity(result);
        }

        /// <summary>
        /// true/false, yes/no, y/n and 1/0 as text; for numbers one rule whatever their type (an [int] from a
        /// script, a [byte] or [decimal] from SQL, a [double] from JSON): 0 is false, 1 is true, anything else is
        /// not a boolean.
        /// </summary>
        [MethodImpl(HotPath.Optimize)]
        internal static bool TryBoolean(object raw, out bool result)
        {
            result = false;
            switch (raw)
            {
                case bool b: result = b; return true;
                case string s:
                    switch (s.Trim().ToLowerInvariant())
                    {
                        case "true": case "yes": case "1": case "y": result = true; return true;
                        case "false": case "no": case "0": case "n": result = false; return true;
                    }
                    return false;
                case float f: return ZeroOrOne(f == 0 ? 0 : f == 1 ? 1 : -1, out result);
                case double d: return ZeroOrOne(d == 0 ? 0 : d == 1 ? 1 : -1, out result);
                case decimal m: return ZeroOrOne(m == 0 ? 0 : m == 1 ? 1 : -1, out result);
                case BigInteger big: return ZeroOrOne(big.IsZero ? 0 : big.IsOne ? 1 : -1, out result);
                case sbyte _: case byte _: case short _: case ushort _: case int _: case uint _: case long _: case ulong _:
                    return TryInteger(raw, out var n) && ZeroOrOne(n, out result);
            }
            return false;
        }

        internal static bool ZeroOrOne(long n, out bool result)
        {
            result = n == 1;
            return n == 0 || n == 1;
        }

        /// <summary>
        /// ISO 8601 only: "02/03/2024" is 2 March in most of the world and 3 February in the invariant culture,
        /// so text in any other shape is a per-row error rather than a silently wrong date.
        /// </summary>
        private static readonly string[] IsoDateFormats =
        {
            "yyyy-MM-dd",
            "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
            "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
            "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
            "yyyy-MM-dd HH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
        };

        [MethodImpl(HotPath.Optimize)]
        internal static bool TryDate(object raw, out string iso)
        {
            switch (raw)
            {
                case DateTime dt: iso = FormatDate(dt); return true;
                case DateTimeOffset dto: iso = FormatDate(dto); return true;
                case string s when DateTimeOffset.TryParseExact(s.Trim(), IsoDateFormats, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out var parsed):
                    iso = FormatDate(parsed); return true;
            }
            iso = "";
            return false;
        }

        /// <summary>ISO 8601 in UTC. A DateTime of unspecified kind (SQL dates, parsed CSV text) is taken as UTC,
        /// so a date-only value keeps its calendar day.</summary>
        internal static string FormatDate(DateTime dt)
        {
            var utc = dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : DateTime.SpecifyKind(dt, DateTimeKind.Utc);
            return Iso(utc);
        }

        internal static string FormatDate(DateTimeOffset dto) => Iso(dto.UtcDateTime);

        /// <summary>yyyy-MM-ddTHH:mm:ssZ, written digit by digit: a custom format string is parsed again on every
        /// call, and a date field is formatted once per row.</summary>
        [ThreadStatic] private static char[]? _isoChars;

        private static string Iso(DateTime utc)
        {
            var c = _isoChars ??= new char[20];
            Digits(c, 0, utc.Year, 4); c[4] = '-';
            Digits(c, 5, utc.Month, 2); c[7] = '-';
            Digits(c, 8, utc.Day, 2); c[10] = 'T';
            Digits(c, 11, utc.Hour, 2); c[13] = ':';
            Digits(c, 14, utc.Minute, 2); c[16] = ':';
            Digits(c, 17, utc.Second, 2); c[19] = 'Z';
            return new string(c);
        }

        private static void Digits(char[] to, int at, int value, int width)
        {
            for (int i = at + width - 1; i >= at; i--, value /= 10) to[i] = (char)('0' + value % 10);
        }

        internal static string Describe(object? v)
        {
            if (v == null) return "nothing";
            if (v is string s) return $"'{Shorten(s)}'";
            if (v is IDictionary) return "a dictionary";
            if (v is IEnumerable) return "a list of values";
            var text = AsText(v);
            if (text != null) return $"'{Shorten(text)}' ({v.GetType().Name})";
            return $"an object of type {v.GetType().FullName}";
        }

        internal static string Shorten(string s)
        {
            var sb = new StringBuilder(Math.Min(s.Length, 80));
            foreach (var c in s)
            {
                if (sb.Length >= 60) { sb.Append("…"); break; }
                sb.Append(char.IsControl(c) ? '?' : c);
            }
            return sb.ToString();
        }
    }
}
