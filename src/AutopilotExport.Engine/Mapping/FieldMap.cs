using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace AutopilotExport.Engine.Mapping
{
    /// <summary>The Autopilot standard contact fields (contract: PascalCase, plus owner_name and unsubscribed).</summary>
    public static class StandardFields
    {
        public const string Email = "Email";

        public static readonly IReadOnlyList<string> Names = new[]
        {
            "Email", "FirstName", "LastName", "Salutation", "Title", "Company", "NumberOfEmployees", "Industry",
            "Phone", "MobilePhone", "Fax", "Website", "Twitter", "LinkedIn", "MailingStreet", "MailingCity",
            "MailingState", "MailingPostalCode", "MailingCountry", "LeadSource", "Status", "owner_name", "unsubscribed",
        };

        private static readonly Dictionary<string, string> Canonical =
            Names.ToDictionary(n => n, n => n, StringComparer.OrdinalIgnoreCase);

        /// <summary>Case-insensitive lookup of a standard field name; gives the API's exact spelling.</summary>
        public static bool TryGetCanonical(string name, out string canonical)
        {
            if (name != null && Canonical.TryGetValue(name.Trim(), out var c)) { canonical = c; return true; }
            canonical = "";
            return false;
        }
    }

    /// <summary>
    /// "Data matching": which input property feeds the email (required) and which feed the other standard and
    /// custom fields. Keys of <see cref="Standard"/> are canonical standard field names; keys of
    /// <see cref="Custom"/> are the custom field names as Autopilot shows them ("Loyalty Tier").
    /// </summary>
    public sealed class FieldMap
    {
        public string? Email { get; set; }
        public Dictionary<string, string> Standard { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, CustomFieldMapping> Custom { get; set; } = new Dictionary<string, CustomFieldMapping>(StringComparer.OrdinalIgnoreCase);

        /// <summary>
        /// Reads the hashtable form users write: <c>@{ Email='Mail'; FirstName='GivenName'; Company='Org';
        /// Custom=@{ 'Loyalty Tier'='Tier'; 'Order Count'=@{ Property='Orders'; Type='integer' } } }</c>.
        /// A key that is neither a standard field nor Custom/CustomField is an error, naming the key.
        /// </summary>
        public static FieldMap FromDictionary(IDictionary spec)
        {
            if (spec == null) throw new ArgumentNullException(nameof(spec));
            var map = new FieldMap();
            foreach (DictionaryEntry entry in spec)
            {
                var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture)?.Trim() ?? "";
                if (key.Equals("Custom", StringComparison.OrdinalIgnoreCase) || key.Equals("CustomField", StringComparison.OrdinalIgnoreCase))
                {
                    if (!(entry.Value is IDictionary customs))
                        throw new ArgumentException($"Field map key '{key}' must be a hashtable of custom field name = input property.");
                    AddCustomFields(map, customs);
                    continue;
                }
                if (!StandardFields.TryGetCanonical(key, out var canonical))
                    throw new ArgumentException(
                        $"Field map key '{key}' is not an Autopilot standard field. Standard fields: {string.Join(", ", StandardFields.Names)}. " +
                        "Put custom fields under Custom = @{ 'Field Name' = 'InputProperty' }.");
                map.AddStandard(canonical, entry.Value, $"Field map key '{key}'");
            }
            return map;
        }

        /// <summary>
        /// Maps a standard field (any spelling of its name) to the input property <paramref name="property"/>;
        /// <paramref name="source"/> says where it was given ("-Field key 'Company'") for the error. A field
        /// given twice is an error: one of the two would be dropped without a word.
        /// </summary>
        public void AddStandard(string field, object? property, string source)
        {
            if (!StandardFields.TryGetCanonical(field, out var canonical))
                throw new ArgumentException($"{source}: '{field}' is not an Autopilot standard field ({string.Join(", ", StandardFields.Names)}).");
            var name = RequireProperty(source, property);
            if (canonical == StandardFields.Email)
            {
                if (Email != null) throw new ArgumentException($"{source}: Email is mapped twice ('{Email}' and '{name}').");
                Email = name;
                return;
            }
            if (Standard.TryGetValue(canonical, out var had))
                throw new ArgumentException($"{source}: standard field '{canonical}' is mapped twice ('{had}' and '{name}').");
            Standard[canonical] = name;
        }

        /// <summary>Adds custom fields from <c>@{ 'Loyalty Tier'='Tier' }</c> or <c>@{ 'Orders'=@{Property='N';Type='integer'} }</c>.</summary>
        public static void AddCustomFields(FieldMap map, IDictionary customs)
        {
            foreach (DictionaryEntry c in customs)
            {
                var name = Convert.ToString(c.Key, CultureInfo.InvariantCulture)?.Trim() ?? "";
                CheckCustomName(name);
                CustomFieldMapping mapping;
                if (c.Value is IDictionary detail)
                {
                    object? prop = null, type = null;
                    foreach (DictionaryEntry d in detail)
                    {
                        var dk = Convert.ToString(d.Key, CultureInfo.InvariantCulture);
                        if (string.Equals(dk, "Property", StringComparison.OrdinalIgnoreCase)) prop = d.Value;
                        else if (string.Equals(dk, "Type", StringComparison.OrdinalIgnoreCase)) type = d.Value;
                        else throw new ArgumentException($"Custom field '{name}': unknown key '{dk}' (use Property and Type).");
                    }
                    if (type != null && !(type is string))
                        throw new ArgumentException($"Custom field '{name}': Type holds {DescribeSpecValue(type)}, not a type name (string, integer, float, boolean, date).");
                    mapping = new CustomFieldMapping(RequireProperty($"Custom field '{name}'", prop), ParseType(name, (string?)type));
                }
                else
                {
                    mapping = new CustomFieldMapping(RequireProperty($"Custom field '{name}'", c.Value));
                }
                // The dictionary ignores case: a second 'tier' next to 'Tier' (an [ordered] or case-sensitive
                // hashtable) would replace the first without a word.
                if (map.Custom.ContainsKey(name))
                    throw new ArgumentException($"Custom field '{name}' is given twice (names that differ only in case are the same Autopilot field).");
                map.Custom[name] = mapping;
            }
        }

        public static CustomFieldType ParseType(string field, string? type)
        {
            if (string.IsNullOrWhiteSpace(type)) return CustomFieldType.Auto;
            switch (type!.Trim().ToLowerInvariant())
            {
                case "auto": return CustomFieldType.Auto;
                case "string": case "text": return CustomFieldType.String;
                case "integer": case "int": case "long": return CustomFieldType.Integer;
                case "float": case "double": case "decimal": case "number": return CustomFieldType.Float;
                case "boolean": case "bool": return CustomFieldType.Boolean;
                case "date": case "datetime": return CustomFieldType.Date;
                default:
                    throw new ArgumentException($"Custom field '{field}': type '{type}' is not one of string, integer, float, boolean, date.");
            }
        }

        /// <summary>
        /// A property name is text. Anything else (a hashtable, an array, a script block, $null, a number) would
        /// be turned into text such as "System.Collections.Hashtable" and looked up as a property that no row has.
        /// </summary>
        private static string RequireProperty(string source, object? value)
        {
            if (!(value is string text))
                throw new ArgumentException($"{source} holds {DescribeSpecValue(value)}, not the name of an input property: write the property name as text, e.g. 'Mail'.");
            var s = text.Trim();
            if (s.Length == 0) throw new ArgumentException($"{source} names no input property (the name is empty).");
            return s;
        }

        private static string DescribeSpecValue(object? value)
        {
            switch (value)
            {
                case null: return "$null";
                case IDictionary _: return $"a hashtable ({value.GetType().FullName})";
                case string _: return "text";
                case IEnumerable _: return $"a list ({value.GetType().FullName})";
            }
            var type = value.GetType();
            if (type.IsPrimitive || value is decimal)
                return $"the number {Convert.ToString(value, CultureInfo.InvariantCulture)} ({type.Name})";
            if (type.FullName == "System.Management.Automation.ScriptBlock") return "a script block";
            return $"an object of type {type.FullName}";
        }

        /// <summary>
        /// The map's checks that apply to a whole map, for every way a map is made (a hashtable, the
        /// Set-AutopilotFieldMap parameters, a stored map): the email is required to match contacts, standard
        /// fields use the API's names, every property is named, and custom field names are names the API keeps
        /// as given and that stay apart once encoded. Throws ArgumentException.
        /// </summary>
        public FieldMap Validate()
        {
            if (string.IsNullOrWhiteSpace(Email))
                throw new ArgumentException("The field map has no Email property: name the input property that holds the email address, e.g. @{ Email = 'Mail' }; the email is required to match contacts.");
            foreach (var kv in Standard)
            {
                if (!StandardFields.TryGetCanonical(kv.Key, out _))
                    throw new ArgumentException($"Field map names '{kv.Key}', which is not an Autopilot standard field.");
                if (string.IsNullOrWhiteSpace(kv.Value))
                    throw new ArgumentException($"Field map key '{kv.Key}' names no input property (the name is empty).");
            }
            var encoded = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in Custom)
            {
                var name = kv.Key ?? "";
                CheckCustomName(name);
                if (string.IsNullOrWhiteSpace(kv.Value?.Property))
                    throw new ArgumentException($"Custom field '{name}' names no input property (the name is empty).");
                // 'a -b' and 'a- b' both become a---b, and Autopilot keys custom fields ignoring case: two names
                // that meet here would be merged into one field.
                var key = EncodedName(name);
                if (encoded.TryGetValue(key, out var other))
                    throw new ArgumentException($"Custom fields '{other}' and '{name}' become the same Autopilot field ('{key}'): rename one of them.");
                encoded[key] = name;
            }
            return this;
        }

        /// <summary>The rule for one custom field name (checked as a name is read, and again on the whole map).</summary>
        private static void CheckCustomName(string name)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A custom field name is empty.");
            if (name.Contains("--"))
                throw new ArgumentException($"Custom field name '{name}' contains '--', which the API uses to encode spaces.");
            var problem = UnicodeText.NameProblem(name);
            if (problem != null)
                throw new ArgumentException($"Custom field name '{Printable(name)}' cannot be used: {problem}. Use letters, digits, punctuation and plain spaces.");
        }

        /// <summary>The name part of a custom field's API key: spaces become '--' (<c>Loyalty--Tier</c>).</summary>
        public static string EncodedName(string name) => name.Trim().Replace(" ", "--");

        /// <summary>A name for a message, with control, format and other invisible characters shown as \uXXXX.</summary>
        public static string Printable(string name)
        {
            var sb = new System.Text.StringBuilder(name.Length);
            foreach (var c in name)
            {
                var category = char.GetUnicodeCategory(c);
                if (char.IsControl(c) || category == UnicodeCategory.Format || category == UnicodeCategory.Surrogate
                    || category == UnicodeCategory.SpaceSeparator && c != ' '
                    || category == UnicodeCategory.LineSeparator || category == UnicodeCategory.ParagraphSeparator)
                    sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.ToString();
        }

        /// <summary>"Email&lt;-Mail, FirstName&lt;-GivenName, custom 'Loyalty Tier'&lt;-Tier (auto)" for verbose output.</summary>
        public string Describe()
        {
            var parts = new List<string>();
            if (Email != null) parts.Add($"Email<-{Email}");
            parts.AddRange(Standard.Select(kv => $"{kv.Key}<-{kv.Value}"));
            parts.AddRange(Custom.Select(kv => $"custom '{kv.Key}'<-{kv.Value.Property} ({kv.Value.Type.ToString().ToLowerInvariant()})"));
            return string.Join(", ", parts);
        }
    }
}
