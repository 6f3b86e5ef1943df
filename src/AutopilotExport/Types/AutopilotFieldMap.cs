using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;

namespace AutopilotExport
{
    /// <summary>Which input property feeds which Autopilot field.</summary>
    public sealed class AutopilotFieldMap
    {
        public string? Email { get; set; }

        /// <summary>Standard field (FirstName, Company, ...) -> input property. Case-insensitive keys.</summary>
        public IDictionary Standard { get; set; } = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);

        /// <summary>Custom field name ("Loyalty Tier") -> "Property (type)". Case-insensitive keys.</summary>
        public IDictionary Custom { get; set; } = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);

        /// <summary>"Email&lt;-Mail, FirstName&lt;-GivenName, 'Loyalty Tier'&lt;-Tier (auto)".</summary>
        public override string ToString()
        {
            var parts = new List<string>();
            if (!string.IsNullOrEmpty(Email)) parts.Add("Email<-" + Email);
            foreach (DictionaryEntry e in Standard) parts.Add($"{e.Key}<-{e.Value}");
            foreach (DictionaryEntry e in Custom) parts.Add($"'{e.Key}'<-{e.Value}");
            return string.Join(", ", parts);
        }
    }
}
