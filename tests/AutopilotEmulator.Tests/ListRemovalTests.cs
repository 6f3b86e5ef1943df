using Xunit;
using static AutopilotEmulator.Tests.Api;
using static AutopilotEmulator.Tests.Patterns;

namespace AutopilotEmulator.Tests;

/// <summary>
/// DELETE /list/{listId}/contact/{idOrEmail} (what Mirror mode sends) with the fidelity of the other routes: the
/// contact is never deleted or unsubscribed, other lists are untouched, the rate limit and injected faults apply,
/// and faults can be aimed at removals alone (FaultProfile.Methods).
/// </summary>
public class ListRemovalTests
{
    private static async Task<(Api Api, string Keep, string Mirror, string Id)> OnTwoLists(Action<EmulatorOptions>? configure = null)
    {
        var api = await Api.StartAsync(configure);
        var keep = await api.CreateList("Other");
        var mirror = await api.CreateList("Segment");
        var id = await api.Upsert(Contact("gone@example.com", ("unsubscribed", true)));
        Assert.Equal(200, (await api.Post($"/list/{keep}/contact/{id}")).Code);
        Assert.Equal(200, (await api.Post($"/list/{mirror}/contact/{id}")).Code);
        return (api, keep, mirror, id);
    }

    [Fact]
    public async Task Removal_by_email_in_any_case_leaves_the_contact_its_unsubscribe_and_its_other_lists()
    {
        var (api, keep, mirror, id) = await OnTwoLists();
        await using var _ = api;
        var before = api.Host.Contact(id)!;
        Assert.Equal(200, (await api.Delete($"/list/{mirror}/contact/GONE@Example.com")).Code);
        var after = api.Host.Contact(id)!;
        Assert.Equal(new[] { keep }, after.Lists);
        Assert.True(after.Unsubscribed);
        Assert.Equal(before.Fields, after.Fields);
        Assert.Empty(api.Host.Lists().Single(l => l.ListId == mirror).ContactIds);
        Assert.Equal(new[] { id }, api.Host.Lists().Single(l => l.ListId == keep).ContactIds);
        Assert.Equal(1, api.Host.Stats().Count("DELETE /v1/list/{listId}/contact/{idOrEmail}", 200));
        // Nothing was written to the contact itself.
        Assert.Equal(before.UpdatedAt, after.UpdatedAt);
    }

    [Fact]
    public async Task Removal_is_rate_limited_like_every_other_route()
    {
        var (api, _, mirror, id) = await OnTwoLists(o => o.RateLimit = 0);
        await using var __ = api;
        api.Host.SetRateLimit(0.05);
        var first = await api.Delete($"/list/{mirror}/contact/{id}");
        var second = await api.Delete($"/list/{mirror}/contact/{id}");
        Assert.Equal(200, first.Code);
        AssertError(second, 429, "Too Many Requests", "Rate limit exceeded: at most 0.05 requests per second.");
        Assert.NotNull(second.RetryAfter);
        Assert.Equal(1, api.Host.Stats().Count("DELETE /v1/list/{listId}/contact/{idOrEmail}", 429));
    }

    [Fact]
    public async Task Faults_aimed_at_DELETE_hit_removals_only_and_a_fault_before_handling_removes_nothing()
    {
        var (api, _, mirror, id) = await OnTwoLists();
        await using var __ = api;
        api.Host.SetFaults(new FaultProfile { Error503Rate = 1, Methods = new[] { "DELETE" } });
        AssertError(await api.Delete($"/list/{mirror}/contact/{id}"), 503, "Service Unavailable", "Injected fault: service unavailable.");
        Assert.Contains(mirror, api.Host.Contact(id)!.Lists);
        // Adds and reads on the same path are not faulted.
        Assert.Equal(200, (await api.Get($"/list/{mirror}/contact/{id}")).Code);
        Assert.Equal(200, (await api.Post($"/list/{mirror}/contact/{id}")).Code);
        Assert.Equal(1, api.Host.Stats().FaultsInjected.Total);
    }

    [Fact]
    public async Task A_removal_accepted_then_cut_off_has_landed_and_the_retry_is_a_harmless_200()
    {
        var (api, keep, mirror, id) = await OnTwoLists();
        await using var __ = api;
        api.Host.SetFaults(new FaultProfile { AcceptThenFailRate = 1, Methods = new[] { "DELETE" }, Paths = new[] { "/v1/list/" } });
        await Assert.ThrowsAsync<HttpRequestException>(() => api.Delete($"/list/{mirror}/contact/{id}"));
        Assert.Equal(new[] { keep }, api.Host.Contact(id)!.Lists);
        api.Host.SetFaults(null);
        Assert.Equal(200, (await api.Delete($"/list/{mirror}/contact/{id}")).Code);
        Assert.Equal(new[] { keep }, api.Host.Contact(id)!.Lists);
    }

    [Fact]
    public async Task Unknown_list_or_contact_is_404_and_changes_nothing()
    {
        var (api, keep, mirror, id) = await OnTwoLists();
        await using var __ = api;
        AssertError(await api.Delete($"/list/contactlist_00000000-0000-0000-0000-000000000000/contact/{id}"), 404, "Not Found", "List could not be found.");
        AssertError(await api.Delete($"/list/{mirror}/contact/stranger@example.com"), 404, "Not Found", "Contact could not be found.");
        Assert.Equal(new[] { keep, mirror }, api.Host.Contact(id)!.Lists);
    }

    [Fact]
    public void Methods_must_be_known_http_methods()
    {
        Assert.Throws<ArgumentException>(() => new FaultProfile { Error500Rate = 1, Methods = new[] { "PATCH" } }.Validate());
        var p = FaultProfile.Parse("{\"error500Rate\":0.5,\"methods\":[\"DELETE\"]}");
        Assert.Equal(new[] { "DELETE" }, p.Methods);
    }
}
