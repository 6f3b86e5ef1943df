using System.Collections;
using System.Text;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Api;

public class ContactJsonTests
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
        var bytes = ContactJson.Payload(new[]
        {
            new OutgoingContact(ContactJson.Encode(a), "contactlist_1"),
            new OutgoingContact(ContactJson.Encode(b), "contactlist_2"),
        }).ToArray();
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
        var bytes = ContactJson.Payload(new[] { new OutgoingContact(ContactJson.Encode(p), null) }).ToArray();
        using var doc = System.Text.Json.JsonDocument.Parse(bytes);
        Assert.Equal("line1\nline2\u0001\ttab", doc.RootElement.GetProperty("contacts")[0].GetProperty("Company").GetString());
        Assert.False(doc.RootElement.GetProperty("contacts")[0].TryGetProperty("_autopilot_list", out _));
    }

    [Fact]
    public void A_contact_is_encoded_byte_for_byte_as_before_so_sync_records_keep_their_hashes()
    {
        // The incremental sync record stores a hash of these bytes: a change in how a contact is written would make
        // every contact look changed after an upgrade. These are the bytes the writer produced before the contact
        // was encoded once per row (issue 10).
        var m = new ProfileMapper(FieldMap.FromDictionary(new Hashtable
        {
            ["Email"] = "Email", ["FirstName"] = "First", ["LastName"] = "Last",
            ["Custom"] = new Hashtable { ["Loyalty Tier"] = "Tier", ["Orders"] = "N", ["VIP"] = "Vip", ["Score"] = "S" },
        }), null);
        var p = m.Map(new TestRecord(("Email", "zoë@example.com"), ("First", "Zoë \"Z\" 山田"), ("Last", "<Ångström\t& co>"), ("Tier", "gold"), ("N", 3L), ("Vip", false), ("S", 0.5))).Profile!;
        var json = Encoding.UTF8.GetString(ContactJson.Encode(p));
        // A hashtable's order differs from one process to the next: the expected text follows the profile's order.
        var fragments = new Dictionary<string, string>
        {
            ["FirstName"] = "\"FirstName\":\"Zoë \\\"Z\\\" 山田\"",
            ["LastName"] = "\"LastName\":\"<Ångström\\t& co>\"",
            ["string--Loyalty--Tier"] = "\"string--Loyalty--Tier\":\"gold\"",
            ["integer--Orders"] = "\"integer--Orders\":3",
            ["boolean--VIP"] = "\"boolean--VIP\":false",
            ["float--Score"] = "\"float--Score\":0.5",
        };
        var standard = string.Concat(p.Fields.Select(f => "," + fragments[f.Key]));
        var custom = string.Join(",", p.Custom.Select(c => fragments[c.Key]));
        Assert.Equal("{\"Email\":\"zoë@example.com\"" + standard + ",\"custom\":{" + custom + "}}", json);
        Assert.Equal(2, p.Fields.Length);
        Assert.Equal(4, p.Custom.Length);
    }

    [Fact]
    public void The_payload_splices_each_list_reference_into_its_contact_and_escapes_the_list_id()
    {
        var m = new ProfileMapper(FieldMap.FromDictionary(new Hashtable { ["Email"] = "Email" }), null);
        var one = ContactJson.Encode(m.Map(new TestRecord(("Email", "a@b.io"))).Profile!);
        var two = ContactJson.Encode(m.Map(new TestRecord(("Email", "c@d.io"))).Profile!);
        var body = ContactJson.Payload(new[] { new OutgoingContact(one, "contactlist_\"odd\\id"), new OutgoingContact(two, null), new OutgoingContact(one, "contactlist_2") });
        Assert.Equal("{\"contacts\":[{\"Email\":\"a@b.io\",\"_autopilot_list\":\"contactlist_\\\"odd\\\\id\"},{\"Email\":\"c@d.io\"},{\"Email\":\"a@b.io\",\"_autopilot_list\":\"contactlist_2\"}]}",
            Encoding.UTF8.GetString(body.Array!, body.Offset, body.Count));
        Assert.Equal(body.Count, body.Array!.Length); // sized exactly: no copy and no slack
        Assert.Equal("{\"contacts\":[]}", Encoding.UTF8.GetString(ContactJson.Payload(Array.Empty<OutgoingContact>()).ToArray()));
    }

    [Fact]
    public void Field_names_with_equal_text_in_other_string_instances_are_written_alike()
    {
        // Escaped names are kept per string instance; a new instance with the same text must not change the output.
        var name = new string("First\"Name".ToCharArray());
        var profile = new MappedProfile("a@b.io", null, new[] { new KeyValuePair<string, FieldValue>(name, FieldValue.FromString("x")) }, Array.Empty<KeyValuePair<string, FieldValue>>());
        var again = new MappedProfile("a@b.io", null, new[] { new KeyValuePair<string, FieldValue>(new string(name.ToCharArray()), FieldValue.FromString("x")) }, Array.Empty<KeyValuePair<string, FieldValue>>());
        Assert.Equal("{\"Email\":\"a@b.io\",\"First\\\"Name\":\"x\"}", Encoding.UTF8.GetString(ContactJson.Encode(profile)));
        Assert.Equal(ContactJson.Encode(profile), ContactJson.Encode(again));
    }
}

public class PooledPayloadTests
{
    [Fact]
    public void A_body_in_a_rented_array_is_the_exact_body_byte_for_byte()
    {
        var m = new ProfileMapper(FieldMap.FromDictionary(new Hashtable { ["Email"] = "Email", ["FirstName"] = "First" }), null);
        var contacts = Enumerable.Range(0, 37).Select(i => new OutgoingContact(
            ContactJson.Encode(m.Map(new TestRecord(("Email", $"p{i}@example.org"), ("First", $"Zoë {i}"))).Profile!), i < 20 ? "contactlist_1" : "contactlist_2")).ToArray();
        var exact = ContactJson.Payload(contacts);
        var pool = System.Buffers.ArrayPool<byte>.Create();
        var dirty = pool.Rent(exact.Count);
        Array.Fill(dirty, (byte)'x'); // a returned array comes back with the last body in it
        pool.Return(dirty);
        var rented = ContactJson.Payload(contacts, pool);
        Assert.Equal(exact.Count, exact.Array!.Length);
        Assert.True(rented.Array!.Length >= rented.Count);
        Assert.Equal(exact.ToArray(), rented.ToArray());
    }
}
