using System.Collections;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Mapping;

public class FieldMapTests
{
    [Fact]
    public void Reads_the_hashtable_form_with_canonical_names_and_typed_custom_fields()
    {
        var map = FieldMap.FromDictionary(new Hashtable
        {
            ["email"] = "Mail",
            ["firstname"] = "GivenName",
            ["Company"] = "Org",
            ["Custom"] = new Hashtable
            {
                ["Loyalty Tier"] = "Tier",
                ["Order Count"] = new Hashtable { ["Property"] = "Orders", ["Type"] = "integer" },
            },
        });
        Assert.Equal("Mail", map.Email);
        Assert.Equal("GivenName", map.Standard["FirstName"]);
        Assert.True(map.Standard.ContainsKey("FirstName"));
        Assert.Equal("Org", map.Standard["Company"]);
        Assert.Equal(new[] { "Company", "FirstName" }, map.Standard.Keys.OrderBy(k => k));
        Assert.Equal(CustomFieldType.Auto, map.Custom["Loyalty Tier"].Type);
        Assert.Equal("Orders", map.Custom["Order Count"].Property);
        Assert.Equal(CustomFieldType.Integer, map.Custom["Order Count"].Type);
    }

    [Fact]
    public void Unknown_standard_field_is_an_error_naming_the_key()
    {
        var ex = Assert.Throws<ArgumentException>(() => FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail", ["Shoe Size"] = "Shoe" }));
        Assert.Contains("'Shoe Size' is not an Autopilot standard field", ex.Message);
    }

    [Fact]
    public void Unknown_custom_type_and_empty_property_are_errors()
    {
        Assert.Contains("type 'money'", Assert.Throws<ArgumentException>(() => FieldMap.FromDictionary(new Hashtable
            { ["Custom"] = new Hashtable { ["Spend"] = new Hashtable { ["Property"] = "S", ["Type"] = "money" } } })).Message);
        Assert.Contains("names no input property", Assert.Throws<ArgumentException>(() => FieldMap.FromDictionary(new Hashtable { ["FirstName"] = " " })).Message);
        Assert.Contains("contains '--'", Assert.Throws<ArgumentException>(() => FieldMap.FromDictionary(new Hashtable
            { ["Custom"] = new Hashtable { ["A--B"] = "x" } })).Message);
    }

    [Fact]
    public void Mapper_requires_an_email_property()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ProfileMapper(FieldMap.FromDictionary(new Hashtable { ["FirstName"] = "GivenName" }), null));
        Assert.Contains("no Email property", ex.Message);
    }
}
