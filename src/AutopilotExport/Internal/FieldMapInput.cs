using System.Collections;
using System.Collections.Specialized;
using System.Management.Automation;

namespace AutopilotExport.Commands
{
    /// <summary>The field-map hashtables the cmdlets take, as plain .NET values for the engine's one check.</summary>
    internal static class FieldMapInput
    {
        /// <summary>
        /// A copy with PowerShell's wrappers taken off keys and values (a property name held in a variable arrives
        /// as a PSObject around its string), nested hashtables copied the same way. Keys keep their case and
        /// order, so 'Tier' and 'tier' in a case-sensitive table both reach the check that refuses them.
        /// </summary>
        public static IDictionary? Plain(IDictionary? spec)
        {
            if (spec == null) return null;
            var copy = new OrderedDictionary();
            foreach (DictionaryEntry entry in spec)
            {
                var key = entry.Key is PSObject k ? k.BaseObject : entry.Key;
                var value = entry.Value is PSObject v ? v.BaseObject : entry.Value;
                if (value is IDictionary nested) value = Plain(nested);
                copy[key] = value;
            }
            return copy;
        }
    }
}
