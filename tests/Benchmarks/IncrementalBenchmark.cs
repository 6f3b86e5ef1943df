using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text.Json;
using AutopilotEmulator;

namespace AutopilotExport.Benchmarks;

/// <summary>
/// Scenario 'incremental' (docs/INCREMENTAL.md): a saved export's full first run at the API's pace, then a re-run of
/// the same input with 1% of the rows changed. The issue's target: the re-run takes at most 5% of the full run's time.
/// Afterwards the emulator's store is compared with the second input, contact for contact.
/// </summary>
internal static class IncrementalBenchmark
{
    /// <summary>Rows whose Orders value the re-run changes: one in a hundred, all valid and unique.</summary>
    public static bool IsChanged(long i) => i % 100 == 50;

    public const int ChangedOrders = 777_777;

    public static async Task<string> RunAsync(string manifest, long profiles, double rate, bool inProcess, string apiKey, string segment)
    {
        await using var emulator = await EmulatorEndpoint.StartAsync(new EmulatorOptions { ApiKey = apiKey, RateLimit = rate, Seed = 1 }, inProcess);
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        Program.Invoke(runspace, $"$ProgressPreference = 'SilentlyContinue'; Import-Module '{manifest.Replace("'", "''")}' -ErrorAction Stop");
        runspace.SessionStateProxy.SetVariable("ApiKey", Program.Secure(apiKey));
        runspace.SessionStateProxy.SetVariable("BaseUri", emulator.BaseUri.ToString().TrimEnd('/'));
        runspace.SessionStateProxy.SetVariable("Rps", rate);
        runspace.SessionStateProxy.SetVariable("MaxP", (int)Math.Min(int.MaxValue, profiles));
        Program.Invoke(runspace, "New-AutopilotConnection -Name bench -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond $Rps -ErrorAction Stop | Out-Null\n" +
            "$map = " + Synthetic.FieldMapScript + "\n" +
            "New-AutopilotExport -Name bench -Connection bench -Segment '" + segment + "' -FieldMap $map -MaxProfiles $MaxP -ErrorAction Stop | Out-Null");
        Synthetic.RefusedByApi = false;

        Console.Error.WriteLine($"[incremental] {profiles:N0} profiles at {rate} requests/s: full run ...");
        var full = Run(runspace, Synthetic.Generate(profiles));
        Console.Error.WriteLine($"[incremental] full run: {full.Seconds:F1} s, exported {full.Exported}, unchanged {full.Unchanged}; re-run with 1% changed ...");
        var requestsBefore = (await emulator.StatsAsync()).TotalRequests;
        var rerun = Run(runspace, Changed(Synthetic.Generate(profiles)));
        var requestsRerun = (await emulator.StatsAsync()).TotalRequests - requestsBefore;
        Console.Error.WriteLine($"[incremental] re-run: {rerun.Seconds:F1} s, exported {rerun.Exported}, unchanged {rerun.Unchanged}, {requestsRerun} requests");

        // The store must hold the second input exactly: the changed rows with their new value, every other as before.
        long wantChanged = 0, wantValid = 0;
        for (long i = 0; i < profiles; i++)
        {
            if (!Synthetic.IsValidUnique(i)) continue;
            wantValid++;
            if (IsChanged(i)) wantChanged++;
        }
        long storeWrong = 0, stored = 0;
        using (var doc = JsonDocument.Parse(await emulator.ContactsJsonAsync()))
        {
            foreach (var c in doc.RootElement.GetProperty("contacts").EnumerateArray())
            {
                stored++;
                long i = Synthetic.RowOfEmail(c.GetProperty("Email").GetString() ?? "");
                var orders = c.GetProperty("custom").GetProperty("integer--Order--Count").GetInt64();
                var expected = IsChanged(i) ? ChangedOrders : Convert.ToInt64(Synthetic.Expected(i).Custom["integer--Order--Count"], CultureInfo.InvariantCulture);
                if (orders != expected) storeWrong++;
            }
        }
        var home = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_HOME")!;
        long syncBytes = Directory.Exists(Path.Combine(home, "sync"))
            ? Directory.GetFiles(Path.Combine(home, "sync")).Sum(f => new FileInfo(f).Length) : 0;
        runspace.Close();
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["scenario"] = "incremental",
            ["profiles"] = profiles,
            ["rate"] = rate,
            ["full_s"] = Math.Round(full.Seconds, 3),
            ["full_exported"] = full.Exported,
            ["rerun_s"] = Math.Round(rerun.Seconds, 3),
            ["rerun_exported"] = rerun.Exported,
            ["rerun_unchanged"] = rerun.Unchanged,
            ["rerun_requests"] = requestsRerun,
            ["rerun_cpu_s"] = Math.Round(rerun.Cpu, 2),
            ["ratio"] = Math.Round(rerun.Seconds / full.Seconds, 4),
            ["target_ratio"] = 0.05,
            ["counts_exact"] = full.Exported == wantValid && rerun.Exported == wantChanged && rerun.Unchanged == wantValid - wantChanged,
            ["store_exact"] = stored == wantValid && storeWrong == 0,
            ["sync_bytes"] = syncBytes,
            ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null,
        });
    }

    private static IEnumerable<Hashtable> Changed(IEnumerable<Hashtable> rows)
    {
        long i = 0;
        foreach (var row in rows)
        {
            if (IsChanged(i)) row["Orders"] = ChangedOrders;
            i++;
            yield return row;
        }
    }

    private sealed record Figures(double Seconds, double Cpu, long Exported, long Unchanged);

    private static Figures Run(Runspace runspace, IEnumerable<Hashtable> rows)
    {
        runspace.SessionStateProxy.SetVariable("Rows", rows);
        using var proc = Process.GetCurrentProcess();
        var cpuStart = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript("$ProgressPreference = 'SilentlyContinue'; $Rows | Start-AutopilotExport -Name bench -ErrorAction Ignore");
        var result = ps.Invoke().LastOrDefault(o => o?.BaseObject?.GetType().FullName == "AutopilotExport.AutopilotExportResult")
            ?? throw new InvalidOperationException("Start-AutopilotExport returned no result object: " + string.Join(" | ", ps.Streams.Error.Take(3)));
        sw.Stop();
        proc.Refresh();
        long L(string name) => Convert.ToInt64(result.Properties[name]!.Value, CultureInfo.InvariantCulture);
        return new Figures(sw.Elapsed.TotalSeconds, (proc.TotalProcessorTime - cpuStart).TotalSeconds, L("Exported"), L("Unchanged"));
    }
}
