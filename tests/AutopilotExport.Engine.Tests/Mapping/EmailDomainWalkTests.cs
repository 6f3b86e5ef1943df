using System.Text;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Mapping;

/// <summary>
/// The domain of an address is checked label by label in place (issue 10: no Substring and Split per row). The rule
/// it replaced, split into labels first, is kept here as the oracle: both must give the same answer, message for
/// message, for every address, including the order in which problems are found.
/// </summary>
public class EmailDomainWalkTests
{
    private static string? SplitRule(string domain)
    {
        if (domain.Length > 253) return "the domain is longer than 253 characters";
        var labels = domain.Split('.');
        if (labels.Length < 2) return $"the domain '{domain}' has no dot";
        foreach (var label in labels)
        {
            if (label.Length == 0) return $"the domain '{domain}' has an empty label";
            if (label.Length > 63) return $"the domain '{domain}' has a label longer than 63 characters";
            if (label[0] == '-' || label[^1] == '-') return $"a label of the domain '{domain}' starts or ends with '-'";
            var first = char.GetUnicodeCategory(label[0]);
            if (first is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.EnclosingMark)
                return $"a label of the domain '{domain}' starts with a combining mark";
            foreach (char c in label)
            {
                if (c == '-' || char.IsLetterOrDigit(c) || char.IsSurrogate(c)) continue;
                if (c >= 128 && char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.NonSpacingMark) continue;
                if (char.IsWhiteSpace(c) || char.IsControl(c)) return "it contains white space or a control character";
                return $"the character '{c}' is not allowed in the domain";
            }
        }
        return labels[^1].All(char.IsDigit) ? $"the domain '{domain}' ends in a numeric label" : null;
    }

    [Fact]
    public void The_in_place_walk_answers_as_the_split_rule_for_random_domains()
    {
        // Letters, digits, dots (also doubled, leading, trailing), hyphens, a combining mark, white space, a
        // control character, an underscore, non-ASCII letters and long runs for the length limits.
        string[] pieces = { "a", "b", "z9", "0", "42", ".", ".", "..", "-", "\u0301", " ", "\t", "_", "é", "東", "ß", new string('x', 63), new string('y', 64), "com", "io" };
        var rng = new Random(10);
        int checkedCount = 0;
        for (int i = 0; i < 30_000; i++)
        {
            var sb = new StringBuilder();
            int parts = rng.Next(1, 9);
            for (int p = 0; p < parts; p++) sb.Append(pieces[rng.Next(pieces.Length)]);
            if (rng.Next(50) == 0) sb.Append(new string('w', rng.Next(150, 260))); // near the address's 254
            var domain = sb.ToString();
            if (domain.Length > 250) continue; // "ada@" + domain over 254 is refused before the domain is read
            var expected = SplitRule(domain);
            var actual = EmailAddress.Check("ada@" + domain);
            Assert.True(expected == actual, $"domain '{domain}': split rule says '{expected}', the walk says '{actual}'");
            checkedCount++;
        }
        Assert.InRange(checkedCount, 29_000, 30_000);
    }
}
