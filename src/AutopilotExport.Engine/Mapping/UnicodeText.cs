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
    }
}
