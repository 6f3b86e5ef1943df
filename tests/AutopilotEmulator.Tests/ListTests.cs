using Xunit;
using static AutopilotEmulator.Tests.Api;
using static AutopilotEmulator.Tests.Patterns;

namespace AutopilotEmulator.Tests;

public class ListTests
{
    [Fact]
    public async Task Create_list_answers_an_id_and_lists_shows_it()
    {
        await using var api = await Api.StartAsync();
        Assert.Equal("{\"lists\":[]}", (await api.Get("/lists")).Body);
        var a = await api.CreateList("Segment A");
        var b = await api.CreateList("Segment B");
        Assert.Matches(ListId, a);
        Assert.Matches(ListId, b);
        var r = await api.Get("/lists");
        Assert.Equal(200, r.Code);
        Assert.Equal($"{{\"lists\":[{{\"list_id\":\"{a}\",\"title\":\"Segment A\"}},{{\"list_id\":\"{b}\",\"title\":\"Segment B\"}}]}}", r.Body);
        Assert.Equal(new[] { "Segment A", "Segment B" }, api.Host.Lists().Select(l => l.Title));
    }

    [Fact]
    public async Task Duplicate_list_name_is_409_case_insensitively()
    {
        await using var api = await Api.StartAsync();
        await api.CreateList("Customers");
        AssertError(await api.Post("/list", Obj(("name", "customers"))), 409, "Conflict", "A list named 'customers' already exists.");
        Assert.Single(api.Host.Lists());
    }

    [Theory]
    [InlineData("{\"name\":\"\"}", "'name' must be a non-empty string, not \"\".")]
    [InlineData("{\"name\":5}", "'name' must be a non-empty string, not 5.")]
    [InlineData("{\"title\":\"x\"}", "unknown top-level key 'title'; the body must be {\"name\": …}.")]
    [InlineData("{}", "The body must be {\"name\": …}; 'name' is missing.")]
    public async Task Invalid_list_bodies_are_400(string body, string message)
    {
        await using var api = await Api.StartAsync();
        AssertError(await api.Post("/list", body), 400, "Bad Request", message);
        Assert.Empty(api.Host.Lists());
    }

    [Fact]
    public async Task Membership_add_check_remove()
    {
        await using var api = await Api.StartAsync();
        var list = await api.CreateList("Seg");
        var id = await api.Upsert(Contact("m@example.com"));

        AssertError(await api.Get($"/list/{list}/contact/{id}"), 404, "Not Found", "Contact is not on the list.");
        var add = await api.Post($"/list/{list}/contact/M@example.com");
        Assert.Equal(200, add.Code);
        Assert.Equal("", add.Body);
        Assert.Equal(200, (await api.Post($"/list/{list}/contact/{id}")).Code);   // idempotent
        var has = await api.Get($"/list/{list}/contact/{id}");
        Assert.Equal(200, has.Code);
        Assert.Equal(200, (await api.Get($"/list/{list}/contact/m@EXAMPLE.com")).Code);
        Assert.Equal(new[] { list }, api.Host.Contact(id)!.Lists);
        Assert.Equal(new[] { id }, api.Host.Lists()[0].ContactIds);

        var remove = await api.Delete($"/list/{list}/contact/{id}");
        Assert.Equal(200, remove.Code);
        AssertError(await api.Get($"/list/{list}/contact/{id}"), 404, "Not Found", "Contact is not on the list.");
        Assert.Equal(200, (await api.Delete($"/list/{list}/contact/{id}")).Code);   // removing again is fine
        Assert.NotNull(api.Host.Contact(id));                                     // the contact itself stays
        Assert.Empty(api.Host.Contact(id)!.Lists);
    }

    [Fact]
    public async Task Unknown_list_id_is_404_on_every_list_route()
    {
        await using var api = await Api.StartAsync();
        await api.Upsert(Contact("m@example.com"));
        const string missing = "contactlist_00000000-0000-0000-0000-000000000000";
        AssertError(await api.Get($"/list/{missing}/contact/m@example.com"), 404, "Not Found", "List could not be found.");
        AssertError(await api.Post($"/list/{missing}/contact/m@example.com"), 404, "Not Found", "List could not be found.");
        AssertError(await api.Delete($"/list/{missing}/contact/m@example.com"), 404, "Not Found", "List could not be found.");
        AssertError(await api.Get($"/list/{missing}/contacts"), 404, "Not Found", "List could not be found.");
        AssertError(await api.Get($"/list/{missing}/contacts/abc"), 404, "Not Found", "List could not be found.");
    }

    [Fact]
    public async Task Unknown_contact_on_a_list_route_is_404()
    {
        await using var api = await Api.StartAsync();
        var list = await api.CreateList("Seg");
        AssertError(await api.Post($"/list/{list}/contact/ghost@example.com"), 404, "Not Found", "Contact could not be found.");
        AssertError(await api.Get($"/list/{list}/contact/ghost@example.com"), 404, "Not Found", "Contact could not be found.");
        AssertError(await api.Delete($"/list/{list}/contact/ghost@example.com"), 404, "Not Found", "Contact could not be found.");
    }

    [Fact]
    public async Task Autopilot_list_inside_a_contact_joins_the_list()
    {
        await using var api = await Api.StartAsync();
        var a = await api.CreateList("A");
        var b = await api.CreateList("B");
        var id = await api.Upsert(Contact("j@example.com", ("_autopilot_list", a)));
        var bulk = await api.Bulk(new[] { Contact("j@example.com", ("_autopilot_list", b)), Contact("k@example.com", ("_autopilot_list", b)) });
        Assert.Equal(200, bulk.Code);
        Assert.Equal(new[] { a, b }, api.Host.Contact(id)!.Lists);
        Assert.Equal(200, (await api.Get($"/list/{a}/contact/{id}")).Code);
        Assert.Equal(200, (await api.Get($"/list/{b}/contact/k@example.com")).Code);
        Assert.Equal(new[] { 1, 2 }, api.Host.Lists().Select(l => l.ContactCount));
        // Upserting again without _autopilot_list keeps the memberships.
        await api.Upsert(Contact("j@example.com", ("FirstName", "J")));
        Assert.Equal(new[] { a, b }, api.Host.Contact(id)!.Lists);
    }

    [Theory]
    [InlineData(BulkInvalidMode.Reject)]
    [InlineData(BulkInvalidMode.Skip)]
    public async Task Unknown_autopilot_list_fails_the_whole_call_with_404(BulkInvalidMode mode)
    {
        await using var api = await Api.StartAsync(o => o.BulkInvalid = mode);
        const string missing = "contactlist_00000000-0000-0000-0000-000000000000";
        var single = await api.Post("/contact", "{\"contact\":" + Contact("x@example.com", ("_autopilot_list", missing)) + "}");
        AssertError(single, 404, "Not Found", $"contact: list '{missing}' could not be found.");
        var bulk = await api.Bulk(new[] { Contact("y@example.com"), Contact("z@example.com", ("_autopilot_list", missing)) });
        AssertError(bulk, 404, "Not Found", $"contacts[1]: list '{missing}' could not be found.");
        Assert.Empty(api.Host.Contacts());
    }

    private static async Task<(string List, List<string> Emails)> FillList(Api api, int count)
    {
        var list = await api.CreateList("Big");
        var emails = new List<string>();
        for (int start = 0; start < count; start += 100)
        {
            var batch = Enumerable.Range(start, Math.Min(100, count - start)).Select(i => $"m{i:D4}@example.com").ToList();
            emails.AddRange(batch);
            Assert.Equal(200, (await api.Bulk(batch.Select(e => Contact(e, ("_autopilot_list", list))))).Code);
        }
        return (list, emails);
    }

    [Fact]
    public async Task List_contacts_page_100_at_a_time_with_a_bookmark_and_none_on_the_last_page()
    {
        await using var api = await Api.StartAsync();
        await api.Upsert(Contact("not-on-list@example.com"));
        var (list, emails) = await FillList(api, 250);

        var seen = new List<string>();
        var sizes = new List<int>();
        string? bookmark = null;
        int pages = 0;
        do
        {
            var r = await api.Get($"/list/{list}/contacts" + (bookmark == null ? "" : "/" + bookmark));
            Assert.Equal(200, r.Code);
            var j = r.Json;
            Assert.Equal(250, j.GetProperty("total_contacts").GetInt32());
            var contacts = j.GetProperty("contacts").EnumerateArray().ToList();
            sizes.Add(contacts.Count);
            seen.AddRange(contacts.Select(c => c.GetProperty("Email").GetString()!));
            Assert.All(contacts, c => Assert.Matches(PersonId, c.GetProperty("contact_id").GetString()!));
            bookmark = j.TryGetProperty("bookmark", out var bm) ? bm.GetString() : null;
            if (bookmark != null) Assert.Matches("^[A-Za-z0-9_-]+$", bookmark);
            Assert.True(++pages <= 3);
        } while (bookmark != null);

        Assert.Equal(new[] { 100, 100, 50 }, sizes);
        Assert.Equal(emails, seen);
    }

    [Fact]
    public async Task Exactly_100_members_is_one_page_without_bookmark()
    {
        await using var api = await Api.StartAsync();
        var (list, _) = await FillList(api, 100);
        var r = await api.Get($"/list/{list}/contacts");
        Assert.Equal(100, r.Json.GetProperty("contacts").GetArrayLength());
        Assert.Equal(100, r.Json.GetProperty("total_contacts").GetInt32());
        Assert.False(r.Json.TryGetProperty("bookmark", out _));
    }

    [Fact]
    public async Task Empty_list_and_bad_bookmarks()
    {
        await using var api = await Api.StartAsync();
        var (list, _) = await FillList(api, 101);
        var other = await api.CreateList("Empty");
        Assert.Equal("{\"contacts\":[],\"total_contacts\":0}", (await api.Get($"/list/{other}/contacts")).Body);

        var bookmark = (await api.Get($"/list/{list}/contacts")).Json.GetProperty("bookmark").GetString();
        AssertError(await api.Get($"/list/{other}/contacts/{bookmark}"), 400, "Bad Request", "Invalid bookmark.");   // another list's bookmark
        AssertError(await api.Get($"/list/{list}/contacts/%21%21"), 400, "Bad Request", "Invalid bookmark.");
        var last = await api.Get($"/list/{list}/contacts/{bookmark}");
        Assert.Equal(1, last.Json.GetProperty("contacts").GetArrayLength());
        Assert.Equal("m0100@example.com", last.Json.GetProperty("contacts")[0].GetProperty("Email").GetString());
    }

    [Fact]
    public async Task Removal_between_pages_does_not_repeat_or_skip_the_remaining_members()
    {
        await using var api = await Api.StartAsync();
        var (list, emails) = await FillList(api, 150);
        var first = await api.Get($"/list/{list}/contacts");
        var bookmark = first.Json.GetProperty("bookmark").GetString();
        Assert.Equal(200, (await api.Delete($"/list/{list}/contact/{emails[0]}")).Code);
        Assert.Equal(200, (await api.Delete($"/list/{list}/contact/{emails[120]}")).Code);
        var second = await api.Get($"/list/{list}/contacts/{bookmark}");
        var rest = second.Json.GetProperty("contacts").EnumerateArray().Select(c => c.GetProperty("Email").GetString()).ToList();
        Assert.Equal(emails.Skip(100).Where(e => e != emails[120]), rest);
        Assert.Equal(148, second.Json.GetProperty("total_contacts").GetInt32());
    }
}
