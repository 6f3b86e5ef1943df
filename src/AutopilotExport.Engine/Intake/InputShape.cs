using System;
using System.Linq;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Intake
{
    /// <summary>
    /// Tells once, early, when the input does not look like profiles at all (files, plain strings, directory users
    /// fetched without their mail property): the first few rows have none of the properties the email address can
    /// come from. Each such row is still its own MissingEmail; this names what was expected and what the rows have,
    /// which one error per row cannot. Pipeline thread only; it decides within <see cref="Sample"/> rows and then
    /// costs nothing.
    /// </summary>
    internal sealed class InputShape
    {
        /// <summary>How many rows without an email property it takes to say so.</summary>
        public const int Sample = 3;
        private const int NamesShown = 8;

        private readonly string[] _emailProperties;
        private readonly bool _mapped;
        private int _rows;
        private string[]? _seen;

        public InputShape(FieldMap? map)
        {
            _mapped = map != null;
            _emailProperties = map != null ? new[] { map.Email } : ProfileMapper.EmailCandidates;
        }

        /// <summary>True once it has decided (a row with an email property came, or the warning was given).</summary>
        public bool Decided { get; private set; }

        /// <summary>Looks at one row; the warning when this row completes a sample without any email property.</summary>
        public string? Look(IRecordReader? row)
        {
            // A $null row says nothing about the input's shape (it is its own NullRow error).
            if (Decided || row == null) return null;
            foreach (var property in _emailProperties)
            {
                if (row.TryGetValue(property, out _) || HasSpacedName(row, property))
                {
                    Decided = true;
                    return null;
                }
            }
            _seen ??= row.PropertyNames.ToArray();
            return ++_rows < Sample ? null : Warn();
        }

        /// <summary>A property the mapper also reads: its name equals <paramref name="property"/> once surrounding spaces
        /// are ignored (a CSV header ' Email ').</summary>
        private static bool HasSpacedName(IRecordReader row, string property)
        {
            foreach (var name in row.PropertyNames)
                if (name != null && name.Length != property.Length && string.Equals(name.Trim(), property, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        /// <summary>At the end of the input: the warning when it ended before a full sample, none of it profile-like.</summary>
        public string? Finish() => Decided || _rows == 0 ? null : Warn();

        private string Warn()
        {
            Decided = true;
            var rows = _rows == 1 ? "the first row has" : $"the first {_rows} rows have";
            var expected = _mapped
                ? $"property '{_emailProperties[0]}' (where the field map reads the email address)"
                : $"property the email address can come from ({string.Join(", ", _emailProperties.Take(_emailProperties.Length - 1))} or {_emailProperties[_emailProperties.Length - 1]})";
            var seen = _seen == null || _seen.Length == 0
                ? "they have no properties at all (plain values such as text or numbers?)"
                : $"properties found: {string.Join(", ", _seen.Take(NamesShown))}{(_seen.Length > NamesShown ? $" ({_seen.Length - NamesShown} more)" : "")}";
            return $"The input does not look like profiles: {rows} no {expected}; {seen}. " +
                (_mapped ? "Check that the rows carry that property, or map the property that holds the address as Email."
                         : "Pipe in objects with one of those properties, or map the property that holds the address as Email.");
        }
    }
}
