using System.Globalization;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Mapping
{
    /// <summary>Checks on text before it goes into a JSON payload.</summary>
    internal static class UnicodeText
    {
        /// <summary>
        /// True when <paramref name="s"/> holds a UTF-16 surrogate that is not half of a pair (text cut in the
        /// middle of an emoji, or garbage from a bad conversion). Such text is not valid Unicode: the JSON writer
        /// silently turns it into U+FFFD, so the API would store something other than the input, and an email
        /// would then be missing from email_contact_map although it was written.
        /// </summary>
        [MethodImpl(HotPath.Optimize)]
        public static bool HasLoneSurrogate(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c < '\uD800' || c > '\uDFFF') continue;
                if (c <= '\uDBFF' && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
                return true;
            }
            return false;
        }

        /// <summary>
        /// Why <paramref name="name"/> cannot be a name the API keeps (a custom field or a list): null when it can.
        /// Refused: control characters (a CR/LF splits a list name in Autopilot's UI and in logs), lone surrogates,
        /// every separator except the plain space (a no-break space looks like a space but makes another name),
        /// and format characters (zero-width spaces, bidi overrides, BOM, tag characters: invisible, so two names
        /// that look the same would be two lists or fields).
        /// </summary>
        public static string? NameProblem(string name)
        {
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                if (char.IsSurrogate(c))
                {
                    if (!char.IsHighSurrogate(c) || i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1]))
                        return $"it holds a broken character (half of a UTF-16 surrogate pair) at position {i + 1}";
                    var pairCategory = CharUnicodeInfo.GetUnicodeCategory(name, i);
                    if (pairCategory == UnicodeCategory.Format)
                        return $"it holds an invisible character (U+{char.ConvertToUtf32(c, name[i + 1]):X5}) at position {i + 1}";
                    i++;
                    continue;
                }
                if (c == ' ') continue;
                switch (char.GetUnicodeCategory(c))
                {
                    case UnicodeCategory.Control:
                        return $"it holds a control character (U+{(int)c:X4}) at position {i + 1}";
                    case UnicodeCategory.SpaceSeparator:
                    case UnicodeCategory.LineSeparator:
                    case UnicodeCategory.ParagraphSeparator:
                        return $"it holds a space other than the plain space (U+{(int)c:X4}, e.g. a no-break space) at position {i + 1}";
                    case UnicodeCategory.Format:
                        return $"it holds an invisible formatting character (U+{(int)c:X4}) at position {i + 1}";
                }
                if (c == '\uFFFE' || c == '\uFFFF') return $"it holds a non-character (U+{(int)c:X4}) at position {i + 1}";
            }
            return null;
        }
    }
}
