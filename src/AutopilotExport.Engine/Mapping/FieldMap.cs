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
                var property = RequireProperty(key, entry.Value);
                if (canonical == StandardFields.Email) map.Email = property;
                else map.Standard[canonical] = property;
            }
            return map;
        }

        /// <summary>Adds custom fields from <c>@{ 'Loyalty Tier'='Tier' }</c> or <c>@{ 'Orders'=@{Property='N';Type='integer'} }</c>.</summary>
        public static void AddCustomFields(FieldMap map, IDictionary customs)
        {
            foreach (DictionaryEntry c in customs)
            {
                var name = Convert.ToString(c.Key, CultureInfo.InvariantCulture)?.Trim() ?? "";
                if (name.Length == 0) throw new ArgumentException("A custom field name is empty.");
                if (name.Contains("--"))
                    throw new ArgumentException($"Custom field name '{name}' contains '--', which the API uses to encode spaces.");
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
                    map.Custom[name] = new CustomFieldMapping(RequireProperty(name, prop), ParseType(name, Convert.ToString(type, CultureInfo.InvariantCulture)));
                }
                else
                {
                    map.Custom[name] = new CustomFieldMapping(RequireProperty(name, c.Value));
                }
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

        private static string RequireProperty(string key, object? value)
        {
            var s = Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim();
            if (string.IsNullOrEmpty(s)) throw new ArgumentException($"Field map key '{key}' names no input property.");
            return s!;
        }

        /// <summary>The map's checks that apply to a whole map (each entry is checked as it is read): the email
        /// is required to match contacts, and standard fields use the API's names. Throws ArgumentException.</summary>
        public FieldMap Validate()
        {
            if (string.IsNullOrWhiteSpace(Email))
                throw new ArgumentException("The field map has no Email property: name the input property that holds the email address, e.g. @{ Email = 'Mail' }; the email is required to match contacts.");
            foreach (var kv in Standard)
                if (!StandardFields.TryGetCanonical(kv.Key, out _))
                    throw new ArgumentException($"Field map names '{kv.Key}', which is not an Autopilot standard field.");
            return this;
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
