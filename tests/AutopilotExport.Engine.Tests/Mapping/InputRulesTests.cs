using System.Collections;
using System.Collections.Specialized;
using System.Numerics;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.Plan;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Engine.Tests.Mapping;

/// <summary>Issue 11, "Input that is wrong": the field map's, the mapper's and the planner's rules.</summary>
public class InputRulesTests
{
    private static ProfileMapper Mapper(Hashtable spec, string? segmentProperty = null) => new(FieldMap.FromDictionary(spec).Validate(), segmentProperty);

    private static string MapError(IDictionary spec) =>
        Assert.Throws<ArgumentException>(() => FieldMap.FromDictionary(spec).Validate()).Message;

    public static IEnumerable<object?[]> NotPropertyNames() => new[]
    {
        new object?[] { new Hashtable { ["a"] = 1 }, "a hashtable" },
        new object?[] { new[] { "Mail", "Other" }, "a list" },
        new object?[] { null, "$null" },
        new object?[] { 42, "the number 42" },
        new object?[] { new object(), "an object of type System.Object" },
    };

    [Theory]
    [MemberData(nameof(NotPropertyNames))]
    public void A_field_map_value_that_is_not_a_property_name_is_refused_naming_the_field(object? value, string described)
    {
        var standard = MapError(new Hashtable { ["Email"] = "Mail", ["FirstName"] = value });
        Assert.Contains("'FirstName'", standard);
        Assert.Contains(described, standard);
        Assert.DoesNotContain("System.Collections.Hashtable'", standard);
        var custom = MapError(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { ["Tier"] = value } });
        Assert.Contains("Custom field 'Tier'", custom);
        if (!(value is Hashtable)) Assert.Contains(described, custom); // a hashtable there is the @{ Property; Type } form
        var detailed = MapError(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { ["Tier"] = new Hashtable { ["Property"] = value } } });
        Assert.Contains(described, detailed);
        var email = MapError(new Hashtable { ["Email"] = value });
        Assert.Contains("'Email'", email);
    }

    [Fact]
    public void A_custom_type_that_is_not_text_is_refused()
    {
        Assert.Contains("Type holds a list", MapError(new Hashtable
            { ["Email"] = "Mail", ["Custom"] = new Hashtable { ["N"] = new Hashtable { ["Property"] = "N", ["Type"] = new[] { "integer" } } } }));
    }

    [Theory]
    [InlineData("a -b", "a- b")]
    [InlineData("Loyalty Tier", "loyalty tier")]
    [InlineData("Tier", "TIER")]
    public void Custom_field_names_that_become_the_same_key_are_refused(string first, string second)
    {
        // An OrderedDictionary is case-sensitive, as a [ordered] or a new-object hashtable can be.
        var customs = new OrderedDictionary { [first] = "A", [second] = "B" };
        var message = MapError(new Hashtable { ["Email"] = "Mail", ["Custom"] = customs });
        Assert.Contains(second, message);
    }

    [Fact]
    public void The_same_key_check_holds_for_a_map_read_from_state()
    {
        var map = new FieldMap { Email = "Mail" };
        map.Custom["a -b"] = new CustomFieldMapping("A");
        map.Custom["a- b"] = new CustomFieldMapping("B");
        var message = Assert.Throws<ArgumentException>(() => map.Validate()).Message;
        Assert.Contains("a---b", message);
    }

    [Theory]
    [InlineData("Red\r\nTeam", "U+000D")]
    [InlineData("Red\tTeam", "U+0009")]
    [InlineData("Red\u00A0Team", "U+00A0")]
    [InlineData("Red\u202FTeam", "U+202F")]
    [InlineData("Red\u2028Team", "U+2028")]
    [InlineData("Red\u200BTeam", "U+200B")]
    [InlineData("Red\u202ETeam", "U+202E")]
    [InlineData("Red\uFEFFTeam", "U+FEFF")]
    [InlineData("Red\U000E0041Team", "U+E0041")]
    public void Dangerous_characters_in_custom_field_and_segment_names_are_refused(string name, string said)
    {
        Assert.Contains(said, MapError(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { [name] = "A" } }));
        var plan = Assert.Throws<PlanException>(() => RunPlanner.Plan(new RunRequest { Segments = new[] { "Blue", name } }));
        Assert.Equal("InvalidSegmentName", plan.ErrorId);
        Assert.Contains(said, plan.Message);
        Assert.DoesNotContain("\r", plan.Message);
    }

    [Fact]
    public void Lone_surrogates_in_custom_field_and_segment_names_are_refused()
    {
        // Built here: xunit's theory data would turn a lone surrogate into U+FFFD before the test saw it.
        foreach (var name in new[] { "Red" + '\uD800' + "Team", "Red" + '\uDC00', '\uDBFF' + "x" })
        {
            Assert.Contains("surrogate", MapError(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { [name] = "A" } }));
            var plan = Assert.Throws<PlanException>(() => RunPlanner.Plan(new RunRequest { Segments = new[] { name } }));
            Assert.Equal("InvalidSegmentName", plan.ErrorId);
            Assert.Contains("surrogate", plan.Message);
        }
    }

    [Theory]
    [InlineData("Loyalty Tier")]
    [InlineData("Café Crème")]
    [InlineData("日本 チーム")]
    [InlineData("Team 🚀")]
    [InlineData("a-b (c)")]
    public void Ordinary_names_pass(string name)
    {
        FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { [name] = "A" } }).Validate();
        Assert.Equal(new[] { name }, RunPlanner.Plan(new RunRequest { Segments = new[] { name } }).Segments);
    }

    [Fact]
    public void A_saved_segment_or_map_that_breaks_a_rule_is_refused_at_run_time()
    {
        var saved = new ExportRecord { Name = "x", Segments = new List<string> { "Red\nTeam" } };
        Assert.Equal("InvalidSegmentName", Assert.Throws<PlanException>(() => RunPlanner.Plan(new RunRequest { SavedExport = saved })).ErrorId);
        var record = new ExportRecord
        {
            Name = "y", Segments = new List<string> { "Blue" },
            FieldMap = new FieldMapRecord { Email = "Mail", Custom = { ["a -b"] = new CustomFieldRecord { Property = "A" }, ["a- b"] = new CustomFieldRecord { Property = "B" } } },
        };
        Assert.Equal(PlanErrorIds.InvalidFieldMap, Assert.Throws<PlanException>(() => RunPlanner.Plan(new RunRequest { SavedExport = record })).ErrorId);
    }

    [Fact]
    public void A_row_segment_with_a_dangerous_character_is_an_error_of_that_row_only()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail" }, "Team");
        var bad = m.Map(new TestRecord(("Mail", "a@b.io"), ("Team", "Red\r\nTeam")));
        Assert.Equal(ErrorIds.InvalidSegmentName, bad.ErrorId);
        Assert.Contains("Red\\u000D\\u000ATeam", bad.Reason);
        Assert.Equal("a@b.io", bad.RawEmail);
        var good = m.Map(new TestRecord(("Mail", "c@b.io"), ("Team", "Red Team")));
        Assert.True(good.Success, good.Reason);
        Assert.Equal("Red Team", good.Profile!.Segment);
    }

    [Fact]
    public void Every_bad_field_of_a_row_is_in_its_one_error()
    {
        var m = Mapper(new Hashtable
        {
            ["Email"] = "Mail", ["unsubscribed"] = "Unsub", ["Company"] = "Org",
            ["Custom"] = new Hashtable { ["Orders"] = new Hashtable { ["Property"] = "N", ["Type"] = "integer" }, ["Since"] = new Hashtable { ["Property"] = "D", ["Type"] = "date" } },
        }, "Team");
        var r = m.Map(new TestRecord(("Mail", "not-an-address"), ("Unsub", "maybe"), ("Org", new[] { 1, 2 }), ("N", "many"), ("D", "03/02/2024"), ("Team", "Red\nTeam")));
        Assert.Equal(ErrorIds.InvalidEmail, r.ErrorId);
        Assert.StartsWith("6 problems: 'not-an-address' in property 'Mail'", r.Reason);
        foreach (var part in new[] { "property 'Team' (the segment)", "property 'Unsub' (mapped to unsubscribed)", "property 'Org' (mapped to Company)",
                     "property 'N' (custom field 'Orders', integer)", "property 'D' (custom field 'Since', date)" })
            Assert.Contains(part, r.Reason);

        var two = m.Map(new TestRecord(("Mail", "ok@b.io"), ("N", "x"), ("D", "y")));
        Assert.Equal(ErrorIds.InvalidFieldValue, two.ErrorId);
        Assert.StartsWith("2 problems: ", two.Reason);
        Assert.Equal("ok@b.io", two.RawEmail);
    }

    [Fact]
    public void An_invalid_email_keeps_its_raw_value_shortened_and_the_row_segment()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail" }, "Team");
        var r = m.Map(new TestRecord(("Mail", " bad\u0001address "), ("Team", "Blue")));
        Assert.Equal(ErrorIds.InvalidEmail, r.ErrorId);
        Assert.Equal(" bad\u0001address ", r.RawEmail);
        Assert.Equal("Blue", r.Segment);
        var huge = m.Map(new TestRecord(("Mail", new string('x', 100_000))));
        Assert.Equal(ProfileMapper.MaxReportedEmailLength + 1, huge.RawEmail!.Length);
    }

    public static IEnumerable<object[]> TooBig() => new[]
    {
        new object[] { 9223372036854775808.0 },
        new object[] { -9223372036854777856.0 },
        new object[] { 9.3e18f },
        new object[] { 9223372036854775808m },
        new object[] { -9223372036854775809m },
        new object[] { 9223372036854775808UL },
        new object[] { BigInteger.Pow(2, 63) },
        new object[] { -BigInteger.Pow(2, 63) - 1 },
        new object[] { "9223372036854775808" },
    };

    [Theory]
    [MemberData(nameof(TooBig))]
    public void Integers_outside_the_64_bit_range_are_invalid_not_clamped(object value)
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { ["N"] = new Hashtable { ["Property"] = "N", ["Type"] = "integer" } } });
        var r = m.Map(new TestRecord(("Mail", "a@b.io"), ("N", value)));
        Assert.False(r.Success);
        Assert.Equal(ErrorIds.InvalidFieldValue, r.ErrorId);
        Assert.Contains("not a whole number", r.Reason);
    }

    [Fact]
    public void The_64_bit_edges_themselves_are_whole_numbers()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { ["N"] = new Hashtable { ["Property"] = "N", ["Type"] = "integer" } } });
        Assert.Equal(long.MaxValue, m.Map(new TestRecord(("Mail", "a@b.io"), ("N", long.MaxValue)))!.Profile!.Custom[0].Value.Integer);
        Assert.Equal(long.MinValue, m.Map(new TestRecord(("Mail", "a@b.io"), ("N", -9223372036854775808.0)))!.Profile!.Custom[0].Value.Integer);
        Assert.Equal(long.MaxValue, m.Map(new TestRecord(("Mail", "a@b.io"), ("N", new BigInteger(long.MaxValue))))!.Profile!.Custom[0].Value.Integer);
    }

    public static IEnumerable<object[]> Numbers() =>
        new object[] { (sbyte)0, (byte)0, (short)0, (ushort)0, 0, 0u, 0L, 0UL, 0f, 0d, 0m, BigInteger.Zero }
            .Select(zero => new[] { zero });

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Booleans_take_0_and_1_of_every_numeric_type_and_nothing_else(object zero)
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail", ["unsubscribed"] = "U" });
        var type = zero.GetType();
        object Of(int n) => zero is BigInteger ? new BigInteger(n) : Convert.ChangeType(n, type);
        Assert.Equal("false", m.Map(new TestRecord(("Mail", "a@b.io"), ("U", Of(0)))).Profile!.Fields[0].Value.ToString());
        Assert.Equal("true", m.Map(new TestRecord(("Mail", "a@b.io"), ("U", Of(1)))).Profile!.Fields[0].Value.ToString());
        var two = m.Map(new TestRecord(("Mail", "a@b.io"), ("U", Of(2))));
        Assert.Equal(ErrorIds.InvalidFieldValue, two.ErrorId);
        Assert.Contains("not true or false", two.Reason);
        if (zero is float || zero is double || zero is decimal)
        {
            var half = m.Map(new TestRecord(("Mail", "a@b.io"), ("U", Convert.ChangeType(0.5, type))));
            Assert.Equal(ErrorIds.InvalidFieldValue, half.ErrorId);
        }
    }

    [Fact]
    public void Properties_match_ignoring_surrounding_spaces_and_the_exact_name_wins()
    {
        var mapped = Mapper(new Hashtable { ["Email"] = "Email", ["FirstName"] = "First" });
        var r = mapped.Map(new TestRecord((" Email ", "a@b.io"), ("First ", "Ada")));
        Assert.True(r.Success, r.Reason);
        Assert.Equal(("a@b.io", "Ada"), (r.Profile!.Email, r.Profile.Fields[0].Value.Text));

        var auto = new ProfileMapper(null, null);
        var a = auto.Map(new TestRecord((" Email ", "c@b.io"), (" GivenName", "Cy")));
        Assert.True(a.Success, a.Reason);
        Assert.Equal("c@b.io", a.Profile!.Email);
        Assert.Equal("Cy", a.Profile.Fields[0].Value.Text);

        var exact = mapped.Map(new TestRecord((" Email", "spaced@b.io"), ("Email", "exact@b.io")));
        Assert.Equal("exact@b.io", exact.Profile!.Email);

        var ambiguous = mapped.Map(new TestRecord((" Email", "x@b.io"), ("Email ", "y@b.io")));
        Assert.Equal(ErrorIds.AmbiguousProperty, ambiguous.ErrorId);
        Assert.Contains("' Email' and 'Email '", ambiguous.Reason);
    }

    [Fact]
    public void A_mapped_property_no_row_has_is_told_once_with_the_rows_counted()
    {
        var m = Mapper(new Hashtable { ["Email"] = "Mail", ["FirstName"] = "FirstNmae", ["LastName"] = "Last", ["Custom"] = new Hashtable { ["Tier"] = "Tr" } }, "Team");
        for (int i = 0; i < 3025; i++) m.Map(new TestRecord(("Mail", $"u{i}@b.io"), ("FirstName", "A"), ("Last", i == 7 ? "L" : null), ("Team", null)));
        var told = m.PropertiesNotFound();
        Assert.Equal(2, told.Count);
        Assert.Contains("Property 'FirstNmae' (mapped to FirstName) was not found on any of the 3,025 rows: check its spelling against the input's properties.", told);
        Assert.Contains(told, t => t.StartsWith("Property 'Tr' (mapped to custom field 'Tier')", StringComparison.Ordinal));
        Assert.DoesNotContain(told, t => t.Contains("'Last'") || t.Contains("'Team'"));
        Assert.Empty(Mapper(new Hashtable { ["Email"] = "Mail", ["FirstName"] = "Nope" }).PropertiesNotFound()); // no row read
    }
}
