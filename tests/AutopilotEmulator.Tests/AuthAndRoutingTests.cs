using System.Net;
using System.Text.RegularExpressions;
using Xunit;
using static AutopilotEmulator.Tests.Patterns;

namespace AutopilotEmulator.Tests;

public class AuthAndRoutingTests
{
    [Fact]
    public async Task Missing_key_header_is_400_with_the_contract_error_body()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Get("/account", key: null);
        AssertError(r, 400, "Bad Request", "The autopilotapikey header is missing.");
    }

    [Fact]
    public async Task Empty_key_header_counts_as_missing()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Get("/account", key: "");
        AssertError(r, 400, "Bad Request", "The autopilotapikey header is missing.");
    }

    [Fact]
    public async Task Wrong_key_is_401_with_the_contract_error_body()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Get("/account", key: "not-the-key");
        AssertError(r, 401, "Unauthorized", "Invalid API key.");
        // The comparison is exact, not case-insensitive.
        AssertError(await api.Get("/account", key: Api.Key.ToUpperInvariant()), 401, "Unauthorized", "Invalid API key.");
    }

    [Fact]
    public async Task SetApiKey_revokes_the_old_key_at_once_and_Reset_keeps_the_new_one()
    {
        await using var api = await Api.StartAsync();
        Assert.Equal(200, (await api.Get("/account")).Code);

        api.Host.SetApiKey("rotated-key");
        Assert.Equal("rotated-key", api.Host.ApiKey);
        AssertError(await api.Get("/account"), 401, "Unauthorized", "Invalid API key.");
        Assert.Equal(200, (await api.Get("/account", key: "rotated-key")).Code);

        api.Host.Reset();
        Assert.Equal(200, (await api.Get("/lists", key: "rotated-key")).Code);
        Assert.Throws<ArgumentException>(() => api.Host.SetApiKey(" "));
        Assert.Equal("rotated-key", api.Host.ApiKey);
    }

    [Fact]
    public async Task Account_answers_the_instance_id()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Get("/account");
        Assert.Equal(200, r.Code);
        var id = r.Json.GetProperty("instanceId").GetString();
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal(api.Host.InstanceId, id);
    }

    [Fact]
    public async Task Seeded_instance_id_is_stable()
    {
        await using var a = await Api.StartAsync(o => o.Seed = 7);
        await using var b = await Api.StartAsync(o => o.Seed = 7);
        Assert.Equal(a.Host.InstanceId, b.Host.InstanceId);
    }

    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "/account" }, { "POST", "/contact" }, { "POST", "/contacts" }, { "GET", "/contact/a@b.co" },
        { "DELETE", "/contact/a@b.co" }, { "POST", "/contact/a@b.co/unsubscribe" }, { "GET", "/contacts" },
        { "GET", "/contacts/bookmark" }, { "GET", "/contacts/custom_fields" }, { "GET", "/lists" }, { "POST", "/list" },
        { "GET", "/list/contactlist_X/contact/a@b.co" }, { "POST", "/list/contactlist_X/contact/a@b.co" },
        { "DELETE", "/list/contactlist_X/contact/a@b.co" }, { "GET", "/list/contactlist_X/contacts" },
        { "GET", "/list/contactlist_X/contacts/bookmark" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_route_requires_the_key(string method, string path)
    {
        await using var api = await Api.StartAsync();
        var missing = await api.Send(new HttpMethod(method), path, method == "POST" ? "{}" : null, key: null);
        AssertError(missing, 400, "Bad Request", "The autopilotapikey header is missing.");
        var wrong = await api.Send(new HttpMethod(method), path, method == "POST" ? "{}" : null, key: "wrong");
        AssertError(wrong, 401, "Unauthorized", "Invalid API key.");
        Assert.Empty(api.Host.Contacts());
        Assert.Empty(api.Host.Lists());
    }

    [Fact]
    public async Task Unknown_route_is_404_with_error_body()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Get("/nothing/here");
        AssertError(r, 404, "Not Found", "No route GET /v1/nothing/here.");
    }

    [Fact]
    public async Task Wrong_method_is_405_with_error_body()
    {
        await using var api = await Api.StartAsync();
        var r = await api.Send(HttpMethod.Put, "/contacts", "{}");
        AssertError(r, 405, "Method Not Allowed", "Method PUT is not allowed on /v1/contacts.");
    }

    [Fact]
    public async Task Host_uris_are_loopback_with_a_free_port()
    {
        await using var a = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = "k" });
        await using var b = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = "k" });
        Assert.Matches(new Regex(@"^http://127\.0\.0\.1:\d+/v1$"), a.BaseUri.ToString());
        Assert.Matches(new Regex(@"^http://127\.0\.0\.1:\d+/$"), a.RootUri.ToString());
        Assert.Equal(a.RootUri.Port, a.BaseUri.Port);
        Assert.NotEqual(0, a.BaseUri.Port);
        Assert.NotEqual(a.BaseUri.Port, b.BaseUri.Port);
        Assert.Equal("k", a.ApiKey);
    }

    [Fact]
    public async Task CreateClient_sends_the_key_to_base_uri()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = "k", RateLimit = 0 });
        using var client = host.CreateClient();
        using var resp = await client.GetAsync("account");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
    }

    [Fact]
    public async Task A_disposed_host_stops_listening()
    {
        var host = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = "k", RateLimit = 0 });
        var uri = new Uri(host.BaseUri + "/account");
        await host.DisposeAsync();
        await host.DisposeAsync(); // idempotent
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(uri));
    }

    [Fact]
    public async Task Invalid_options_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = " " }));
        await Assert.ThrowsAsync<ArgumentException>(() => EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = "k", RateLimit = -1 }));
        await Assert.ThrowsAsync<ArgumentException>(() => EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = "k", Faults = new FaultProfile { Error500Rate = 0.6, Error503Rate = 0.6 } }));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5099", "127.0.0.1:5099")]
    [InlineData("http://127.0.0.2:5099/", "127.0.0.2:5099")]
    [InlineData("http://localhost:6000", "127.0.0.1:6000")]
    [InlineData("http://[::1]:5099", "[::1]:5099")]
    public void Cli_accepts_loopback_urls(string url, string endpoint)
    {
        var eps = Program.ParseUrls(url);
        Assert.Equal(endpoint, Assert.Single(eps).ToString());
    }

    [Theory]
    [InlineData("http://0.0.0.0:5099")]
    [InlineData("http://*:5099")]
    [InlineData("http://+:5099")]
    [InlineData("http://192.168.1.10:5099")]
    [InlineData("http://example.com:5099")]
    [InlineData("http://[::]:5099")]
    [InlineData("https://127.0.0.1:5099")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://127.0.0.1:5099/v1")]
    public void Cli_refuses_non_loopback_or_malformed_urls(string url)
    {
        Assert.Throws<ArgumentException>(() => Program.ParseUrls(url));
    }

    [Fact]
    public void Cli_accepts_several_urls()
    {
        var eps = Program.ParseUrls("http://127.0.0.1:5099;http://[::1]:5099");
        Assert.Equal(new[] { "127.0.0.1:5099", "[::1]:5099" }, eps.Select(e => e.ToString()));
        Assert.Throws<ArgumentException>(() => Program.ParseUrls("http://127.0.0.1:5099;http://10.0.0.1:5099"));
    }
}
