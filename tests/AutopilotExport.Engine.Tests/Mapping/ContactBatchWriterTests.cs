using System.Collections;
using System.Text;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Mapping;

public class ContactBatchWriterTests
{
    [Fact]
    public void Writes_the_bulk_payload_with_the_list_inside_each_contact()
    {
        var m = new ProfileMapper(FieldMap.FromDictionary(new Hashtable
        {
            ["Email"] = "Email", ["FirstName"] = "First",
            ["Custom"] = new Hashtable { ["Loyalty Tier"] = "Tier", ["Orders"] = "N", ["VIP"] = "Vip", ["Score"] = "S" },
        }), null);
        var a = m.Map(new TestRecord(("Email", "zoë@example.com"), ("First", "Zoë \"Z\" 山田"), ("Tier", "gold"), ("N", 3L), ("Vip", false), ("S", 0.5))).Profile!;
        var b = m.Map(new TestRecord(("Email", "b@example.com"))).Profile!;
        var bytes = AutopilotApiClient.SerializeContacts(new[]
        {
            new OutgoingContact(a, "contactlist_1"),
            new OutgoingContact(b, "contactlist_2"),
        });
        var json = Encoding.UTF8.GetString(bytes);
        // Names stay readable UTF-8 (not \u escapes); quotes are escaped.
        Assert.Contains("\"FirstName\":\"Zoë \\\"Z\\\" 山田\"", json);
        Assert.EndsWith("{\"Email\":\"b@example.com\",\"_autopilot_list\":\"contactlist_2\"}]}", json);

        using var doc = System.Text.Json.JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        Assert.Equal(new[] { "contacts" }, root.EnumerateObject().Select(p => p.Name));
        var first = root.GetProperty("contacts")[0];
        Assert.Equal(new[] { "Email", "FirstName", "custom", "_autopilot_list" }, first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("contactlist_1", first.GetProperty("_autopilot_list").GetString());
        var custom = first.GetProperty("custom");
        Assert.Equal(4, custom.EnumerateObject().Count());
        Assert.Equal("gold", custom.GetProperty("string--Loyalty--Tier").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, custom.GetProperty("integer--Orders").ValueKind);
        Assert.Equal("3", custom.GetProperty("integer--Orders").GetRawText());
        Assert.Equal(System.Text.Json.JsonValueKind.False, custom.GetProperty("boolean--VIP").ValueKind);
        Assert.Equal(0.5, custom.GetProperty("float--Score").GetDouble());
    }

    [Fact]
    public void Control_characters_are_escaped_so_the_payload_stays_valid_json()
    {
        var m = new ProfileMapper(FieldMap.FromDictionary(new Hashtable { ["Email"] = "Email", ["Company"] = "C" }), null);
        var p = m.Map(new TestRecord(("Email", "a@b.io"), ("C", "line1\nline2\u0001\ttab"))).Profile!;
        var bytes = AutopilotApiClient.SerializeContacts(new[] { new OutgoingContact(p, null) });
        using var doc = System.Text.Json.JsonDocument.Parse(bytes);
        Assert.Equal("line1\nline2\u0001\ttab", doc.RootElement.GetProperty("contacts")[0].GetProperty("Company").GetString());
        Assert.False(doc.RootElement.GetProperty("contacts")[0].TryGetProperty("_autopilot_list", out _));
    }
}
