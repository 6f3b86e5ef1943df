using System;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Mapping
{
    /// <summary>
    /// Address check for the export. Deliberately stricter than RFC 5322 (no quoted local parts, no comments,
    /// no IP-literal domains, no display names): what Autopilot keys contacts by must be a plain mailbox.
    /// Internationalised addresses (non-ASCII letters in the local part or domain) are accepted.
    /// </summary>
    public static class EmailAddress
    {
        private const string LocalSpecials = "!#$%&'*+/=?^_`{|}~-.";

        /// <summary>Returns null when <paramref name="email"/> (already trimmed) is valid, else the reason.</summary>
        [MethodImpl(HotPath.Optimize)]
        public static string? Check(string email)
        {
            if (email.Length > 254) return "it is longer than 254 characters";
            // Checked first: the loops below let surrogates through (for emoji and other non-BMP letters).
            if (UnicodeText.HasLoneSurrogate(email)) return "it holds a broken character (half of a UTF-16 surrogate pair)";
            // Invisible characters that survive every other check: tag characters (U+E0000 block, e.g. hidden
            // "ASCII smuggling" text) would make two addresses that look the same different contacts.
            if (HasInvisibleSupplementary(email)) return "it holds an invisible character (from the U+E0000 tag block)";
            int at = email.IndexOf('@');
            if (at < 0) return "it has no '@'";
            if (email.IndexOf('@', at + 1) >= 0) return "it has more than one '@'";
            if (at == 0) return "the part before '@' is empty";
            if (at == email.Length - 1) return "the domain after '@' is empty";
            if (at > 64) return "the part before '@' is longer than 64 characters";

            for (int i = 0; i < at; i++)
            {
                char c = email[i];
                if (char.IsWhiteSpace(c) || char.IsControl(c)) return "it contains white space or a control character";
                if (c == '.')
                {
                    if (i == 0 || i == at - 1) return "the part before '@' starts or ends with a dot";
                    if (email[i - 1] == '.') return "it contains two dots in a row";
                    continue;
                }
                if (c < 128 && !char.IsLetterOrDigit(c) && LocalSpecials.IndexOf(c) < 0)
                    return $"the character '{c}' is not allowed before '@'";
                if ((i == 0 || email[i - 1] == '.') && IsCombiningMark(c))
                    return "a combining mark stands at the start of the address or after a dot, with no letter to combine with";
                if (c >= 128 && !char.IsLetterOrDigit(c) && !char.IsSurrogate(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark)
                    return $"the character '{c}' is not allowed before '@'";
            }

            // The domain is walked label by label in place: the text is only cut out for a message.
            int start = at + 1;
            string Domain() => email.Substring(start);
            if (email.Length - start > 253) return "the domain is longer than 253 characters";
            if (email.IndexOf('.', start) < 0) return $"the domain '{Domain()}' has no dot";
            int label = start, last = start;
            for (int end = start; end <= email.Length; end++)
            {
                if (end < email.Length && email[end] != '.') continue;
                int length = end - label;
                if (length == 0) return $"the domain '{Domain()}' has an empty label";
                if (length > 63) return $"the domain '{Domain()}' has a label longer than 63 characters";
                if (email[label] == '-' || email[end - 1] == '-') return $"a label of the domain '{Domain()}' starts or ends with '-'";
                if (IsCombiningMark(email[label])) return $"a label of the domain '{Domain()}' starts with a combining mark";
                for (int i = label; i < end; i++)
                {
                    char c = email[i];
                    if (c == '-' || char.IsLetterOrDigit(c) || char.IsSurrogate(c)) continue;
                    if (c >= 128 && char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.NonSpacingMark) continue;
                    if (char.IsWhiteSpace(c) || char.IsControl(c)) return "it contains white space or a control character";
                    return $"the character '{c}' is not allowed in the domain";
                }
                last = label;
                label = end + 1;
            }
            bool allDigits = true;
            for (int i = last; i < email.Length; i++) if (!char.IsDigit(email[i])) { allDigits = false; break; }
            if (allDigits) return $"the domain '{Domain()}' ends in a numeric label";
            return null;
        }

        private static bool IsCombiningMark(char c)
        {
            var category = char.GetUnicodeCategory(c);
            return category == System.Globalization.UnicodeCategory.NonSpacingMark
                || category == System.Globalization.UnicodeCategory.SpacingCombiningMark
                || category == System.Globalization.UnicodeCategory.EnclosingMark;
        }

        /// <summary>Any code point of U+E0000..U+E0FFF: tag characters and the variation selectors supplement, all invisible.</summary>
        private static bool HasInvisibleSupplementary(string text)
        {
            for (int i = 0; i + 1 < text.Length; i++)
            {
                // U+E0000..U+E0FFF are the surrogate pairs DB40 DC00 .. DB43 DFFF.
                if (text[i] >= '\uDB40' && text[i] <= '\uDB43' && char.IsLowSurrogate(text[i + 1])) return true;
            }
            return false;
        }

        public static bool IsValid(string? email) => email != null && Check(email.Trim()) == null;
    }
}
