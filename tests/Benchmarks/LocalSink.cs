using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AutopilotExport.Benchmarks;

/// <summary>
/// A near-free stand-in for the API, for the <c>sink</c> scenario: it answers the routes a run uses, confirms
/// every contact of a bulk call by echoing its emails, and stores nothing, checks nothing and limits nothing.
/// What a run costs against it is the module's own cost (plus the sink's, which is small and in this process).
/// </summary>
internal sealed class LocalSink : IAsyncDisposable
{
    private static readonly byte[] EmailKey = Encoding.UTF8.GetBytes("\"Email\":\"");
    private readonly WebApplication _app;
    private long _requests;

    private LocalSink(WebApplication app, Uri root) { _app = app; RootUri = root; }

    public Uri RootUri { get; }
    public Uri BaseUri => new(RootUri, "v1");
    public long Requests => Interlocked.Read(ref _requests);

    public static async Task<LocalSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        LocalSink? sink = null;
        app.Run(async ctx =>
        {
            Interlocked.Increment(ref sink!._requests);
            var path = ctx.Request.Path.Value ?? "";
            ctx.Response.ContentType = "application/json";
            if (path.EndsWith("/account", StringComparison.Ordinal)) await ctx.Response.WriteAsync("{\"instanceId\":\"sink\"}");
            else if (path.EndsWith("/lists", StringComparison.Ordinal)) await ctx.Response.WriteAsync("{\"lists\":[]}");
            else if (path.EndsWith("/list", StringComparison.Ordinal)) await ctx.Response.WriteAsync("{\"list_id\":\"contactlist_SINK\"}");
            else if (path.EndsWith("/contacts", StringComparison.Ordinal)) await EchoAsync(ctx);
            else ctx.Response.StatusCode = 404;
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First() + "/");
        sink = new LocalSink(app, address);
        return sink;
    }

    /// <summary>{"contact_ids":[],"email_contact_map":{"a@x":"person_SINK",...}} from the body's "Email" values.</summary>
    private static async Task EchoAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms);
        var body = ms.GetBuffer().AsMemory(0, (int)ms.Length);
        var buffer = new ArrayBufferWriter<byte>(body.Length / 2 + 64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("contact_ids");
            w.WriteEndArray();
            w.WriteStartObject("email_contact_map");
            var span = body.Span;
            int at;
            while ((at = span.IndexOf(EmailKey)) >= 0)
            {
                span = span[(at + EmailKey.Length)..];
                int end = span.IndexOf((byte)'"');
                w.WriteString(Encoding.UTF8.GetString(span[..end]), "person_SINK");
                span = span[end..];
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
