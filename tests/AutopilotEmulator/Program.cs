using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace AutopilotEmulator;

/// <summary>Command line: dotnet run --project tests/AutopilotEmulator -c Release -- --urls http://127.0.0.1:5099 --api-key KEY</summary>
public static class Program
{
    private const string Usage = """
        Autopilot REST API v1 emulator (loopback only)

        Usage: AutopilotEmulator --api-key KEY [options]
          --urls URL[;URL]          http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT (default http://127.0.0.1:5099)
          --api-key KEY             the accepted autopilotapikey (or $AUTOPILOT_EMULATOR_API_KEY)
          --rate-limit N            requests per second for the key, sliding 1 s window (default 5, 0 = off)
          --no-retry-after          omit Retry-After on 429 and injected 503
          --bulk-invalid MODE       reject (default) | skip
          --faults PATH             fault profile JSON (camelCase FaultProfile)
          --seed N                  seed of the fault sequence
          --max-body-bytes N        largest request body accepted, 413 above it (default 8388608)
          --selftest-throughput [S] measure bulk throughput in-process for S seconds (default 5) and exit
          --concurrency N           client connections for the self-test (default 8)
        """;

    public static async Task<int> Main(string[] args)
    {
        var options = new EmulatorOptions { ApiKey = Environment.GetEnvironmentVariable("AUTOPILOT_EMULATOR_API_KEY") ?? "" };
        string urls = "http://127.0.0.1:5099";
        double? selftestSeconds = null;
        int concurrency = 8;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--urls": urls = Next(); break;
                    case "--api-key": options.ApiKey = Next(); break;
                    case "--rate-limit": options.RateLimit = double.Parse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture); break;
                    case "--no-retry-after": options.SendRetryAfter = false; break;
                    case "--bulk-invalid":
                        options.BulkInvalid = InspectionHandlers.ParseMode(Next()) ?? throw new ArgumentException("--bulk-invalid takes reject or skip.");
                        break;
                    case "--faults": options.Faults = FaultProfile.Load(Next()); break;
                    case "--max-body-bytes": options.MaxBodyBytes = int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture); break;
                    case "--seed": options.Seed = int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture); break;
                    case "--selftest-throughput":
                        selftestSeconds = 5;
                        if (i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s)) { selftestSeconds = s; i++; }
                        break;
                    case "--concurrency": concurrency = int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture); break;
                    case "-h": case "--help": case "-?":
                        Console.WriteLine(Usage);
                        return 0;
                    default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
                }
            }
            if (selftestSeconds is double seconds) return await SelfTestThroughputAsync(seconds, concurrency);
            if (string.IsNullOrWhiteSpace(options.ApiKey)) throw new ArgumentException("--api-key is required.");
            options.Validate();
            var endpoints = ParseUrls(urls);

            await using var host = await EmulatorHost.StartAsync(options, endpoints, consoleLogging: true, CancellationToken.None);
            Console.WriteLine($"Autopilot API emulator listening on {host.BaseUri} (rate limit {(options.RateLimit == 0 ? "off" : options.RateLimit.ToString(CultureInfo.InvariantCulture) + "/s")}, " +
                              $"Retry-After {(options.SendRetryAfter ? "on" : "off")}, bulk-invalid {options.BulkInvalid.ToString().ToLowerInvariant()}, " +
                              $"faults {(options.Faults == null ? "none" : options.Faults.ToJson())}{(options.Seed is int sd ? ", seed " + sd : "")}). Inspection: {host.RootUri}__emulator/stats. Ctrl+C stops.");
            await host.WaitForShutdownAsync();
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or System.IO.IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            Console.Error.WriteLine();
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    /// <summary>Parses --urls; refuses anything but plain http on a loopback address.</summary>
    internal static List<IPEndPoint> ParseUrls(string urls)
    {
        var result = new List<IPEndPoint>();
        foreach (var part in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new ArgumentException($"'{part}' is not an http URL.");
            if (uri.Scheme == "https") throw new ArgumentException($"'{part}': the emulator serves plain http on loopback only.");
            IPAddress address;
            if (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
            else if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out address!) || !IPAddress.IsLoopback(address))
                throw new ArgumentException($"Refusing to bind '{part}': only loopback addresses (127.0.0.0/8, [::1], localhost) are allowed.");
            if (!System.Text.RegularExpressions.Regex.IsMatch(part, @"^http://(\[[^\]]+\]|[^/:\[]+):\d+/?$")) throw new ArgumentException($"'{part}' must be http://HOST:PORT (an explicit port, no path).");
            result.Add(new IPEndPoint(address, uri.Port));
        }
        if (result.Count == 0) throw new ArgumentException("--urls is empty.");
        return result;
    }

    /// <summary>
    /// Bulk-upsert throughput, client and server in this one process (so on a small machine they share the
    /// cores and the figure is a lower bound for the server): rate limit off, POST /v1/contacts with 100
    /// contacts each (standard fields, two custom fields, _autopilot_list) cycling over 20,000 emails.
    /// </summary>
    public static async Task<int> SelfTestThroughputAsync(double seconds, int concurrency)
    {
        const string key = "selftest";
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = key, RateLimit = 0 });
        var listId = host.CreateList("Selftest");
        const int bodiesCount = 200, perBody = 100;
        var bodies = new byte[bodiesCount][];
        for (int b = 0; b < bodiesCount; b++)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(32 * 1024);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("contacts");
                for (int i = 0; i < perBody; i++)
                {
                    int n = b * perBody + i;
                    w.WriteStartObject();
                    w.WriteString("Email", $"user{n}@example.com");
                    w.WriteString("FirstName", $"First{n}");
                    w.WriteString("LastName", "Lastname");
                    w.WriteString("Company", "Example Ltd");
                    w.WriteStartObject("custom");
                    w.WriteString("string--Loyalty--Tier", (n % 3) switch { 0 => "gold", 1 => "silver", _ => "bronze" });
                    w.WriteNumber("integer--Order--Count", n % 17);
                    w.WriteEndObject();
                    w.WriteString("_autopilot_list", listId);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            bodies[b] = buffer.WrittenSpan.ToArray();
        }

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseProxy = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(host.BaseUri + "/") };
        client.DefaultRequestHeaders.Add("autopilotapikey", key);
        var json = new MediaTypeHeaderValue("application/json");
        long ok = 0, failed = 0, next = 0;

        async Task RunAsync(double duration, bool count)
        {
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                while (sw.Elapsed.TotalSeconds < duration)
                {
                    var body = bodies[Interlocked.Increment(ref next) % bodiesCount];
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = json;
                    using var resp = await client.PostAsync("contacts", content);
                    await resp.Content.ReadAsByteArrayAsync();
                    if (!count) continue;
                    if (resp.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failed);
                }
            }));
        }

        Console.WriteLine($"Self-test: {Environment.ProcessorCount} cores, {concurrency} connections, warm-up 2 s, then {seconds} s of POST /v1/contacts x {perBody} contacts ...");
        await RunAsync(2, count: false);
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var pause0 = GC.GetTotalPauseDuration();
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        var measure = Stopwatch.StartNew();
        await RunAsync(seconds, count: true);
        measure.Stop();
        proc.Refresh();
        var cpu = proc.TotalProcessorTime - cpu0;
        double rps = ok / measure.Elapsed.TotalSeconds;
        var stats = host.Stats();
        Console.WriteLine($"Bulk requests: {ok} ok, {failed} failed in {measure.Elapsed.TotalSeconds:0.00} s");
        Console.WriteLine($"Throughput: {rps:0} bulk requests/s = {rps * perBody:0} contacts/s (client in the same process)");
        Console.WriteLine($"CPU: {cpu.TotalMilliseconds / Math.Max(1, ok + failed):0.000} ms per request (client + server), {cpu.TotalSeconds / measure.Elapsed.TotalSeconds:0.00} cores busy; " +
                          $"GC: {GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2} (gen0/1/2), pauses {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:0} ms, server GC {System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine($"Server: {stats.ContactsWritten} contact writes, {host.Contacts().Count} distinct contacts, list members {host.Lists()[0].ContactCount}");
        return failed == 0 ? 0 : 1;
    }
}
