using System.Text.Json;
using Xunit;
using static AutopilotEmulator.Tests.Api;
using static AutopilotEmulator.Tests.Patterns;

namespace AutopilotEmulator.Tests;

public class ContactTests
{
    [Fact]
    public async Task Post_contact_creates_a_person_id_and_stores_the_fields()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Post("/contact", "{\"contact\":" + Contact("ann@example.com", ("FirstName", "Ann"), ("LastName", "Lee"), ("Company", "Acme"), ("NumberOfEmployees", 250L), ("owner_name", "Bob")) + "}");
        Assert.Equal(200, r.Code);
        var id = r.Json.GetProperty("contact_id").GetString()!;
        Assert.Matches(PersonId, id);
        Assert.Single(r.Json.EnumerateObject());

        var c = Assert.Single(api.Host.Contacts());
        Assert.Equal(id, c.ContactId);
        Assert.Equal("ann@example.com", c.Email);
        Assert.Equal("Ann", c["FirstName"]);
        Assert.Equal("Lee", c["LastName"]);
        Assert.Equal("Acme", c["Company"]);
        Assert.Equal(250L, c.Fields["NumberOfEmployees"]);
        Assert.Equal("Bob", c["owner_name"]);
        Assert.False(c.Unsubscribed);
        Assert.Empty(c.Lists);
        Assert.Empty(c.Custom);
        Assert.Equal(1, api.Host.Stats().ContactsWritten);
    }

    [Fact]
    public async Task Every_standard_field_is_accepted_and_stored()
    {
        await using var api = await Api.StartAsync();
        var fields = new[] { "FirstName", "LastName", "Salutation", "Title", "Company", "NumberOfEmployees", "Industry", "Phone", "MobilePhone", "Fax",
            "Website", "Twitter", "LinkedIn", "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "LeadSource", "Status", "owner_name" };
        var props = fields.Select(f => (f, (object?)("v-" + f))).ToArray();
        await api.Upsert(Contact("all@example.com", props));
        var c = Assert.Single(api.Host.Contacts());
        foreach (var f in fields) Assert.Equal("v-" + f, c[f]);
        Assert.Equal(fields.Length + 1, c.Fields.Count);
    }

    [Fact]
    public async Task Email_is_the_key_case_insensitively_and_the_latest_spelling_is_kept()
    {
        await using var api = await Api.StartAsync();
        var id1 = await api.Upsert(Contact("Ann@Example.com", ("FirstName", "Ann")));
        var id2 = await api.Upsert(Contact("ann@EXAMPLE.COM", ("LastName", "Lee")));
        Assert.Equal(id1, id2);
        var c = Assert.Single(api.Host.Contacts());
        Assert.Equal("ann@EXAMPLE.COM", c.Email);
        Assert.Equal("ann@EXAMPLE.COM", c["Email"]);
        Assert.Equal("Ann", c["FirstName"]);        // not sent the second time: kept
        Assert.Equal("Lee", c["LastName"]);
        Assert.Equal(2, api.Host.Stats().ContactsWritten);
    }

    [Fact]
    public async Task Standard_fields_overwrite_and_null_clears()
    {
        await using var api = await Api.StartAsync();
        await api.Upsert(Contact("a@example.com", ("FirstName", "Ann"), ("Company", "Acme")));
        await api.Upsert(Contact("a@example.com", ("FirstName", "Anna"), ("Company", null)));
        var c = Assert.Single(api.Host.Contacts());
        Assert.Equal("Anna", c["FirstName"]);
        Assert.Null(c["Company"]);
        Assert.False(c.Fields.ContainsKey("Company"));
    }

    [Fact]
    public async Task Bulk_answers_ids_and_the_email_map_keyed_by_email_as_sent()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Bulk(new[] { Contact("One@example.com"), Contact("two@example.com"), Contact("THREE@example.com") });
        Assert.Equal(200, r.Code);
        var ids = r.Json.GetProperty("contact_ids").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(3, ids.Length);
        Assert.All(ids, id => Assert.Matches(PersonId, id));
        var map = r.Json.GetProperty("email_contact_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(new[] { "One@example.com", "two@example.com", "THREE@example.com" }, map.Keys.ToArray());
        Assert.Equal(ids, map.Values.ToArray());
        Assert.Equal(new[] { "One@example.com", "two@example.com", "THREE@example.com" }, api.Host.Contacts().Select(c => c.Email));
        Assert.Equal(ids, api.Host.Contacts().Select(c => c.ContactId));
    }

    [Fact]
    public async Task Bulk_with_the_same_email_twice_upserts_one_contact()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Bulk(new[] { Contact("dup@example.com", ("FirstName", "A")), Contact("DUP@example.com", ("LastName", "B")) });
        Assert.Equal(200, r.Code);
        var ids = r.Json.GetProperty("contact_ids").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(2, ids.Length);
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(2, r.Json.GetProperty("email_contact_map").EnumerateObject().Count());
        var c = Assert.Single(api.Host.Contacts());
        Assert.Equal(("DUP@example.com", "A", "B"), (c.Email, c["FirstName"], c["LastName"]));
    }

    [Fact]
    public async Task Bulk_of_100_is_accepted_and_101_is_400_with_nothing_written()
    {
        await using var api = await Api.StartAsync();
        var hundred = await api.Bulk(Enumerable.Range(0, 100).Select(i => Contact($"u{i}@example.com")));
        Assert.Equal(200, hundred.Code);
        Assert.Equal(100, hundred.Json.GetProperty("contact_ids").GetArrayLength());
        Assert.Equal(100, hundred.Json.GetProperty("email_contact_map").EnumerateObject().Count());

        var tooMany = await api.Bulk(Enumerable.Range(0, 101).Select(i => Contact($"x{i}@example.com")));
        AssertError(tooMany, 400, "Bad Request", "At most 100 contacts per call; this call holds 101.");
        Assert.Equal(100, api.Host.Contacts().Count);
        var stats = api.Host.Stats();
        Assert.Equal(101, stats.BulkContactsMax);
        Assert.Equal(100, stats.ContactsWritten);
        Assert.Equal(1, stats.Count("POST /v1/contacts", 200));
        Assert.Equal(1, stats.Count("POST /v1/contacts", 400));
    }

    [Theory]
    [InlineData("{\"contacts\":[]}", "'contacts' is empty; send 1 to 100 contacts per call.")]
    [InlineData("{\"contacts\":{}}", "'contacts' must be an array, not an object.")]
    [InlineData("{\"contact\":[]}", "unknown top-level key 'contact'; the body must be {\"contacts\": …}.")]
    [InlineData("{}", "The body must be {\"contacts\": …}; 'contacts' is missing.")]
    [InlineData("[1]", "The body must be a JSON object {\"contacts\": …}, not an array.")]
    public async Task Bulk_envelope_errors_are_400(string body, string message)
    {
        await using var api = await Api.StartAsync();
        AssertError(await api.Post("/contacts", body), 400, "Bad Request", message);
    }

    [Fact]
    public async Task Get_contact_by_id_or_email_answers_the_contact_with_custom_fields()
    {
        await using var api = await Api.StartAsync();
        var id = await api.Upsert(Contact("Get@Example.com", ("FirstName", "G"), ("custom", new Raw("{\"string--Loyalty--Tier\":\"gold\",\"integer--Order--Count\":3}"))));
        foreach (var key in new[] { id, "Get@Example.com", "get@example.com", Uri.EscapeDataString("GET@EXAMPLE.COM") })
        {
            var r = await api.Get("/contact/" + key);
            Assert.Equal(200, r.Code);
            var j = r.Json;
            Assert.Equal(id, j.GetProperty("contact_id").GetString());
            Assert.Equal("Get@Example.com", j.GetProperty("Email").GetString());
            Assert.Equal("G", j.GetProperty("FirstName").GetString());
            Assert.False(j.GetProperty("unsubscribed").GetBoolean());
            Assert.Equal(0, j.GetProperty("lists").GetArrayLength());
            Assert.Equal(
                "[{\"kind\":\"Loyalty Tier\",\"value\":\"gold\",\"fieldType\":\"string\",\"deleted\":false},{\"kind\":\"Order Count\",\"value\":3,\"fieldType\":\"integer\",\"deleted\":false}]",
                j.GetProperty("custom_fields").GetRawText());
        }
    }

    [Fact]
    public async Task Get_unknown_contact_is_404()
    {
        await using var api = await Api.StartAsync();
        AssertError(await api.Get("/contact/nobody@example.com"), 404, "Not Found", "Contact could not be found.");
        AssertError(await api.Get("/contact/person_00000000-0000-0000-0000-000000000000"), 404, "Not Found", "Contact could not be found.");
    }

    [Fact]
    public async Task Delete_contact_is_200_then_404_and_leaves_its_lists()
    {
        await using var api = await Api.StartAsync();
        var list = await api.CreateList("Seg");
        var id = await api.Upsert(Contact("del@example.com", ("_autopilot_list", list)));
        await api.Upsert(Contact("keep@example.com", ("_autopilot_list", list)));
        var r = await api.Delete("/contact/" + id);
        Assert.Equal(200, r.Code);
        Assert.Equal("", r.Body);
        Assert.Equal(new[] { "keep@example.com" }, api.Host.Contacts().Select(c => c.Email));
        Assert.Equal(1, Assert.Single(api.Host.Lists()).ContactCount);
        AssertError(await api.Get("/contact/del@example.com"), 404, "Not Found", "Contact could not be found.");
        AssertError(await api.Delete("/contact/" + id), 404, "Not Found", "Contact could not be found.");
        // Deleting by email works too, and the email can be used again afterwards (a new contact).
        Assert.Equal(200, (await api.Delete("/contact/KEEP@example.com")).Code);
        var again = await api.Upsert(Contact("keep@example.com"));
        Assert.NotEqual(id, again);
        Assert.Single(api.Host.Contacts());
    }

    [Fact]
    public async Task Unsubscribe_route_sets_unsubscribed_and_it_sticks_until_explicitly_false()
    {
        await using var api = await Api.StartAsync();
        var id = await api.Upsert(Contact("u@example.com"));
        var r = await api.Post("/contact/U@example.com/unsubscribe");
        Assert.Equal(200, r.Code);
        Assert.True(api.Host.Contact(id)!.Unsubscribed);
        Assert.True((await api.Get("/contact/" + id)).Json.GetProperty("unsubscribed").GetBoolean());

        await api.Upsert(Contact("u@example.com", ("FirstName", "Again")));
        Assert.True(api.Host.Contact(id)!.Unsubscribed);          // sticky
        await api.Bulk(new[] { Contact("u@example.com", ("LastName", "Bulk")) });
        Assert.True(api.Host.Contact(id)!.Unsubscribed);          // sticky in bulk too

        await api.Upsert(Contact("u@example.com", ("unsubscribed", false)));
        Assert.False(api.Host.Contact(id)!.Unsubscribed);         // explicit false re-subscribes
        AssertError(await api.Post("/contact/none@example.com/unsubscribe"), 404, "Not Found", "Contact could not be found.");
    }

    [Fact]
    public async Task Unsubscribed_true_in_a_payload_sticks()
    {
        await using var api = await Api.StartAsync();
        await api.Bulk(new[] { Contact("s@example.com", ("unsubscribed", true)) });
        await api.Bulk(new[] { Contact("s@example.com", ("FirstName", "S")) });
        Assert.True(Assert.Single(api.Host.Contacts()).Unsubscribed);
        await api.Bulk(new[] { Contact("s@example.com", ("unsubscribed", false)) });
        Assert.False(Assert.Single(api.Host.Contacts()).Unsubscribed);
    }

    [Fact]
    public async Task Typed_custom_keys_are_stored_and_listed()
    {
        await using var api = await Api.StartAsync();
        var custom = "{\"string--Loyalty--Tier\":\"gold\",\"integer--Order--Count\":3,\"float--Lifetime--Value\":12.5,\"boolean--Is--Vip\":true,\"date--First--Order\":\"2026-11-23\",\"date--Last--Seen\":\"2026-11-23T10:00:00Z\"}";
        await api.Upsert(Contact("c@example.com", ("custom", new Raw(custom))));
        var c = Assert.Single(api.Host.Contacts());
        Assert.Equal("gold", c.Custom["string--Loyalty--Tier"]);
        Assert.Equal(3L, c.Custom["integer--Order--Count"]);
        Assert.Equal(12.5, c.Custom["float--Lifetime--Value"]);
        Assert.Equal(true, c.Custom["boolean--Is--Vip"]);
        Assert.Equal("2026-11-23", c.Custom["date--First--Order"]);
        Assert.Equal("2026-11-23T10:00:00Z", c.Custom["date--Last--Seen"]);

        var fields = await api.Get("/contacts/custom_fields");
        Assert.Equal(200, fields.Code);
        Assert.Equal(
            "[{\"name\":\"Loyalty Tier\",\"fieldType\":\"string\"},{\"name\":\"Order Count\",\"fieldType\":\"integer\"},{\"name\":\"Lifetime Value\",\"fieldType\":\"float\"}," +
            "{\"name\":\"Is Vip\",\"fieldType\":\"boolean\"},{\"name\":\"First Order\",\"fieldType\":\"date\"},{\"name\":\"Last Seen\",\"fieldType\":\"date\"}]",
            fields.Body);

        var inspected = (await api.Inspect("contacts")).Json.GetProperty("contacts")[0].GetProperty("custom").GetRawText();
        Assert.Equal(custom, inspected);

        // A float field takes a JSON integer too; values overwrite.
        await api.Upsert(Contact("c@example.com", ("custom", new Raw("{\"float--Lifetime--Value\":20,\"string--Loyalty--Tier\":\"silver\"}"))));
        c = Assert.Single(api.Host.Contacts());
        Assert.Equal(20.0, c.Custom["float--Lifetime--Value"]);
        Assert.Equal("silver", c.Custom["string--Loyalty--Tier"]);
        Assert.Equal(6, api.Host.CustomFields().Count);
    }

    [Fact]
    public async Task Custom_fields_list_is_empty_at_first()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Get("/contacts/custom_fields");
        Assert.Equal(200, r.Code);
        Assert.Equal("[]", r.Body);
    }

    [Theory]
    [InlineData("integer--Order--Count", "\"3\"")]
    [InlineData("integer--Order--Count", "3.5")]
    [InlineData("integer--Order--Count", "3.0")]
    [InlineData("integer--Order--Count", "3e2")]
    [InlineData("integer--Order--Count", "true")]
    [InlineData("integer--Order--Count", "null")]
    [InlineData("float--Lifetime--Value", "\"1.5\"")]
    [InlineData("boolean--Is--Vip", "\"true\"")]
    [InlineData("boolean--Is--Vip", "1")]
    [InlineData("date--First--Order", "\"23/11/2026\"")]
    [InlineData("date--First--Order", "\"2026-02-30\"")]
    [InlineData("date--First--Order", "20261123")]
    [InlineData("string--Loyalty--Tier", "5")]
    [InlineData("string--Loyalty--Tier", "[\"gold\"]")]
    [InlineData("string--Loyalty--Tier", "{\"a\":1}")]
    public async Task Custom_value_of_the_wrong_json_type_is_400_naming_the_key(string key, string valueJson)
    {
        await using var api = await Api.StartAsync();
        var r = await api.Post("/contact", "{\"contact\":{\"Email\":\"t@example.com\",\"custom\":{\"" + key + "\":" + valueJson + "}}}");
        var message = ErrorMessage(r, 400, "Bad Request");
        Assert.StartsWith($"contact: custom key '{key}' must hold ", message);
        Assert.Empty(api.Host.Contacts());
        Assert.Empty(api.Host.CustomFields());
    }

    [Theory]
    [InlineData("Loyalty Tier", "contact: custom key 'Loyalty Tier' must look like <type>--<Name> with each space written as -- (types: string, integer, float, boolean, date)")]
    [InlineData("text--Tier", "contact: custom key 'text--Tier' has unknown type 'text' (string, integer, float, boolean, date)")]
    [InlineData("String--Tier", "contact: custom key 'String--Tier' has unknown type 'String' (string, integer, float, boolean, date)")]
    [InlineData("string--Loyalty Tier", "contact: custom key 'string--Loyalty Tier' contains white space; write each space as --")]
    [InlineData("string--", "contact: custom key 'string--' has no field name")]
    public async Task Malformed_custom_keys_are_400(string key, string message)
    {
        await using var api = await Api.StartAsync();
        var r = await api.Post("/contact", "{\"contact\":{\"Email\":\"t@example.com\",\"custom\":{\"" + key + "\":\"x\"}}}");
        AssertError(r, 400, "Bad Request", message);
    }

    [Fact]
    public async Task Same_field_name_with_another_type_is_400()
    {
        await using var api = await Api.StartAsync();
        await api.Upsert(Contact("a@example.com", ("custom", new Raw("{\"integer--Order--Count\":1}"))));
        var r = await api.Post("/contact", "{\"contact\":" + Contact("b@example.com", ("custom", new Raw("{\"string--Order--Count\":\"1\"}"))) + "}");
        AssertError(r, 400, "Bad Request", "contact: custom key 'string--Order--Count': the field 'Order Count' was created as integer, not string");
        var bulk = await api.Bulk(new[] { Contact("c@example.com"), Contact("d@example.com", ("custom", new Raw("{\"float--Order--Count\":1.5}"))) });
        AssertError(bulk, 400, "Bad Request", "contacts[1]: custom key 'float--Order--Count': the field 'Order Count' was created as integer, not float");
        var caseDiffers = await api.Post("/contact", "{\"contact\":" + Contact("e@example.com", ("custom", new Raw("{\"integer--order--count\":1}"))) + "}");
        AssertError(caseDiffers, 400, "Bad Request", "contact: custom key 'integer--order--count': the field name differs only in case from the existing field 'Order Count'");
        Assert.Equal(new[] { "a@example.com" }, api.Host.Contacts().Select(c => c.Email));
    }

    [Fact]
    public async Task Conflicting_types_inside_one_bulk_call_are_400()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Bulk(new[]
        {
            Contact("a@example.com", ("custom", new Raw("{\"integer--Score\":1}"))),
            Contact("b@example.com", ("custom", new Raw("{\"string--Score\":\"high\"}"))),
        });
        AssertError(r, 400, "Bad Request", "contacts[1]: custom key 'string--Score': the field 'Score' was created as integer, not string");
        Assert.Empty(api.Host.Contacts());
        Assert.Empty(api.Host.CustomFields());
    }

    [Theory]
    [InlineData("plainaddress", "no '@'")]
    [InlineData("a@b@example.com", "more than one '@'")]
    [InlineData("@example.com", "empty local part")]
    [InlineData("user@localhost", "no dot in the domain")]
    [InlineData("us er@example.com", "contains white space")]
    [InlineData(" user@example.com", "contains white space")]
    [InlineData("", "empty")]
    public async Task Invalid_email_is_400(string email, string why)
    {
        await using var api = await Api.StartAsync();
        var r = await api.Post("/contact", "{\"contact\":" + Contact(email) + "}");
        AssertError(r, 400, "Bad Request", $"contact: invalid email '{email}' ({why})");
        Assert.Empty(api.Host.Contacts());
    }

    [Fact]
    public async Task Email_longer_than_254_characters_is_400()
    {
        await using var api = await Api.StartAsync();
        var ok = new string('a', 64) + "@" + new string('b', 185) + ".com";    // 254
        Assert.Equal(254, ok.Length);
        Assert.Equal(200, (await api.Post("/contact", "{\"contact\":" + Contact(ok) + "}")).Code);
        var tooLong = "a" + ok;
        var msg = ErrorMessage(await api.Post("/contact", "{\"contact\":" + Contact(tooLong) + "}"), 400, "Bad Request");
        Assert.EndsWith("(longer than 254 characters)", msg);
    }

    [Theory]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"email2\":\"x\"}}", "contact: unknown key 'email2' (not a standard field, special key or 'custom')")]
    [InlineData("{\"contact\":{\"email\":\"a@example.com\"}}", "contact: unknown key 'email' (not a standard field, special key or 'custom')")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"string--Tier\":\"x\"}}", "contact: unknown key 'string--Tier' (not a standard field, special key or 'custom')")]
    [InlineData("{\"contact\":{\"FirstName\":\"A\"}}", "contact: Email is required")]
    [InlineData("{\"contact\":{\"Email\":5}}", "contact: 'Email' must be a string, not 5")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"FirstName\":5}}", "contact: 'FirstName' must be a string, not 5")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"NumberOfEmployees\":1.5}}", "contact: 'NumberOfEmployees' must be a string or a whole number, not 1.5")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"unsubscribed\":\"yes\"}}", "contact: 'unsubscribed' must be true or false, not \"yes\"")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"notify\":0}}", "contact: 'notify' must be true or false, not 0")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"custom\":[]}}", "contact: 'custom' must be a JSON object, not an array")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",\"_NewEmail\":\"bad\"}}", "contact: invalid _NewEmail 'bad' (no '@')")]
    [InlineData("{\"contact\":[]}", "contact: a contact must be a JSON object, not an array")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\"},\"extra\":1}", "unknown top-level key 'extra'; the body must be {\"contact\": …}.")]
    public async Task Invalid_contacts_are_400(string body, string message)
    {
        await using var api = await Api.StartAsync();
        AssertError(await api.Post("/contact", body), 400, "Bad Request", message);
        Assert.Empty(api.Host.Contacts());
    }

    [Theory]
    [InlineData("{\"contact\":")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\",}}")]
    [InlineData("{\"contact\":{\"Email\":\"a@example.com\"}} trailing")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task Malformed_json_is_400(string body)
    {
        await using var api = await Api.StartAsync();
        var msg = ErrorMessage(await api.Post("/contact", body), 400, "Bad Request");
        Assert.StartsWith("Malformed JSON: ", msg);
        msg = ErrorMessage(await api.Post("/contacts", body.Replace("\"contact\"", "\"contacts\"")), 400, "Bad Request");
        Assert.StartsWith("Malformed JSON: ", msg);
        Assert.Empty(api.Host.Contacts());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=latin1")]
    [InlineData(null)]
    public async Task Wrong_content_type_is_415(string? contentType)
    {
        await using var api = await Api.StartAsync();
        foreach (var path in new[] { "/contact", "/contacts", "/list" })
        {
            var r = await api.Post(path, "{\"contact\":" + Contact("a@example.com") + "}", contentType: contentType);
            AssertError(r, 415, "Unsupported Media Type", $"Content-Type must be application/json (got '{contentType ?? "none"}').");
        }
        Assert.Empty(api.Host.Contacts());
        Assert.Equal(200, (await api.Post("/contact", "{\"contact\":" + Contact("a@example.com") + "}", contentType: "application/json; charset=utf-8")).Code);
    }

    [Fact]
    public async Task Special_keys_notify_and_session_id_are_accepted_and_not_stored()
    {
        await using var api = await Api.StartAsync();
        await api.Upsert(Contact("n@example.com", ("notify", false), ("_autopilot_session_id", "abc")));
        var c = Assert.Single(api.Host.Contacts());
        Assert.Equal(new[] { "Email" }, c.Fields.Keys);
    }

    [Fact]
    public async Task Autopilot_list_at_the_top_level_is_ignored_like_the_real_service()
    {
        await using var api = await Api.StartAsync();
        var list = await api.CreateList("Seg");
        var r = await api.Post("/contact", "{\"contact\":" + Contact("top@example.com") + ",\"_autopilot_list\":\"" + list + "\"}");
        Assert.Equal(200, r.Code);
        var b = await api.Post("/contacts", "{\"_autopilot_list\":\"" + list + "\",\"contacts\":[" + Contact("top2@example.com") + "]}");
        Assert.Equal(200, b.Code);
        Assert.All(api.Host.Contacts(), c => Assert.Empty(c.Lists));
        Assert.Equal(0, Assert.Single(api.Host.Lists()).ContactCount);
    }

    [Fact]
    public async Task NewEmail_changes_the_email_and_conflicts_are_409()
    {
        await using var api = await Api.StartAsync();
        var id = await api.Upsert(Contact("old@example.com", ("FirstName", "O")));
        var id2 = await api.Upsert(Contact("old@example.com", ("_NewEmail", "new@example.com")));
        Assert.Equal(id, id2);
        AssertError(await api.Get("/contact/old@example.com"), 404, "Not Found", "Contact could not be found.");
        var got = await api.Get("/contact/NEW@example.com");
        Assert.Equal(id, got.Json.GetProperty("contact_id").GetString());
        Assert.Equal("new@example.com", api.Host.Contact(id)!.Email);
        Assert.Equal("O", api.Host.Contact(id)!["FirstName"]);

        await api.Upsert(Contact("other@example.com"));
        var conflict = await api.Post("/contact", "{\"contact\":" + Contact("new@example.com", ("_NewEmail", "Other@example.com")) + "}");
        AssertError(conflict, 409, "Conflict", "contact: _NewEmail 'Other@example.com' already belongs to another contact.");
        Assert.Equal("new@example.com", api.Host.Contact(id)!.Email);
    }

    [Fact]
    public async Task Get_contacts_pages_all_contacts_with_an_opaque_bookmark()
    {
        await using var api = await Api.StartAsync();
        for (int b = 0; b < 2; b++)
            Assert.Equal(200, (await api.Bulk(Enumerable.Range(0, 75).Select(i => Contact($"p{b}-{i}@example.com")))).Code);

        var first = await api.Get("/contacts");
        Assert.Equal(200, first.Code);
        Assert.Equal(100, first.Json.GetProperty("contacts").GetArrayLength());
        Assert.Equal(150, first.Json.GetProperty("total_contacts").GetInt32());
        var bookmark = first.Json.GetProperty("bookmark").GetString()!;
        Assert.Matches("^[A-Za-z0-9_-]+$", bookmark);

        var second = await api.Get("/contacts/" + bookmark);
        Assert.Equal(50, second.Json.GetProperty("contacts").GetArrayLength());
        Assert.Equal(150, second.Json.GetProperty("total_contacts").GetInt32());
        Assert.False(second.Json.TryGetProperty("bookmark", out _));

        var emails = first.Json.GetProperty("contacts").EnumerateArray().Concat(second.Json.GetProperty("contacts").EnumerateArray())
            .Select(c => c.GetProperty("Email").GetString()).ToList();
        Assert.Equal(api.Host.Contacts().Select(c => c.Email), emails);
        AssertError(await api.Get("/contacts/not-a-bookmark"), 400, "Bad Request", "Invalid bookmark.");
    }

    [Fact]
    public async Task Get_contacts_on_an_empty_store_has_no_bookmark()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Get("/contacts");
        Assert.Equal("{\"contacts\":[],\"total_contacts\":0}", r.Body);
    }
}
