using System.Collections;
using System.Globalization;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Mapping;

public class ProfileMapperTests
{
    private static ProfileMapper Mapper(Hashtable spec, string? segmentProperty = null) => new(FieldMap.FromDictionary(spec), segmentProperty);

    private static Dictionary<string, string> Fields(MappedProfile p) => p.Fields.ToDictionary(f => f.Key, f => f.Value.ToString());
    private static Dictionary<string, FieldValue> Custom(MappedProfile p) => p.Custom.ToDictionary(f => f.Key, f => f.Value);

    [Fact]
    public void Maps_standard_fields_by_canonical_name_and_skips_empty_values()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail", ["FirstName"] = "GivenName", ["LastName"] = "sn", ["Company"] = "Org" });
        var r = m.Map(new TestRecord(("mail", "  Ada@Example.com "), ("GivenName", "Ada"), ("SN", ""), ("Org", null)));
        Assert.True(r.Success, r.Reason);
        Assert.Equal("Ada@Example.com", r.Profile!.Email);
        Assert.Equal(new Dictionary<string, string> { ["FirstName"] = "Ada" }, Fields(r.Profile));
    }

    [Fact]
    public void Missing_and_invalid_emails_are_per_row_errors_with_reasons()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail" });
        var none = m.Map(new TestRecord(("Name", "x")));
        Assert.Equal(ErrorIds.MissingEmail, none.ErrorId);
        Assert.Contains("no property 'Mail'", none.Reason);
        var blank = m.Map(new TestRecord(("Mail", "   ")));
        Assert.Equal(ErrorIds.MissingEmail, blank.ErrorId);
        var bad = m.Map(new TestRecord(("Mail", "not-an-address")));
        Assert.Equal(ErrorIds.InvalidEmail, bad.ErrorId);
        Assert.Contains("'not-an-address' in property 'Mail' is not an email address", bad.Reason);
        Assert.Equal(ErrorIds.NullRow, m.Map(null).ErrorId);
    }

    [Fact]
    public void Custom_fields_get_typed_keys_with_spaces_as_double_dashes()
    {
        var m = Mapper(new Hashtable
        {
            ["Email"] = "Email",
            ["Custom"] = new Hashtable
            {
                ["Loyalty Tier"] = "Tier",
                ["Order Count"] = "Orders",
                ["Lifetime Value"] = "Ltv",
                ["Is VIP"] = "Vip",
                ["Signed Up"] = "Since",
            },
        });
        var r = m.Map(new TestRecord(("Email", "a@b.io"), ("Tier", "gold"), ("Orders", 3), ("Ltv", 12.5m), ("Vip", true),
            ("Since", new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Unspecified))));
        Assert.True(r.Success, r.Reason);
        var c = Custom(r.Profile!);
        Assert.Equal("gold", c["string--Loyalty--Tier"].Text);
        Assert.Equal(3, c["integer--Order--Count"].Integer);
        Assert.Equal(12.5, c["float--Lifetime--Value"].Number);
        Assert.True(c["boolean--Is--VIP"].Flag);
        Assert.Equal("2024-02-29T00:00:00Z", c["date--Signed--Up"].Text);
    }

    [Fact]
    public void Inferred_type_is_fixed_by_the_first_value_and_later_rows_convert_or_fail()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Email", ["Custom"] = new Hashtable { ["Orders"] = "Orders" } });
        Assert.Equal(5, Custom(m.Map(new TestRecord(("Email", "a@b.io"), ("Orders", 5))).Profile!)["integer--Orders"].Integer);
        // A later row holding text that is a whole number still fits the integer field...
        Assert.Equal(7, Custom(m.Map(new TestRecord(("Email", "b@b.io"), ("Orders", "7"))).Profile!)["integer--Orders"].Integer);
        // ...and text that is not is a per-row error rather than a second field "string--Orders".
        var bad = m.Map(new TestRecord(("Email", "c@b.io"), ("Orders", "many")));
        Assert.Equal(ErrorIds.InvalidFieldValue, bad.ErrorId);
        Assert.Contains("custom field 'Orders', integer", bad.Reason);
        Assert.Contains("'many'", bad.Reason);
    }

    [Theory]
    [InlineData("integer", "42", FieldValueKind.Integer, "42")]
    [InlineData("integer", "-7", FieldValueKind.Integer, "-7")]
    [InlineData("float", "3.25", FieldValueKind.Float, "3.25")]
    [InlineData("float", "1e3", FieldValueKind.Float, "1000")]
    [InlineData("boolean", "Yes", FieldValueKind.Boolean, "true")]
    [InlineData("boolean", "0", FieldValueKind.Boolean, "false")]
    [InlineData("date", "2026-11-23", FieldValueKind.Date, "2026-11-23T00:00:00Z")]
    [InlineData("date", "2026-11-23T10:30:00+02:00", FieldValueKind.Date, "2026-11-23T08:30:00Z")]
    [InlineData("date", "2026-11-23T10:30:00.25Z", FieldValueKind.Date, "2026-11-23T10:30:00Z")]
    [InlineData("date", " 2026-11-23 10:30 ", FieldValueKind.Date, "2026-11-23T10:30:00Z")]
    [InlineData("string", "=cmd|' /C calc'!A0", FieldValueKind.String, "=cmd|' /C calc'!A0")]
    public void Stated_types_convert_text_from_csv(string type, string text, FieldValueKind kind, string expected)
    {
        var m = Mapper(new Hashtable { ["Email"] = "Email", ["Custom"] = new Hashtable { ["F"] = new Hashtable { ["Property"] = "V", ["Type"] = type } } });
        var r = m.Map(new TestRecord(("Email", "a@b.io"), ("V", text)));
        Assert.True(r.Success, r.Reason);
        var v = Assert.Single(r.Profile!.Custom).Value;
        Assert.Equal(kind, v.Kind);
        Assert.Equal(expected, v.ToString());
    }

    [Theory]
    [InlineData("integer", "3,5")]
    [InlineData("integer", "1.5")]
    [InlineData("float", "3,14")]
    [InlineData("float", "NaN")]
    [InlineData("boolean", "maybe")]
    [InlineData("date", "next tuesday")]
    [InlineData("date", "02/03/2024")]          // 2 March or 3 February: ambiguous, so refused
    [InlineData("date", "23.11.2026")]
    [InlineData("date", "Nov 23 2026")]
    public void Unconvertible_text_is_InvalidFieldValue(string type, string text)
    {
        var m = Mapper(new Hashtable { ["Email"] = "Email", ["Custom"] = new Hashtable { ["F"] = new Hashtable { ["Property"] = "V", ["Type"] = type } } });
        var r = m.Map(new TestRecord(("Email", "a@b.io"), ("V", text)));
        Assert.Equal(ErrorIds.InvalidFieldValue, r.ErrorId);
    }

    [Fact]
    public void Numbers_are_written_culture_invariantly_whatever_the_thread_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            var m = Mapper(new Hashtable { ["Email"] = "Email", ["Company"] = "Revenue" });
            var r = m.Map(new TestRecord(("Email", "a@b.io"), ("Revenue", 1234.5)));
            Assert.Equal("1234.5", Fields(r.Profile!)["Company"]);
        }
        finally { CultureInfo.CurrentCulture = saved; }
    }

    [Fact]
    public void Collections_objects_and_overlong_values_are_per_row_errors()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Email", ["Company"] = "V" });
        Assert.Contains("a list of values", m.Map(new TestRecord(("Email", "a@b.io"), ("V", new[] { "x", "y" }))).Reason);
        Assert.Contains("a dictionary", m.Map(new TestRecord(("Email", "a@b.io"), ("V", new Hashtable { ["a"] = 1 }))).Reason);
        Assert.Contains("an object of type System.Object", m.Map(new TestRecord(("Email", "a@b.io"), ("V", new object()))).Reason);
        var longRow = m.Map(new TestRecord(("Email", "a@b.io"), ("V", new string('x', 1_000_000))));
        Assert.Equal(ErrorIds.InvalidFieldValue, longRow.ErrorId);
        Assert.Contains("1000000 characters", longRow.Reason);
    }

    [Fact]
    public void Without_a_map_common_names_are_matched_and_described()
    {
        var m = new ProfileMapper(null, null);
        var r = m.Map(new TestRecord(("UserPrincipalName", "ada@corp.example"), ("GivenName", "Ada"), ("Surname", "Lovelace")));
        Assert.True(r.Success, r.Reason);
        Assert.Equal("ada@corp.example", r.Profile!.Email);
        Assert.Equal(new Dictionary<string, string> { ["FirstName"] = "Ada", ["LastName"] = "Lovelace" }, Fields(r.Profile));
        Assert.Equal("Email<-UserPrincipalName, FirstName<-GivenName, LastName<-Surname", m.AutoMatchDescription);
    }

    [Fact]
    public void Auto_match_prefers_Email_then_EmailAddress_then_Mail_and_skips_a_UPN_that_is_no_address()
    {
        var m = new ProfileMapper(null, null);
        Assert.Equal("e@x.io", m.Map(new TestRecord(("Mail", "m@x.io"), ("Email", "e@x.io"))).Profile!.Email);
        Assert.Equal("m@x.io", m.Map(new TestRecord(("Email", ""), ("Mail", "m@x.io"))).Profile!.Email);
        Assert.Equal("a@x.io", m.Map(new TestRecord(("EmailAddress", "a@x.io"), ("sn", "Z"))).Profile!.Email);
        var upn = m.Map(new TestRecord(("UserPrincipalName", "CORP\\ada")));
        Assert.Equal(ErrorIds.MissingEmail, upn.ErrorId);
        Assert.Contains("no Email, EmailAddress, Mail or UserPrincipalName", upn.Reason);
    }

    [Fact]
    public void Segment_property_gives_each_row_its_segment()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Email" }, "Tier");
        Assert.Equal("Gold", m.Map(new TestRecord(("Email", "a@b.io"), ("tier", " Gold "))).Profile!.Segment);
        Assert.Null(m.Map(new TestRecord(("Email", "a@b.io"), ("tier", ""))).Profile!.Segment);
        Assert.Equal(ErrorIds.InvalidFieldValue, m.Map(new TestRecord(("Email", "a@b.io"), ("tier", new[] { 1, 2 }))).ErrorId);
        Assert.Null(m.Map(new TestRecord(("Email", "a@b.io"), ("tier", DBNull.Value))).Profile!.Segment); // a SQL NULL falls back to -Segment
    }

    [Fact]
    public void Unsubscribed_is_sent_only_when_mapped_and_must_be_boolean()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Email", ["unsubscribed"] = "Optout" });
        var v = Assert.Single(m.Map(new TestRecord(("Email", "a@b.io"), ("Optout", "false"))).Profile!.Fields);
        Assert.Equal("unsubscribed", v.Key);
        Assert.Equal(FieldValueKind.Boolean, v.Value.Kind);
        Assert.Equal(ErrorIds.InvalidFieldValue, m.Map(new TestRecord(("Email", "a@b.io"), ("Optout", "perhaps"))).ErrorId);
    }
}

/// <summary>Row intake's mapper reuses one profile and its arrays; what it gives for each row must be what a fresh
/// profile holds, whatever fields the rows leave empty, and a refused row in between changes nothing.</summary>
public class ReusedProfileTests
{
    [Fact]
    public void A_reused_profile_holds_exactly_what_a_new_one_would_for_every_row()
    {
        var spec = new Hashtable
        {
            ["Email"] = "Mail", ["FirstName"] = "First", ["LastName"] = "Last", ["Company"] = "Org",
            ["Custom"] = new Hashtable { ["Tier"] = "Tier", ["Orders"] = "N", ["Score"] = "S", ["Since"] = "D" },
        };
        var fresh = new ProfileMapper(FieldMap.FromDictionary(spec), null);
        var reused = new ProfileMapper(FieldMap.FromDictionary(spec), null, reuseProfile: true);
        var random = new Random(5);
        MappedProfile? previous = null;
        for (int i = 0; i < 2000; i++)
        {
            object? Maybe(object value) => random.Next(3) == 0 ? (random.Next(2) == 0 ? null : "") : value;
            var row = new TestRecord(
                ("Mail", random.Next(25) == 0 ? "not an address" : $"p{i}@example.org"),
                ("First", Maybe($"F{i}")), ("Last", Maybe($"L{i}")), ("Org", Maybe("Acme")),
                ("Tier", Maybe(i % 2 == 0 ? "gold" : "silver")), ("N", Maybe((long)i)), ("S", Maybe(i * 0.25)),
                ("D", Maybe(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(i))));
            var expected = fresh.Map(row);
            var actual = reused.Map(row);
            Assert.Equal(expected.Success, actual.Success);
            Assert.Equal(expected.ErrorId, actual.ErrorId);
            Assert.Equal(expected.Reason, actual.Reason);
            if (!expected.Success) continue;
            Assert.Equal(expected.Profile!.Email, actual.Profile!.Email);
            Assert.Equal(expected.Profile.Segment, actual.Profile.Segment);
            Assert.Equal(Describe(expected.Profile.Fields), Describe(actual.Profile.Fields));
            Assert.Equal(Describe(expected.Profile.Custom), Describe(actual.Profile.Custom));
            Assert.Equal(expected.Profile.Fields.Length, actual.Profile.Fields.Length); // exact lengths, as consumers rely on
            if (previous != null) Assert.Same(previous, actual.Profile);
            previous = actual.Profile;
        }
    }

    private static string[] Describe(KeyValuePair<string, FieldValue>[] values) =>
        values.Select(v => $"{v.Key}={v.Value.Kind}:{v.Value}").ToArray();
}
