using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AutopilotExport.Benchmarks;

/// <summary>
/// A near-free stand-in for the API, for the <c>sink</c> scenario: it answers the routes a run uses, confirms
/// every contact of a bulk call by echoing its emails, and stores nothing, checks nothing and limits nothing.
/// It runs in a child process (this harness started again with <c>--serve-sink</c>), so its HTTP parsing and
/// echo are not counted in the harness's CPU: what a run costs the harness process is the module's own cost
/// (with the row generator, which the <c>pipeline</c> diagnostic measures alone). <see cref="ProcessorTime"/>
/// reports the sink's CPU apart.
/// </summary>
internal sealed class LocalSink : IAsyncDisposable
{
    private static readonly byte[] EmailKey = Encoding.UTF8.GetBytes("\"Email\":\"");
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(1) };
    private readonly Process _child;

    private LocalSink(Process child, Uri root) { _child = child; RootUri = root; }

    public Uri RootUri { get; }
    public Uri BaseUri => new(RootUri, "v1");

    /// <summary>CPU the sink's process used so far.</summary>
    public TimeSpan ProcessorTime
    {
        get { try { _child.Refresh(); return _child.TotalProcessorTime; } catch (InvalidOperationException) { return TimeSpan.Zero; } }
    }

    /// <summary>Requests the sink answered so far.</summary>
    public async Task<long> RequestsAsync() =>
        long.Parse(await Http.GetStringAsync(new Uri(RootUri, "__sink/requests")), CultureInfo.InvariantCulture);

    /// <summary>Starts the sink as a child process and waits until it listens.</summary>
    public static async Task<LocalSink> StartAsync()
    {
        var self = typeof(LocalSink).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(self);
        psi.ArgumentList.Add("--serve-sink");
        psi.Environment["DOTNET_gcServer"] = "0";
        // When the harness runs under dotnet-trace, its diagnostic port settings must not make the sink wait for a tracer.
        psi.Environment.Remove("DOTNET_DiagnosticPorts");
        // The sink compiles its code fully at first use and is warmed up before it reports that it listens, so none
        // of its compiling falls into the measured run: on two shared cores the sink's work is the harness's
        // contention, and it should be as small and as steady as it can be.
        psi.Environment["DOTNET_TieredCompilation"] = "0";
        var child = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the sink.");
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null) { ready.TrySetException(new InvalidOperationException("The sink exited before it listened.")); return; }
            var m = Regex.Match(e.Data, @"sink listening on (http://\S+)");
            if (m.Success) ready.TrySetResult(new Uri(m.Groups[1].Value.TrimEnd('/') + "/"));
        };
        child.BeginOutputReadLine();
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(60))) != ready.Task)
        {
            Stop(child);
            throw new TimeoutException("The sink did not start within 60 s.");
        }
        return new LocalSink(child, await ready.Task);
    }

    /// <summary>The child's side: serves until its standard input closes (the harness ends or disposes it).</summary>
    public static async Task<int> ServeAsync()
    {
        long requests = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async ctx =>
        {
            var path = ctx.Request.Path.Value ?? "";
            if (path == "/__sink/requests") { await ctx.Response.WriteAsync(Interlocked.Read(ref requests).ToString(CultureInfo.InvariantCulture)); return; }
            Interlocked.Increment(ref requests);
            ctx.Response.ContentType = "application/json";
            if (path.EndsWith("/account", StringComparison.Ordinal)) await ctx.Response.WriteAsync("{\"instanceId\":\"sink\"}");
            else if (path.EndsWith("/lists", StringComparison.Ordinal)) await ctx.Response.WriteAsync("{\"lists\":[]}");
            else if (path.EndsWith("/list", StringComparison.Ordinal)) await ctx.Response.WriteAsync("{\"list_id\":\"contactlist_SINK\"}");
            else if (path.EndsWith("/contacts", StringComparison.Ordinal)) await EchoAsync(ctx);
            else ctx.Response.StatusCode = 404;
        });
        await app.StartAsync();
        await WarmUpAsync(new Uri(app.Urls.First()));
        Interlocked.Exchange(ref requests, 0);
        Console.WriteLine("sink listening on " + app.Urls.First());
        Console.Out.Flush();
        await Console.In.ReadToEndAsync(); // the parent closes our stdin (or dies) when it is done
        await app.StopAsync();
        return 0;
    }

    /// <summary>A few hundred bulk calls to itself, so Kestrel's and the echo's code is compiled before the run.</summary>
    private static async Task WarmUpAsync(Uri root)
    {
        using var http = new HttpClient { BaseAddress = root };
        var contacts = string.Join(",", Enumerable.Range(0, 100).Select(i => $"{{\"Email\":\"warm{i}@example.com\",\"FirstName\":\"Zoë\"}}"));
        var body = Encoding.UTF8.GetBytes("{\"contacts\":[" + contacts + "]}");
        for (int i = 0; i < 300; i++)
        {
            using var content = new ByteArrayContent(body);
            using var answer = await http.PostAsync("v1/contacts", content);
            await answer.Content.ReadAsByteArrayAsync();
        }
    }

    /// <summary>{"contact_ids":[],"email_contact_map":{"a@x":"person_SINK",...}} from the body's "Email" values,
    /// copied as they are (already JSON text): nothing is decoded or encoded, so the sink costs little.</summary>
    private static async Task EchoAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms);
        var body = ms.GetBuffer().AsMemory(0, (int)ms.Length);
        var answer = new ArrayBufferWriter<byte>(body.Length / 2 + 64);
        answer.Write(AnswerHead);
        var span = body.Span;
        bool first = true;
        int at;
        while ((at = span.IndexOf(EmailKey)) >= 0)
        {
            span = span[(at + EmailKey.Length)..];
            int end = EndOfString(span);
            if (!first) answer.Write(Comma);
            first = false;
            answer.Write(Quote);
            answer.Write(span[..end]);
            answer.Write(ContactId);
            span = span[end..];
        }
        answer.Write(AnswerTail);
        ctx.Response.ContentLength = answer.WrittenCount; // as an API answers a small JSON body: not chunked
        await ctx.Response.Body.WriteAsync(answer.WrittenMemory);
    }

    /// <summary>The closing quote of a JSON string (a quote not escaped by a backslash).</summary>
    private static int EndOfString(ReadOnlySpan<byte> s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == (byte)'\\') { i++; continue; }
            if (s[i] == (byte)'"') return i;
        }
        return s.Length;
    }

    private static readonly byte[] AnswerHead = Encoding.UTF8.GetBytes("{\"contact_ids\":[],\"email_contact_map\":{");
    private static readonly byte[] AnswerTail = Encoding.UTF8.GetBytes("}}");
    private static readonly byte[] Comma = { (byte)',' };
    private static readonly byte[] Quote = { (byte)'"' };
    private static readonly byte[] ContactId = Encoding.UTF8.GetBytes("\":\"person_SINK\"");

    public ValueTask DisposeAsync()
    {
        Stop(_child);
        _child.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Stop(Process p)
    {
        try
        {
            try { p.StandardInput.Close(); } catch (IOException) { }
            if (!p.WaitForExit(10_000)) p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
    }
}
