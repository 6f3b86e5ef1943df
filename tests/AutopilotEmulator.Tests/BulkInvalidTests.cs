using Xunit;
using static AutopilotEmulator.Tests.Api;
using static AutopilotEmulator.Tests.Patterns;

namespace AutopilotEmulator.Tests;

public class BulkInvalidTests
{
    private static readonly string[] Batch =
    {
        Contact("good1@example.com", ("FirstName", "G1")),
        Contact("x"),
        Obj(("FirstName", "no email")),
        Contact("good2@example.com", ("custom", new Raw("{\"integer--Visits\":\"many\"}"))),
        Contact("good3@example.com"),
    };

    [Fact]
    public async Task Reject_is_the_default_400_for_the_whole_call_naming_each_index()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Bulk(Batch);
        AssertError(r, 400, "Bad Request",
            "contacts[1]: invalid email 'x' (no '@'); contacts[2]: Email is required; contacts[3]: custom key 'integer--Visits' must hold a JSON integer, not \"many\"");
        Assert.Empty(api.Host.Contacts());
        Assert.Empty(api.Host.CustomFields());
        Assert.Equal(0, api.Host.Stats().ContactsWritten);
        Assert.Equal(5, api.Host.Stats().BulkContactsMax);
    }

    [Fact]
    public async Task Reject_with_one_bad_item_names_it()
    {
        await using var api = await Api.StartAsync();
        var items = Enumerable.Range(0, 20).Select(i => Contact($"ok{i}@example.com")).ToArray();
        items[17] = Contact("x");
        AssertError(await api.Bulk(items), 400, "Bad Request", "contacts[17]: invalid email 'x' (no '@')");
        Assert.Empty(api.Host.Contacts());
    }

    [Fact]
    public async Task Skip_writes_the_valid_items_and_leaves_the_invalid_ones_out_of_the_answer()
    {
        await using var api = await Api.StartAsync(o => o.BulkInvalid = BulkInvalidMode.Skip);
        var r = await api.Bulk(Batch);
        Assert.Equal(200, r.Code);
        var map = r.Json.GetProperty("email_contact_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(new[] { "good1@example.com", "good3@example.com" }, map.Keys.ToArray());
        var ids = r.Json.GetProperty("contact_ids").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(map.Values.ToArray(), ids);
        Assert.Equal(new[] { "good1@example.com", "good3@example.com" }, api.Host.Contacts().Select(c => c.Email));
        Assert.Equal(2, api.Host.Stats().ContactsWritten);
        Assert.Empty(api.Host.CustomFields());
    }

    [Fact]
    public async Task Skip_with_every_item_invalid_is_200_with_empty_answer()
    {
        await using var api = await Api.StartAsync(o => o.BulkInvalid = BulkInvalidMode.Skip);
        var r = await api.Bulk(new[] { Contact("bad"), "42" });
        Assert.Equal(200, r.Code);
        Assert.Equal("{\"contact_ids\":[],\"email_contact_map\":{}}", r.Body);
        Assert.Empty(api.Host.Contacts());
    }

    [Fact]
    public async Task Skip_still_refuses_the_101st_item_and_envelope_errors()
    {
        await using var api = await Api.StartAsync(o => o.BulkInvalid = BulkInvalidMode.Skip);
        AssertError(await api.Bulk(Enumerable.Range(0, 101).Select(i => Contact($"u{i}@example.com"))), 400, "Bad Request", "At most 100 contacts per call; this call holds 101.");
        Assert.StartsWith("Malformed JSON: ", ErrorMessage(await api.Post("/contacts", "{\"contacts\":[{\"Email\":"), 400, "Bad Request"));
        Assert.Empty(api.Host.Contacts());
    }

    [Fact]
    public async Task Mode_can_be_switched_at_run_time()
    {
        await using var api = await Api.StartAsync();
        Assert.Equal(400, (await api.Bulk(Batch)).Code);
        api.Host.SetBulkInvalid(BulkInvalidMode.Skip);
        Assert.Equal(200, (await api.Bulk(Batch)).Code);
        api.Host.SetBulkInvalid(BulkInvalidMode.Reject);
        Assert.Equal(400, (await api.Bulk(Batch)).Code);
        Assert.Equal(2, api.Host.Contacts().Count);
    }

    [Fact]
    public async Task A_single_contact_is_always_rejected_whatever_the_mode()
    {
        await using var api = await Api.StartAsync(o => o.BulkInvalid = BulkInvalidMode.Skip);
        AssertError(await api.Post("/contact", "{\"contact\":" + Contact("x") + "}"), 400, "Bad Request", "contact: invalid email 'x' (no '@')");
    }
}

public class BodyLimitTests
{
    [Fact]
    public async Task A_body_over_the_configured_limit_is_413_and_one_within_it_is_taken()
    {
        await using var api = await Api.StartAsync(o => o.MaxBodyBytes = 4096);
        var big = Contact("big@example.com", ("FirstName", new string('a', 5000)));
        AssertError(await api.Bulk(new[] { big }), 413, "Payload Too Large", "The body is larger than 4096 bytes.");
        Assert.Empty(api.Host.Contacts());

        var small = Contact("small@example.com", ("FirstName", new string('a', 3000)));
        Assert.Equal(200, (await api.Bulk(new[] { small })).Code);
        Assert.Equal(new[] { "small@example.com" }, api.Host.Contacts().Select(c => c.Email));
    }

    [Fact]
    public void The_default_limit_is_above_the_contracts_2_MB_safe_bound()
    {
        Assert.Equal(8 * 1024 * 1024, new EmulatorOptions().MaxBodyBytes);
        Assert.Throws<ArgumentException>(() => EmulatorHost.StartAsync(new EmulatorOptions { MaxBodyBytes = 10 }).GetAwaiter().GetResult());
    }
}
