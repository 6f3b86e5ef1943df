using Xunit;
using static AutopilotEmulator.Tests.Api;
using static AutopilotEmulator.Tests.Patterns;

namespace AutopilotEmulator.Tests;

public class InspectionTests
{
    [Fact]
    public async Task Contacts_shows_every_stored_field_custom_keys_unsubscribed_and_lists()
    {
        await using var api = await Api.StartAsync();
        var list = await api.CreateList("Seg");
        var id = await api.Upsert(Contact("Ann@example.com", ("FirstName", "Ann"), ("NumberOfEmployees", 12L), ("unsubscribed", true),
            ("custom", new Raw("{\"string--Loyalty--Tier\":\"gold\",\"boolean--Vip\":false}")), ("_autopilot_list", list)));
        var id2 = await api.Upsert(Contact("bo@example.com"));
        var r = await api.Inspect("contacts");
        Assert.Equal(200, r.Code);
        Assert.Equal(
            "{\"total\":2,\"contacts\":[" +
            $"{{\"contact_id\":\"{id}\",\"Email\":\"Ann@example.com\",\"FirstName\":\"Ann\",\"NumberOfEmployees\":12,\"custom\":{{\"string--Loyalty--Tier\":\"gold\",\"boolean--Vip\":false}},\"unsubscribed\":true,\"lists\":[\"{list}\"]}}," +
            $"{{\"contact_id\":\"{id2}\",\"Email\":\"bo@example.com\",\"custom\":{{}},\"unsubscribed\":false,\"lists\":[]}}]}}",
            r.Body);
    }

    [Fact]
    public async Task Lists_shows_member_counts()
    {
        await using var api = await Api.StartAsync();
        var a = await api.CreateList("A");
        var b = await api.CreateList("B");
        await api.Bulk(new[] { Contact("1@example.com", ("_autopilot_list", a)), Contact("2@example.com", ("_autopilot_list", a)) });
        var r = await api.Inspect("lists");
        Assert.Equal($"{{\"lists\":[{{\"list_id\":\"{a}\",\"title\":\"A\",\"contacts\":2}},{{\"list_id\":\"{b}\",\"title\":\"B\",\"contacts\":0}}]}}", r.Body);
    }

    [Fact]
    public async Task Stats_counts_requests_by_route_template_and_status()
    {
        await using var api = await Api.StartAsync();
        await api.Get("/account");
        await api.Get("/account", key: "wrong");
        await api.Bulk(new[] { Contact("a@example.com"), Contact("b@example.com"), Contact("c@example.com") });
        await api.Bulk(Enumerable.Range(0, 101).Select(i => Contact($"x{i}@example.com")));
        await api.Get("/contact/a@example.com");
        await api.Get("/contact/zz@example.com");
        await api.Get("/no/such/route");
        await api.Inspect("contacts");     // not counted
        var r = await api.Inspect("stats");
        Assert.Equal(
            "{\"totalRequests\":7,\"requests\":[" +
            "{\"route\":\"GET (unmatched)\",\"status\":404,\"count\":1}," +
            "{\"route\":\"GET /v1/account\",\"status\":200,\"count\":1}," +
            "{\"route\":\"GET /v1/account\",\"status\":401,\"count\":1}," +
            "{\"route\":\"GET /v1/contact/{idOrEmail}\",\"status\":200,\"count\":1}," +
            "{\"route\":\"GET /v1/contact/{idOrEmail}\",\"status\":404,\"count\":1}," +
            "{\"route\":\"POST /v1/contacts\",\"status\":200,\"count\":1}," +
            "{\"route\":\"POST /v1/contacts\",\"status\":400,\"count\":1}]," +
            "\"throttled\":0,\"faultsInjected\":{\"error500\":0,\"error503\":0,\"reset\":0,\"acceptThenFail\":0,\"malformed\":0,\"latency\":0}," +
            "\"contactsWritten\":3,\"bulkContactsMax\":101}",
            WithoutProcess(r.Body));
        var s = api.Host.Stats();
        Assert.Equal(7, s.TotalRequests);
        Assert.Equal(2, s.Count("POST /v1/contacts"));
        Assert.Equal(3, s.ContactsWritten);
        Assert.Equal(101, s.BulkContactsMax);
    }

    /// <summary>The stats body without its "process" part (the emulator process's own GC figures, which vary),
    /// after checking that part holds its five whole numbers.</summary>
    private static string WithoutProcess(string body)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
        var process = Assert.IsType<System.Text.Json.Nodes.JsonObject>(root["process"]);
        Assert.Equal(new[] { "gcPauseMs", "gen0", "gen1", "gen2", "allocatedMb" }, process.Select(p => p.Key));
        Assert.All(process, p => Assert.True(p.Value!.GetValue<double>() >= 0));
        root.Remove("process");
        return root.ToJsonString();
    }

    [Fact]
    public async Task Requests_log_lists_method_route_status_and_bulk_count()
    {
        await using var api = await Api.StartAsync();
        await api.Get("/account");
        await api.Bulk(new[] { Contact("a@example.com"), Contact("b@example.com") });
        await api.Get("/contact/a@example.com", key: "wrong");
        var log = api.Host.Requests();
        Assert.Equal(
            new[] { ("GET", "/v1/account", "GET /v1/account", 200, (int?)null), ("POST", "/v1/contacts", "POST /v1/contacts", 200, 2), ("GET", "/v1/contact/a@example.com", "GET /v1/contact/{idOrEmail}", 401, null) },
            log.Select(r => (r.Method, r.Path, r.Route, r.Status, r.ContactCount)));

        var r = await api.Inspect("requests");
        var j = r.Json;
        Assert.Equal(3, j.GetProperty("total").GetInt32());
        Assert.Equal(10_000, j.GetProperty("capacity").GetInt32());
        var bulk = j.GetProperty("requests")[1];
        Assert.Equal("POST /v1/contacts", bulk.GetProperty("route").GetString());
        Assert.Equal(2, bulk.GetProperty("contactCount").GetInt32());
        Assert.Equal(200, bulk.GetProperty("status").GetInt32());
        Assert.False(j.GetProperty("requests")[0].TryGetProperty("contactCount", out _));

        var last = (await api.Inspect("requests?last=1")).Json.GetProperty("requests");
        Assert.Equal(1, last.GetArrayLength());
        Assert.Equal(401, last[0].GetProperty("status").GetInt32());
    }

    [Fact]
    public void Request_log_keeps_the_last_10000()
    {
        var stats = new StatsCollector();
        for (int i = 0; i < 10_005; i++) stats.Record("GET", "/v1/account", 200, null, null, "/v1/account?i=" + i);
        var log = stats.Requests(out long total);
        Assert.Equal(10_005, total);
        Assert.Equal(10_000, log.Count);
        Assert.Equal("/v1/account?i=5", log[0].Path);
        Assert.Equal("/v1/account?i=10004", log[^1].Path);
        Assert.Equal(10_005, stats.Snapshot().TotalRequests);
    }

    [Fact]
    public async Task Reset_over_http_clears_data_and_counters_but_keeps_key_and_configuration()
    {
        await using var api = await Api.StartAsync(o => o.BulkInvalid = BulkInvalidMode.Skip);
        var list = await api.CreateList("Seg");
        await api.Upsert(Contact("a@example.com", ("_autopilot_list", list), ("custom", new Raw("{\"integer--N\":1}"))));
        var r = await api.InspectPost("reset");
        Assert.Equal(200, r.Code);
        Assert.Equal("{\"reset\":true}", r.Body);

        Assert.Empty(api.Host.Contacts());
        Assert.Empty(api.Host.Lists());
        Assert.Empty(api.Host.CustomFields());
        Assert.Equal(0, api.Host.Stats().TotalRequests);
        Assert.Empty(api.Host.Requests());
        Assert.Equal("{\"total\":0,\"contacts\":[]}", (await api.Inspect("contacts")).Body);
        Assert.Equal("[]", (await api.Get("/contacts/custom_fields")).Body);
        AssertError(await api.Get("/account", key: "wrong"), 401, "Unauthorized", "Invalid API key.");
        // Skip mode survived; the custom field can now be created with another type.
        var bulk = await api.Bulk(new[] { Contact("bad"), Contact("b@example.com", ("custom", new Raw("{\"string--N\":\"x\"}"))) });
        Assert.Equal(200, bulk.Code);
        Assert.Equal(new[] { "b@example.com" }, api.Host.Contacts().Select(c => c.Email));
    }

    [Fact]
    public async Task Host_reset_clears_the_same_way()
    {
        await using var api = await Api.StartAsync(o => o.RateLimit = 0.05);
        Assert.Equal(200, (await api.Post("/list", Obj(("name", "L")))).Code);
        Assert.Equal(429, (await api.Get("/account")).Code);
        api.Host.Reset();
        Assert.Empty(api.Host.Lists());
        Assert.Equal(0, api.Host.Stats().Throttled);
        Assert.Equal(200, (await api.Get("/account")).Code);    // the window was cleared
        Assert.Equal(429, (await api.Get("/account")).Code);    // the limit itself was kept
    }

    [Fact]
    public async Task Config_can_be_read_and_changed_over_http()
    {
        await using var api = await Api.StartAsync(o => o.Seed = 5);
        var cfg = await api.Inspect("config");
        Assert.Equal("{\"rateLimit\":0,\"sendRetryAfter\":true,\"bulkInvalid\":\"reject\",\"seed\":5,\"faults\":null}", cfg.Body);

        var set = await api.InspectPost("config", "{\"rateLimit\":0.05,\"sendRetryAfter\":false,\"bulkInvalid\":\"skip\",\"faults\":{\"paths\":[\"/v1/contacts\"],\"error500Rate\":1}}");
        Assert.Equal(200, set.Code);
        var j = set.Json;
        Assert.Equal(0.05, j.GetProperty("rateLimit").GetDouble());
        Assert.Equal("skip", j.GetProperty("bulkInvalid").GetString());
        Assert.Equal(1, j.GetProperty("faults").GetProperty("error500Rate").GetDouble());

        Assert.Equal(500, (await api.Bulk(new[] { Contact("a@example.com") })).Code);
        var throttled = await api.Get("/account");
        Assert.Equal(429, throttled.Code);
        Assert.False(throttled.Headers.Contains("Retry-After"));

        Assert.Equal(200, (await api.InspectPost("config", "{\"rateLimit\":0,\"faults\":null}")).Code);
        Assert.Equal(200, (await api.Bulk(new[] { Contact("a@example.com"), Contact("bad") })).Code);

        Assert.Equal(400, (await api.InspectPost("config", "{\"bulkInvalid\":\"maybe\"}")).Code);
        Assert.Equal(400, (await api.InspectPost("config", "{\"faults\":{\"resetRate\":3}}")).Code);
        Assert.Equal(400, (await api.InspectPost("config", "{\"unknown\":1}")).Code);
    }
}
