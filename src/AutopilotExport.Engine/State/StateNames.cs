using System;
using System.Security.Cryptography;
using System.Text;

namespace AutopilotExport.Engine.State
{
    /// <summary>Rules for connection and export names (case-insensitive) and their file-safe forms.</summary>
    public static class StateNames
    {
        public const int MaxLength = 128;
        public static readonly StringComparer Comparer = StringComparer.OrdinalIgnoreCase;

        /// <summary>Trims and checks a name for saving; throws <see cref="StateException"/> (InvalidName) with the reason.</summary>
        public static string Validate(string? name, string what)
        {
            var trimmed = name?.Trim() ?? "";
            if (trimmed.Length == 0)
                throw new StateException(StateErrorIds.InvalidName, $"The {what} name is empty.");
            if (trimmed.Length > MaxLength)
                throw new StateException(StateErrorIds.InvalidName, $"The {what} name is longer than {MaxLength} characters.");
            foreach (var c in trimmed)
            {
                if (char.IsControl(c))
                    throw new StateException(StateErrorIds.InvalidName, $"The {what} name '{trimmed}' contains a control character.");
                if (c == '*' || c == '?' || c == '[' || c == ']' || c == '`')
                    throw new StateException(StateErrorIds.InvalidName,
                        $"The {what} name '{trimmed}' contains '{c}': wildcard characters are reserved for Get-/Remove- name patterns.");
            }
            return trimmed;
        }

        /// <summary>A file name for the item: readable part plus a hash of the case-folded name (no collisions, no path tricks).</summary>
        public static string ToFileName(string name, string extension)
        {
            var folded = (name ?? "").Trim().ToLowerInvariant();
            var sb = new StringBuilder();
            foreach (var c in folded)
            {
                if (sb.Length >= 40) break;
                sb.Append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ? c : '_');
            }
            byte[] hash;
            using (var sha = SHA256.Create()) hash = sha.ComputeHash(Encoding.UTF8.GetBytes(folded));
            var hex = new StringBuilder(8);
            for (int i = 0; i < 4; i++) hex.Append(hash[i].ToString("x2"));
            return (sb.Length > 0 ? sb + "-" : "") + hex + extension;
        }
    }
}
