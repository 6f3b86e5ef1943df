using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit;

namespace AutopilotEmulator.Tests;

/// <summary>An HTTP answer read completely.</summary>
public sealed class ApiResponse
{
    public required HttpStatusCode Status { get; init; }
    public required string Body { get; init; }
    public required HttpResponseHeaders Headers { get; init; }
    public required HttpContentHeaders ContentHeaders { get; init; }
    public int Code => (int)Status;
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
    public TimeSpan? RetryAfter => Headers.RetryAfter?.Delta;
    public override string ToString() => $"{Code} {Body}";
}

/// <summary>A running emulator plus a raw HTTP client; every request closes its connection, so an injected reset is never retried transparently.</summary>
public sealed class Api : IAsyncDisposable
{
    public const string Key = "test-key";
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public Api(EmulatorHost host) => Host = host;

    public EmulatorHost Host { get; }

    public static async Task<Api> StartAsync(Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { ApiKey = Key, RateLimit = 0 };
        configure?.Invoke(options);
        return new Api(await EmulatorHost.StartAsync(options));
    }

    public Task<ApiResponse> Get(string path, string? key = Key) => Send(HttpMethod.Get, path, null, key);
    public Task<ApiResponse> Delete(string path, string? key = Key) => Send(HttpMethod.Delete, path, null, key);
    public Task<ApiResponse> Post(string path, string? json = null, string? key = Key, string? contentType = "application/json") =>
        Send(HttpMethod.Post, path, json, key, contentType);

    /// <summary>Sends to BaseUri + path ("/contacts").</summary>
    public Task<ApiResponse> Send(HttpMethod method, string path, string? body, string? key = Key, string? contentType = "application/json") =>
        SendAbsolute(method, new Uri(Host.BaseUri + path), body, key, contentType);

    /// <summary>GET on the inspection API ("stats" → /__emulator/stats).</summary>
    public Task<ApiResponse> Inspect(string path) => SendAbsolute(HttpMethod.Get, new Uri(Host.RootUri, "__emulator/" + path), null, null, null);

    public Task<ApiResponse> InspectPost(string path, string? json = null) =>
        SendAbsolute(HttpMethod.Post, new Uri(Host.RootUri, "__emulator/" + path), json, null, json == null ? null : "application/json");

    public async Task<ApiResponse> SendAbsolute(HttpMethod method, Uri uri, string? body, string? key, string? contentType)
    {
        using var req = new HttpRequestMessage(method, uri);
        req.Headers.ConnectionClose = true;
        if (key != null) req.Headers.TryAddWithoutValidation("autopilotapikey", key);
        if (body != null)
        {
            req.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType != null) req.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        using var resp = await _http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return new ApiResponse { Status = resp.StatusCode, Body = text, Headers = resp.Headers, ContentHeaders = resp.Content.Headers };
    }

    // ----- conveniences -----

    public async Task<string> CreateList(string name)
    {
        var r = await Post("/list", Obj(("name", name)));
        Assert.Equal(200, r.Code);
        return r.Json.GetProperty("list_id").GetString()!;
    }

    public async Task<string> Upsert(string contactJson)
    {
        var r = await Post("/contact", "{\"contact\":" + contactJson + "}");
        Assert.True(r.Code == 200, r.ToString());
        return r.Json.GetProperty("contact_id").GetString()!;
    }

    public async Task<ApiResponse> Bulk(IEnumerable<string> contactJsons) =>
        await Post("/contacts", "{\"contacts\":[" + string.Join(",", contactJsons) + "]}");

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Host.DisposeAsync();
    }

    /// <summary>A JSON object from name/value pairs (values serialized: string, long, double, bool, null, or a raw JSON string wrapped in <see cref="Raw"/>).</summary>
    public static string Obj(params (string Name, object? Value)[] props)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < props.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(JsonSerializer.Serialize(props[i].Name)).Append(':');
            sb.Append(props[i].Value is Raw raw ? raw.Json : JsonSerializer.Serialize(props[i].Value));
        }
        return sb.Append('}').ToString();
    }

    public static string Contact(string email, params (string Name, object? Value)[] more) =>
        Obj(new[] { ("Email", (object?)email) }.Concat(more).ToArray());
}

public sealed record Raw(string Json);

public static class Patterns
{
    public const string PersonId = "^person_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$";
    public const string ListId = "^contactlist_[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$";

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ErrorBody(string reason, string message) =>
        JsonSerializer.Serialize(new { error = reason, message }, Relaxed);

    public static void AssertError(ApiResponse r, int status, string reason, string message)
    {
        Assert.Equal(status, r.Code);
        Assert.Equal(ErrorBody(reason, message), r.Body);
        Assert.Equal("application/json", r.ContentHeaders.ContentType?.MediaType);
    }

    /// <summary>Asserts the contract error shape and returns the message.</summary>
    public static string ErrorMessage(ApiResponse r, int status, string reason)
    {
        Assert.True(status == r.Code, $"expected {status}, got {r}");
        var j = r.Json;
        Assert.Equal(reason, j.GetProperty("error").GetString());
        Assert.Equal(2, j.EnumerateObject().Count());
        return j.GetProperty("message").GetString()!;
    }
}
