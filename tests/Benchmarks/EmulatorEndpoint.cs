using System.Diagnostics;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using AutopilotEmulator;

namespace AutopilotExport.Benchmarks;

/// <summary>What the harness reads back from the emulator after a run, over its inspection API.</summary>
internal sealed record EmulatorFigures(long TotalRequests, long Throttled, long ContactsWritten, string FaultsJson, IReadOnlyList<(string Route, int Status, long Count)> Routes, string ProcessJson);

/// <summary>
/// The emulator a scenario runs against: by default a child process (so the harness process holds only
/// PowerShell, the module and the row generator, and its working set is the module's), or in-process
/// (<c>--emulator-in-process</c>, the literal setup of the issue). Either way the harness talks to it over
/// HTTP only: the API under /v1 and the inspection API under /__emulator.
/// </summary>
internal sealed class EmulatorEndpoint : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(5) };
    private readonly EmulatorHost? _host;
    private readonly Process? _child;
    private readonly string? _faultsFile;

    private EmulatorEndpoint(Uri root, EmulatorHost? host, Process? child, string? faultsFile)
    {
        RootUri = root; _host = host; _child = child; _faultsFile = faultsFile;
    }

    public Uri RootUri { get; }
    public Uri BaseUri => new(RootUri, "v1");
    public bool OutOfProcess => _child != null;

    /// <summary>CPU the emulator process used so far (zero in-process: it is part of the harness's own figure).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            if (_child == null) return TimeSpan.Zero;
            try { _child.Refresh(); return _child.TotalProcessorTime; } catch (InvalidOperationException) { return TimeSpan.Zero; }
        }
    }

    public static async Task<EmulatorEndpoint> StartAsync(EmulatorOptions options, bool inProcess)
    {
        if (inProcess)
        {
            var host = await EmulatorHost.StartAsync(options);
            return new EmulatorEndpoint(host.RootUri, host, null, null);
        }

        var exe = Path.Combine(AppContext.BaseDirectory, "AutopilotEmulator.dll");
        if (!File.Exists(exe)) throw new FileNotFoundException("The emulator was not built next to the harness.", exe);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(exe);
        foreach (var a in new[] { "--urls", "http://127.0.0.1:0", "--api-key", options.ApiKey,
                     "--rate-limit", options.RateLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--bulk-invalid", options.BulkInvalid.ToString().ToLowerInvariant() })
            psi.ArgumentList.Add(a);
        if (!options.SendRetryAfter) psi.ArgumentList.Add("--no-retry-after");
        if (options.Seed is int seed) { psi.ArgumentList.Add("--seed"); psi.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        string? faultsFile = null;
        if (options.Faults != null)
        {
            faultsFile = Path.Combine(Path.GetTempPath(), "apx-bench-faults-" + Guid.NewGuid().ToString("N") + ".json");
            await File.WriteAllTextAsync(faultsFile, options.Faults.ToJson());
            psi.ArgumentList.Add("--faults"); psi.ArgumentList.Add(faultsFile);
        }
        // Server GC off, as in the harness: the emulator shares the same two cores.
        psi.Environment["DOTNET_gcServer"] = "0";

        var child = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the emulator.");
        child.ErrorDataReceived += (_, e) => { if (e.Data != null) Console.Error.WriteLine("[emulator] " + e.Data); };
        child.BeginErrorReadLine();
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null) { ready.TrySetException(new InvalidOperationException("The emulator exited before it listened.")); return; }
            var m = Regex.Match(e.Data, @"listening on (http://\S+?)/v1");
            if (m.Success) ready.TrySetResult(new Uri(m.Groups[1].Value + "/"));
        };
        child.BeginOutputReadLine();
        var winner = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (winner != ready.Task)
        {
            Kill(child);
            throw new TimeoutException("The emulator did not start within 60 s.");
        }
        return new EmulatorEndpoint(await ready.Task, null, child, faultsFile);
    }

    public async Task<EmulatorFigures> StatsAsync()
    {
        using var doc = JsonDocument.Parse(await Http.GetByteArrayAsync(new Uri(RootUri, "__emulator/stats")));
        var r = doc.RootElement;
        var routes = r.GetProperty("requests").EnumerateArray()
            .Select(x => (x.GetProperty("route").GetString()!, x.GetProperty("status").GetInt32(), x.GetProperty("count").GetInt64()))
            .ToList();
        return new EmulatorFigures(r.GetProperty("totalRequests").GetInt64(), r.GetProperty("throttled").GetInt64(),
            r.GetProperty("contactsWritten").GetInt64(), r.GetProperty("faultsInjected").GetRawText(), routes,
            r.TryGetProperty("process", out var process) ? process.GetRawText() : "{}");
    }

    /// <summary>Each 429 with the requests that arrived in the second before it (time, route, status), to see what filled the window.</summary>
    public async Task<IReadOnlyList<string>> ThrottleContextAsync()
    {
        using var doc = JsonDocument.Parse(await Http.GetByteArrayAsync(new Uri(RootUri, "__emulator/requests")));
        var log = doc.RootElement.GetProperty("requests").EnumerateArray()
            .Select(r => (Time: DateTimeOffset.Parse(r.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                          Line: r.GetProperty("route").GetString() + " " + r.GetProperty("status").GetInt32()))
            .ToList();
        var lines = new List<string>();
        foreach (var hit in log.Where(r => r.Line.EndsWith(" 429", StringComparison.Ordinal)).Take(3))
        {
            lines.Add("429 at " + hit.Time.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) + " after: " +
                string.Join(", ", log.Where(r => r.Time > hit.Time.AddSeconds(-1.05) && r.Time < hit.Time)
                    .Select(r => $"{(hit.Time - r.Time).TotalMilliseconds:F0} ms before {r.Line}")));
        }
        return lines;
    }

    /// <summary>The whole store as the inspection API writes it ({"total":N,"contacts":[...]}).</summary>
    public Task<byte[]> ContactsJsonAsync() => Http.GetByteArrayAsync(new Uri(RootUri, "__emulator/contacts"));

    public async Task ResetAsync() => (await Http.PostAsync(new Uri(RootUri, "__emulator/reset"), null)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        if (_host != null) await _host.DisposeAsync();
        if (_child != null)
        {
            Kill(_child);
            _child.Dispose();
        }
        if (_faultsFile != null) try { File.Delete(_faultsFile); } catch (IOException) { }
    }

    private static void Kill(Process p)
    {
        try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(10_000); }
        catch (InvalidOperationException) { }
    }
}
