using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Mapping;

public class EmailAddressTests
{
    [Theory]
    [InlineData("ada@example.com")]
    [InlineData("Ada.Lovelace+news@Example.co.uk")]
    [InlineData("o'brien@example.ie")]
    [InlineData("josé@exämple.de")]
    [InlineData("用户@例子.广告")]
    [InlineData("a@b.io")]
    [InlineData("x_y-z@sub-domain.example.com")]
    public void Accepts_plain_and_internationalised_mailboxes(string email) => Assert.Null(EmailAddress.Check(email));

    [Theory]
    [InlineData("", "has no '@'")]
    [InlineData("ada.example.com", "has no '@'")]
    [InlineData("ada@@example.com", "more than one '@'")]
    [InlineData("@example.com", "before '@' is empty")]
    [InlineData("ada@", "after '@' is empty")]
    [InlineData("ada@localhost", "has no dot")]
    [InlineData(".ada@example.com", "starts or ends with a dot")]
    [InlineData("ada.@example.com", "starts or ends with a dot")]
    [InlineData("a..da@example.com", "two dots")]
    [InlineData("ada lovelace@example.com", "white space")]
    [InlineData("ada@exa mple.com", "white space")]
    [InlineData("ada\u0007@example.com", "control character")]
    [InlineData("ada@example..com", "empty label")]
    [InlineData("ada@-example.com", "starts or ends with '-'")]
    [InlineData("ada@example.123", "numeric label")]
    [InlineData("Ada <ada@example.com>", "white space")]
    [InlineData("<ada>@example.com", "not allowed")]
    [InlineData("ada@exa_mple.com", "not allowed in the domain")]
    [InlineData("=cmd|' /C calc'!A0", "has no '@'")]
    public void Rejects_with_a_reason(string email, string reasonPart)
    {
        var reason = EmailAddress.Check(email);
        Assert.NotNull(reason);
        Assert.Contains(reasonPart, reason);
    }

    [Fact]
    public void Rejects_overlong_addresses()
    {
        Assert.Contains("longer than 64", EmailAddress.Check(new string('a', 65) + "@example.com"));
        Assert.Contains("longer than 254", EmailAddress.Check("a@" + string.Join(".", Enumerable.Repeat(new string('b', 60), 5)) + ".com"));
    }

    [Fact]
    public void Accepts_surrogate_pairs_but_not_a_lone_surrogate()
    {
        // An emoji is a surrogate pair and fine; half of one is not text, and the JSON writer would send U+FFFD instead.
        Assert.Null(EmailAddress.Check("smile\U0001F600@example.com"));
        Assert.Contains("broken character", EmailAddress.Check("ab\uD800@example.com"));
        Assert.Contains("broken character", EmailAddress.Check("ab@exa\uDC00mple.com"));
        Assert.Contains("broken character", EmailAddress.Check("ab\uDE00\uD83D@example.com")); // a pair in the wrong order
    }
}

/// <summary>Invisible and dangling characters that made two look-alike addresses different contacts (issue 11).</summary>
public class EmailAddressInvisibleCharacterTests
{
    [Theory]
    [InlineData("ada\U000E0041@example.com")]           // TAG LATIN CAPITAL LETTER A, hidden text
    [InlineData("\U000E0001ada@example.com")]           // LANGUAGE TAG at the start
    [InlineData("ada@example.com\U000E007F")]           // CANCEL TAG at the end
    [InlineData("ada@exam\U000E0020ple.com")]           // TAG SPACE in the domain
    [InlineData("ada\U000E0100@example.com")]           // VARIATION SELECTOR-17 (supplement)
    public void Tag_characters_are_refused(string email) => Assert.Contains("invisible character", EmailAddress.Check(email));

    [Theory]
    [InlineData("\u0301ada@example.com")]   // COMBINING ACUTE ACCENT at the start
    [InlineData("\u20DDada@example.com")]   // COMBINING ENCLOSING CIRCLE at the start
    [InlineData("\u0903ada@example.com")]   // DEVANAGARI SIGN VISARGA (spacing combining mark) at the start
    [InlineData("ada.\u0301b@example.com")] // after a dot
    [InlineData("ada@\u0301example.com")]   // at the start of the domain
    [InlineData("ada@example.\u0301com")]   // at the start of a domain label
    public void A_leading_combining_mark_is_refused(string email) => Assert.Contains("combining mark", EmailAddress.Check(email));

    [Theory]
    [InlineData("jose\u0301@example.com")]       // a combining mark after its letter stays valid
    [InlineData("ada@exa\u0301mple.com")]
    [InlineData("smile\U0001F600@example.com")] // other supplementary characters are still accepted
    public void Marks_that_combine_and_other_supplementary_characters_are_still_accepted(string email) => Assert.Null(EmailAddress.Check(email));
}
