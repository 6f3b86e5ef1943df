using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text;
using static AutopilotExport.Engine.Mapping.ValueConversion;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Mapping
{
    /// <summary>
    /// Turns one input row into a <see cref="MappedProfile"/> or a per-row error. Runs on the pipeline thread,
    /// one row at a time (not thread-safe: it remembers the type each custom field was inferred as).
    /// Empty values (null, "", white space) are left out of the payload, so a blank CSV cell never blanks a
    /// field that Autopilot already holds.
    /// </summary>
    public sealed class ProfileMapper
    {
        /// <summary>Longest value sent for one field; longer is a per-row error rather than a rejected batch.</summary>
        public const int MaxValueLength = 4000;

        internal static readonly string[] EmailCandidates = { "Email", "EmailAddress", "Mail", "UserPrincipalName" };
        private static readonly string[] FirstNameCandidates = { "FirstName", "GivenName" };
        private static readonly string[] LastNameCandidates = { "LastName", "Surname", "sn" };

        private readonly FieldMap? _map;
        private readonly string? _segmentProperty;
        private readonly KeyValuePair<string, string>[] _standard;
        private readonly CustomSlot[] _custom;
        private readonly ProfileBuffers _buffers;

        private sealed class CustomSlot
        {
            public CustomSlot(string name, string property, CustomFieldType type)
            {
                Name = name; Property = property; Type = type;
                MappedTo = "custom field '" + name + "'";
            }
            public string Name { get; }
            /// <summary>What the field is called in a row's error; made once, not for every row.</summary>
            public string MappedTo { get; }
            public string Property { get; }
            /// <summary>Auto until the first non-empty value fixes it for the rest of the run.</summary>
            public CustomFieldType Type { get; set; }
            public string? Key { get; set; }
        }

        public ProfileMapper(FieldMap? map, string? segmentProperty) : this(map, segmentProperty, reuseProfile: false) { }

        /// <param name="reuseProfile">Every Map call returns the same <see cref="MappedProfile"/> instance, filled again,
        /// with arrays of its own that are reused too: for a caller done with a profile before it maps the next row
        /// (row intake encodes it at once), so a row costs no profile and no arrays.</param>
        internal ProfileMapper(FieldMap? map, string? segmentProperty, bool reuseProfile)
        {
            _buffers = new ProfileBuffers(reuseProfile);
            _map = map;
            _segmentProperty = string.IsNullOrWhiteSpace(segmentProperty) ? null : segmentProperty!.Trim();
            var standard = new List<KeyValuePair<string, string>>();
            var custom = new List<CustomSlot>();
            if (map != null)
            {
                map.Validate();
                foreach (var kv in map.Standard)
                {
                    StandardFields.TryGetCanonical(kv.Key, out var canonical);
                    if (canonical != StandardFields.Email) standard.Add(new KeyValuePair<string, string>(canonical, kv.Value));
                }
                foreach (var kv in map.Custom) custom.Add(new CustomSlot(kv.Key, kv.Value.Property, kv.Value.Type));
                foreach (var kv in standard) _unseen[kv.Value] = kv.Key;
                foreach (var slot in custom) if (!_unseen.ContainsKey(slot.Property)) _unseen[slot.Property] = $"custom field '{slot.Name}'";
            }
            if (_segmentProperty != null && !_unseen.ContainsKey(_segmentProperty)) _unseen[_segmentProperty] = "the segment";
            _standard = standard.ToArray();
            _custom = custom.ToArray();
        }

        /// <summary>Set once the first row was auto-matched (no field map): what was matched, for verbose output.</summary>
        public string? AutoMatchDescription { get; private set; }

        /// <summary>Rows that reached the field lookups (not $null rows).</summary>
        public long RowsRead { get; private set; }

        // Mapped properties (other than Email, which says so on every row) not yet found on any row: a typo
        // such as 'FirstNmae' would otherwise leave a field out of every contact without a word.
        private readonly Dictionary<string, string> _unseen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        // A mapped property found on a row only once surrounding spaces were ignored (' Email ' for 'Email'):
        // the row's own spelling, tried first on the next rows (CSV rows share their header).
        private readonly Dictionary<string, string> _spaced = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// The mapped properties no row had, each as a sentence with the rows counted; empty when every mapped
        /// property was on at least one row, or no row was read. Meant for the end of the run.
        /// </summary>
        public IReadOnlyList<string> PropertiesNotFound()
        {
            var found = new List<string>();
            if (RowsRead == 0) return found;
            foreach (var kv in _unseen)
                found.Add(string.Format(CultureInfo.InvariantCulture,
                    "Property '{0}' (mapped to {1}) was not found on any of the {2:N0} rows: check its spelling against the input's properties.",
                    kv.Key, kv.Value, RowsRead));
            return found;
        }

        [MethodImpl(HotPath.Optimize)]
        public MapResult Map(IRecordReader? row)
        {
            if (row == null) return MapResult.Error(ErrorIds.NullRow, "the row is empty ($null)");
            RowsRead++;
            Problems problems = default;

            // The segment is read before the email, so a row refused for its email keeps its segment in the
            // report; its problems are told after the email's (the email's id is the row's id).
            string? segment = null, segmentErrorId = null, segmentError = null;
            if (_segmentProperty != null && Lookup(row, _segmentProperty, out var rawSegment, ref problems, "the segment"))
            {
                var text = AsText(rawSegment);
                // IsEmpty, not a null check: a SQL NULL (DBNull) is an empty cell, so the row falls back to -Segment.
                if (text == null && !IsEmpty(rawSegment))
                {
                    segmentErrorId = ErrorIds.InvalidFieldValue;
                    segmentError = $"property '{_segmentProperty}' (the segment) holds {Describe(rawSegment)}, not a name";
                }
                else if (!string.IsNullOrWhiteSpace(text))
                {
                    var name = text!.Trim();
                    var problem = UnicodeText.NameProblem(name);
                    if (problem == null) segment = name;
                    else
                    {
                        segmentErrorId = ErrorIds.InvalidSegmentName;
                        segmentError = $"property '{_segmentProperty}' (the segment) holds '{Shorten(FieldMap.Printable(name))}', which cannot be a list name: {problem}";
                    }
                }
            }

            string? emailProperty = _map?.Email;
            KeyValuePair<string, string>[] standard = _standard;
            if (_map == null)
            {
                emailProperty = AutoMatchEmail(row);
                if (emailProperty == null)
                {
                    problems.Add(ErrorIds.MissingEmail,
                        "no field map was given and the row has no Email, EmailAddress, Mail or UserPrincipalName property holding an address");
                    if (segmentError != null) problems.Add(segmentErrorId!, segmentError);
                    return problems.Result(null, segment);
                }
                standard = AutoMatchNames(row);
                if (AutoMatchDescription == null)
                {
                    var sb = new StringBuilder("Email<-").Append(emailProperty);
                    foreach (var kv in standard) sb.Append(", ").Append(kv.Key).Append("<-").Append(kv.Value);
                    AutoMatchDescription = sb.ToString();
                }
            }

            string? email = null;
            string? rawEmailText = null;
            bool emailOk = false;
            int before = problems.Count;
            if (!Lookup(row, emailProperty!, out var rawEmail, ref problems, "Email"))
            {
                if (problems.Count == before) problems.Add(ErrorIds.MissingEmail, $"the row has no property '{emailProperty}' (mapped to Email)");
            }
            else
            {
                rawEmailText = AsText(rawEmail);
                email = rawEmailText?.Trim();
                if (string.IsNullOrEmpty(email))
                {
                    // A list, hashtable or object is not an empty cell: say what it holds instead of "is empty".
                    if (email == null && !IsEmpty(rawEmail))
                        problems.Add(ErrorIds.InvalidEmail, $"property '{emailProperty}' (mapped to Email) holds {Describe(rawEmail)}, not an email address");
                    else
                        problems.Add(ErrorIds.MissingEmail, $"property '{emailProperty}' (mapped to Email) is empty");
                }
                else
                {
                    var emailProblem = EmailAddress.Check(email!);
                    if (emailProblem != null)
                        problems.Add(ErrorIds.InvalidEmail, $"'{Shorten(email!)}' in property '{emailProperty}' is not an email address: {emailProblem}");
                    else emailOk = true;
                }
            }

            if (segmentError != null) problems.Add(segmentErrorId!, segmentError);

            // Arrays sized for every mapped field, made exact once (ProfileBuffers): this runs for every row, so no List.
            // Every field is checked, so one error names them all.
            var fields = _buffers.Fields(standard.Length);
            int fieldCount = 0;
            foreach (var kv in standard)
            {
                if (!Lookup(row, kv.Value, out var raw, ref problems, kv.Key) || IsEmpty(raw)) continue;
                var error = ConvertStandard(kv.Key, kv.Value, raw!, out var value);
                if (error != null) { problems.Add(ErrorIds.InvalidFieldValue, error); continue; }
                fields[fieldCount++] = new KeyValuePair<string, FieldValue>(kv.Key, value);
            }

            var custom = _buffers.Custom(_custom.Length);
            int customCount = 0;
            foreach (var slot in _custom)
            {
                if (!Lookup(row, slot.Property, out var raw, ref problems, slot.MappedTo) || IsEmpty(raw)) continue;
                var type = slot.Type == CustomFieldType.Auto ? Infer(raw!) : slot.Type;
                var error = ConvertCustom(slot.Name, slot.Property, type, raw!, out var value);
                if (error != null) { problems.Add(ErrorIds.InvalidFieldValue, error); continue; }
                if (problems.Has) continue; // a refused row fixes no type
                if (slot.Key == null || slot.Type == CustomFieldType.Auto)
                {
                    // The first value fixes the type: Autopilot keys a custom field by type and name, and one
                    // field must not turn into two because a later row's value looked different.
                    slot.Type = type;
                    slot.Key = TypedKey(type, slot.Name);
                }
                custom[customCount++] = new KeyValuePair<string, FieldValue>(slot.Key, value);
            }

            if (problems.Has || !emailOk) return problems.Result(emailOk ? email : rawEmailText, segment);
            return MapResult.Ok(_buffers.Profile(email!, segment, fields, fieldCount, custom, customCount));
        }

        /// <summary>Every problem of one row, so one error names each bad field (the first id is the row's id).</summary>
        private struct Problems
        {
            private string? _id;
            private StringBuilder? _reasons;
            private int _count;

            public bool Has => _id != null;
            public int Count => _count;

            public void Add(string id, string reason)
            {
                _id ??= id;
                _reasons ??= new StringBuilder();
                if (_count > 0) _reasons.Append("; ");
                _reasons.Append(reason);
                _count++;
            }

            public MapResult Result(string? rawEmail, string? segment)
            {
                var text = _count > 1 ? $"{_count} problems: {_reasons}" : _reasons!.ToString();
                return MapResult.Error(_id!, text, RawForReport(rawEmail), segment);
            }
        }

        /// <summary>Longest raw email kept for the row report: enough to recognise it, not a whole pasted document.</summary>
        public const int MaxReportedEmailLength = 320;

        private static string? RawForReport(string? raw)
        {
            if (raw == null) return null;
            return raw.Length <= MaxReportedEmailLength ? raw : raw.Substring(0, MaxReportedEmailLength) + "…";
        }

        /// <summary>
        /// The row's value of a mapped property: the exact name first (case-insensitive, as PowerShell), then the
        /// row's property whose name equals it once surrounding spaces are ignored (a CSV header ' Email '). Two
        /// such properties and no exact one: a problem of the row, since either could be meant.
        /// </summary>
        [MethodImpl(HotPath.Optimize)]
        private bool Lookup(IRecordReader row, string property, out object? value, ref Problems problems, string mappedTo)
        {
            if (row.TryGetValue(property, out value)) { Seen(property); return true; }
            if (_spaced.TryGetValue(property, out var spelled) && row.TryGetValue(spelled, out value)) { Seen(property); return true; }
            string? match = null;
            foreach (var name in row.PropertyNames)
            {
                if (name == null || name.Length == property.Length || !string.Equals(name.Trim(), property, StringComparison.OrdinalIgnoreCase)) continue;
                if (match != null)
                {
                    problems.Add(ErrorIds.AmbiguousProperty,
                        $"property '{property}' (mapped to {mappedTo}) is not on the row, and '{match}' and '{name}' both match it once surrounding spaces are ignored: rename one");
                    value = null;
                    return false;
                }
                match = name;
            }
            if (match == null || !row.TryGetValue(match, out value)) { value = null; return false; }
            _spaced[property] = match;
            Seen(property);
            return true;
        }

        private void Seen(string property)
        {
            if (_unseen.Count > 0) _unseen.Remove(property);
        }

        /// <summary>The API's typed key: <c>string--Loyalty--Tier</c> for a string field "Loyalty Tier".</summary>
        public static string TypedKey(CustomFieldType type, string name)
        {
            var prefix = type switch
            {
                CustomFieldType.Integer => "integer",
                CustomFieldType.Float => "float",
                CustomFieldType.Boolean => "boolean",
                CustomFieldType.Date => "date",
                _ => "string",
            };
            return prefix + "--" + FieldMap.EncodedName(name);
        }

        private string? AutoMatchEmail(IRecordReader row)
        {
            var none = default(Problems);
            foreach (var candidate in EmailCandidates)
            {
                if (!Lookup(row, candidate, out var v, ref none, "Email")) continue;
                var text = AsText(v)?.Trim();
                if (string.IsNullOrEmpty(text)) continue;
                // A UPN looks like an address but need not be one ("user@corp.local" is, "DOMAIN\user" is not).
                if (candidate == "UserPrincipalName" && !EmailAddress.IsValid(text)) continue;
                return candidate;
            }
            // A row that has an email-like property, all empty: name the first so the error says which.
            foreach (var candidate in EmailCandidates)
                if (candidate != "UserPrincipalName" && Lookup(row, candidate, out _, ref none, "Email")) return candidate;
            return null;
        }

        private KeyValuePair<string, string>[] AutoMatchNames(IRecordReader row)
        {
            var none = default(Problems);
            var result = new List<KeyValuePair<string, string>>(2);
            foreach (var c in FirstNameCandidates)
                if (Lookup(row, c, out var v, ref none, "FirstName") && !IsEmpty(v)) { result.Add(new KeyValuePair<string, string>("FirstName", c)); break; }
            foreach (var c in LastNameCandidates)
                if (Lookup(row, c, out var v, ref none, "LastName") && !IsEmpty(v)) { result.Add(new KeyValuePair<string, string>("LastName", c)); break; }
            return result.ToArray();
        }
    }
}
