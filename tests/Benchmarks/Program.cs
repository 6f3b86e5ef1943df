using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Text.Json;
using AutopilotEmulator;

namespace AutopilotExport.Benchmarks;

/// <summary>
/// Benchmark harness: hosts PowerShell in-process, imports the built module from the repository manifest, starts the
/// Autopilot emulator (as a child process by default, see <see cref="EmulatorEndpoint"/>) and streams synthetic
/// profiles (<see cref="Synthetic"/>) into Start-AutopilotExport; afterwards it compares the emulator's whole store
/// with the expected mapping (<see cref="StoreCheck"/>).
/// Prints one JSON line per scenario on stdout (diagnostics go to stderr). It measures; it does not judge:
/// exit code 0 whatever the figures, non-zero only when the harness itself crashes.
/// </summary>
public static class Program
{
    private const string ApiKey = "bench-key-0123456789";
    private const string Segment = "Benchmark";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--serve-sink") return await LocalSink.ServeAsync(); // the sink scenario's child process
        bool quick = false, inProcess = false;
        string? only = null;
        long? profilesOverride = null;
        int? concurrencyOverride = null;
        int? repeatOverride = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--scenario": only = args[++i].ToLowerInvariant(); break;
                case "--emulator-in-process": inProcess = true; break;
                case "--concurrency": concurrencyOverride = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--profiles": profilesOverride = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--repeat": repeatOverride = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "-h": case "--help":
                    Console.WriteLine("usage: dotnet run --project tests/Benchmarks -c Release -- [--quick] [--scenario ceiling|engine|faults|sink|whatif|pipeline|syncrecord|incremental|modulecost] [--profiles N] [--concurrency N] [--repeat N] [--emulator-in-process]");
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'");
                    return 2;
            }
        }

        var scenarios = new List<Scenario>
        {
            new("ceiling", quick ? 10_000 : 100_000, EmulatorRate: 5, ClientRate: 5, Concurrency: 4, Faults: null, SendRetryAfter: true, BulkInvalidMode.Reject),
            new("engine", quick ? 100_000 : 1_000_000, EmulatorRate: 0, ClientRate: 0, Concurrency: 4, Faults: null, SendRetryAfter: true, BulkInvalidMode.Reject),
            // The module's own cost: a near-free local sink instead of the emulator (LocalSink), no pacing.
            new("sink", quick ? 100_000 : 1_000_000, EmulatorRate: 0, ClientRate: 0, Concurrency: 4, Faults: null, SendRetryAfter: true, BulkInvalidMode.Reject, Sink: true),
            new("faults", quick ? 10_000 : 100_000, EmulatorRate: 5, ClientRate: 5, Concurrency: 4,
                Faults: new FaultProfile
                {
                    Error500Rate = 0.05, Error503Rate = 0.02, ResetRate = 0.01, AcceptThenFailRate = 0.01,
                    LatencySpikeRate = 0.01, LatencySpikeMs = 300,
                },
                SendRetryAfter: false, BulkInvalidMode.Skip, RefusedRows: true),
        };
        if (only == "modulecost")
        {
            // Not part of the default set: pipeline and sink in alternation, each in a fresh process; the median.
            return ModuleCost.Run(repeatOverride ?? 5, profilesOverride);
        }
        if (only == "whatif")
        {
            // Diagnostic only: the pipeline thread's share (reading rows, mapping, validation, de-duplication) with
            // nothing sent (-WhatIf), to tell it from the senders' share.
            scenarios.Add(new("whatif", quick ? 100_000 : 1_000_000, EmulatorRate: 0, ClientRate: 0, Concurrency: 4, Faults: null, SendRetryAfter: true, BulkInvalidMode.Reject, WhatIf: true));
        }
        if (only == "pipeline")
        {
            // Diagnostic only (not part of the default set): the cost of generating the rows and pushing them
            // through a PowerShell pipeline into a no-op, without the module, to tell harness cost from module cost.
            var n = profilesOverride ?? (quick ? 100_000 : 1_000_000);
            using var rs = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            rs.Open();
            rs.SessionStateProxy.SetVariable("Rows", Synthetic.Generate(n));
            using var ps = PowerShell.Create();
            ps.Runspace = rs;
            // "$Rows | Out-Null" is optimised away in pwsh 7.6 (the rows are never enumerated): pipe them into a
            // compiled core cmdlet that takes each one and reads one property of it, with no script block, and
            // check that the last row arrived.
            rs.SessionStateProxy.SetVariable("LastEmail", Synthetic.EmailOf(n - 1));
            ps.AddScript("$Rows | Where-Object -Property Email -CEQ $LastEmail");
            using var self = Process.GetCurrentProcess();
            var cpuStart = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var output = ps.Invoke();
            var last = output.LastOrDefault()?.BaseObject as Hashtable;
            if (ps.HadErrors) Console.Error.WriteLine(string.Join("; ", ps.Streams.Error));
            sw.Stop();
            self.Refresh();
            if (last == null || !Equals(last["Email"], Synthetic.EmailOf(n - 1)))
                throw new InvalidOperationException($"the pipeline did not carry every row (last: {last?["Email"] ?? "none"})");
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["scenario"] = "pipeline", ["profiles"] = n, ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 3),
                ["rows_per_s"] = Math.Round(n / sw.Elapsed.TotalSeconds, 1),
                ["cpu_s"] = Math.Round((self.TotalProcessorTime - cpuStart).TotalSeconds, 2),
                ["cpu_us_per_row"] = Math.Round((self.TotalProcessorTime - cpuStart).TotalMilliseconds * 1000 / n, 2),
            }));
            return 0;
        }
        if (only == "incremental")
        {
            // Not part of the default set: a saved export's full run at 5 requests/s, then a re-run with 1% changed.
            scenarios = new List<Scenario> { new("incremental", quick ? 10_000 : 100_000, EmulatorRate: 5, ClientRate: 5, Concurrency: 4, Faults: null, SendRetryAfter: true, BulkInvalidMode.Reject, Incremental: true) };
            only = null;
        }
        if (only == "syncrecord")
        {
            // Not part of the default set: the sync record's load, save and size (docs/INCREMENTAL.md).
            Console.WriteLine(SyncRecordBenchmark.Run(FindRepoRoot(), profilesOverride ?? (quick ? 100_000 : 1_000_000)));
            return 0;
        }
        if (only != null)
        {
            scenarios = scenarios.Where(s => s.Name == only).ToList();
            if (scenarios.Count == 0)
            {
                Console.Error.WriteLine($"unknown scenario '{only}' (ceiling, engine, faults, sink; diagnostics: whatif, pipeline, syncrecord, incremental, modulecost)");
                return 2;
            }
        }

        var root = FindRepoRoot();
        var manifest = Path.Combine(root, "AutopilotExport.psd1");
        if (!File.Exists(Path.Combine(root, "module", "bin", "AutopilotExport.dll")))
            Console.Error.WriteLine("warning: module/bin/AutopilotExport.dll not found; build the solution first.");

        try
        {
            foreach (var s in scenarios)
            {
                var n = profilesOverride ?? s.Profiles;
                var line = await RunScenarioAsync(s with { Profiles = n, Concurrency = concurrencyOverride ?? s.Concurrency }, manifest, inProcess);
                Console.WriteLine(line);
                Console.Out.Flush();
            }
            return 0;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine("benchmark crashed: " + ex);
            return 1;
        }
    }

    private sealed record Scenario(string Name, long Profiles, double EmulatorRate, double ClientRate, int Concurrency,
        FaultProfile? Faults, bool SendRetryAfter, BulkInvalidMode BulkInvalid, bool WhatIf = false, bool RefusedRows = false, bool Sink = false, bool Incremental = false);

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "AutopilotPS.sln"))) return dir.FullName;
        throw new InvalidOperationException($"AutopilotPS.sln not found above {AppContext.BaseDirectory}.");
    }

    private static async Task<string> RunScenarioAsync(Scenario s, string manifest, bool inProcess)
    {
        // Each scenario has a state folder of its own, removed however the scenario ends (whatif used to leave it).
        var home = Path.Combine(Path.GetTempPath(), "apx-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        var savedHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_HOME");
        var savedKeyHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME");
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", home);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", home + "-keys"); // the master key is kept outside the state folder
        Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", null);
        try
        {
            if (s.Incremental) return await IncrementalBenchmark.RunAsync(manifest, s.Profiles, s.ClientRate, inProcess, ApiKey, Segment);
            return s.Sink ? await RunSinkAsync(s, manifest) : await RunAgainstEmulatorAsync(s, manifest, inProcess);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", savedHome);
            Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", savedKeyHome);
            foreach (var folder in new[] { home, home + "-keys" })
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            try { Directory.Delete(Path.GetDirectoryName(home)!); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The sink scenario: the same export against <see cref="LocalSink"/>; CPU per row is the module's cost
    /// (with the row generator and the sink, both small; the pipeline diagnostic measures the generator alone).</summary>
    private static async Task<string> RunSinkAsync(Scenario s, string manifest)
    {
        await using var sink = await LocalSink.StartAsync();
        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        Invoke(runspace, $"$ProgressPreference = 'SilentlyContinue'; Import-Module '{manifest.Replace("'", "''")}' -ErrorAction Stop");
        runspace.SessionStateProxy.SetVariable("ApiKey", Secure(ApiKey));
        runspace.SessionStateProxy.SetVariable("BaseUri", sink.BaseUri.ToString().TrimEnd('/'));
        Invoke(runspace, "New-AutopilotConnection -Name bench -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond 0 -ErrorAction Stop | Out-Null");
        Synthetic.RefusedByApi = false;
        runspace.SessionStateProxy.SetVariable("Rows", Synthetic.Generate(s.Profiles));
        runspace.SessionStateProxy.SetVariable("Conc", s.Concurrency);
        runspace.SessionStateProxy.SetVariable("MaxP", (int)Math.Min(int.MaxValue, Math.Max(1, s.Profiles)));
        string script = "$ProgressPreference = 'SilentlyContinue'\n$map = " + Synthetic.FieldMapScript + "\n" +
            "$Rows | Start-AutopilotExport -Connection bench -Segment '" + Segment + "' -FieldMap $map -Concurrency $Conc -RequestsPerSecond 0 -MaxProfiles $MaxP -ErrorAction Ignore";
        GC.Collect();
        using var proc = Process.GetCurrentProcess();
        var cpuStart = proc.TotalProcessorTime;
        var sinkCpuStart = sink.ProcessorTime;
        long allocStart = GC.GetTotalAllocatedBytes();
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        var pauseStart = GC.GetTotalPauseDuration();
        var sw = Stopwatch.StartNew();
        PSObject? result;
        using (var ps = PowerShell.Create())
        {
            ps.Runspace = runspace;
            ps.AddScript(script);
            result = ps.Invoke().LastOrDefault(o => o?.BaseObject?.GetType().FullName == "AutopilotExport.AutopilotExportResult");
        }
        sw.Stop();
        long allocated = GC.GetTotalAllocatedBytes() - allocStart;
        proc.Refresh();
        var cpu = proc.TotalProcessorTime - cpuStart;
        var sinkCpu = sink.ProcessorTime - sinkCpuStart;
        if (result == null) throw new InvalidOperationException("[sink] Start-AutopilotExport returned no result object.");
        long exported = Convert.ToInt64(result.Properties["Exported"]!.Value, CultureInfo.InvariantCulture);
        long expected = 0;
        for (long i = 0; i < s.Profiles; i++) if (Synthetic.IsValidUnique(i)) expected++;
        runspace.Close();
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["scenario"] = s.Name, ["profiles"] = s.Profiles, ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 3),
            ["profiles_per_s"] = Math.Round(exported / sw.Elapsed.TotalSeconds, 1), ["requests"] = await sink.RequestsAsync(),
            ["counts_exact"] = exported == expected, ["status"] = result.Properties["Status"]!.Value?.ToString(),
            ["cpu_s"] = Math.Round(cpu.TotalSeconds, 2), ["cpu_us_per_row"] = Math.Round(cpu.TotalMilliseconds * 1000 / s.Profiles, 2),
            ["sink_cpu_s"] = Math.Round(sinkCpu.TotalSeconds, 2),
            ["alloc_b_per_row"] = Math.Round(allocated / (double)s.Profiles, 0),
            ["gc"] = $"{GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}",
            ["gc_pause_s"] = Math.Round((GC.GetTotalPauseDuration() - pauseStart).TotalSeconds, 2),
        });
    }

    private static async Task<string> RunAgainstEmulatorAsync(Scenario s, string manifest, bool inProcess)
    {

        await using var emulator = await EmulatorEndpoint.StartAsync(new EmulatorOptions
        {
            ApiKey = ApiKey,
            RateLimit = s.EmulatorRate,
            SendRetryAfter = s.SendRetryAfter,
            BulkInvalid = s.BulkInvalid,
            Faults = s.Faults,
            Seed = 1,
        }, inProcess);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        runspace.Open();
        Invoke(runspace, $"$ProgressPreference = 'SilentlyContinue'; Import-Module '{manifest.Replace("'", "''")}' -ErrorAction Stop");
        runspace.SessionStateProxy.SetVariable("ApiKey", Secure(ApiKey));
        runspace.SessionStateProxy.SetVariable("BaseUri", emulator.BaseUri.ToString().TrimEnd('/'));
        runspace.SessionStateProxy.SetVariable("Rps", s.ClientRate);
        Invoke(runspace, "New-AutopilotConnection -Name bench -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond $Rps -ErrorAction Stop | Out-Null");

        Synthetic.RefusedByApi = s.RefusedRows;
        runspace.SessionStateProxy.SetVariable("Rows", Synthetic.Generate(s.Profiles));
        runspace.SessionStateProxy.SetVariable("Conc", s.Concurrency);
        runspace.SessionStateProxy.SetVariable("MaxP", (int)Math.Min(int.MaxValue, Math.Max(1, s.Profiles)));
        // -ErrorAction Ignore: the 3% bad rows are counted in the result; collecting 3,000 error records is not what is measured.
        string exportScript = "$ProgressPreference = 'SilentlyContinue'\n$map = " + Synthetic.FieldMapScript + "\n" +
            "$Rows | Start-AutopilotExport -Connection bench -Segment '" + Segment + "' -FieldMap $map -Concurrency $Conc -RequestsPerSecond $Rps -MaxProfiles $MaxP -ErrorAction Ignore" + (s.WhatIf ? " -WhatIf" : "");

        // Peak working set of this process (PowerShell + module + generator, and the emulator only when in-process), sampled during the run.
        long peakWs = 0;
        using var proc = Process.GetCurrentProcess();
        void Sample()
        {
            proc.Refresh();
            var ws = proc.WorkingSet64;
            if (ws > Interlocked.Read(ref peakWs)) Interlocked.Exchange(ref peakWs, ws);
        }
        using var cts = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                Sample();
                try { await Task.Delay(100, cts.Token); } catch (OperationCanceledException) { }
            }
        });

        Console.Error.WriteLine($"[{s.Name}] {s.Profiles:N0} profiles, emulator rate {s.EmulatorRate} ({(emulator.OutOfProcess ? "own process" : "in-process")}), client rate {s.ClientRate}, concurrency {s.Concurrency} ...");
        proc.Refresh();
        var cpuStart = proc.TotalProcessorTime;
        var emulatorCpuStart = emulator.ProcessorTime;
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        var pauseStart = GC.GetTotalPauseDuration();
        long allocStart = GC.GetTotalAllocatedBytes();
        var sw = Stopwatch.StartNew();
        PSObject? resultObj;
        List<string> errors;
        using (var ps = PowerShell.Create())
        {
            ps.Runspace = runspace;
            ps.AddScript(exportScript);
            var output = ps.Invoke();
            resultObj = output.LastOrDefault(o => o?.BaseObject?.GetType().FullName == "AutopilotExport.AutopilotExportResult");
            errors = ps.Streams.Error.Take(5).Select(e => e.FullyQualifiedErrorId + ": " + e).ToList();
        }
        sw.Stop();
        proc.Refresh();
        var cpu = proc.TotalProcessorTime - cpuStart;
        var emulatorCpu = emulator.ProcessorTime - emulatorCpuStart;
        Console.Error.WriteLine($"[{s.Name}] harness GC: gen0 {GC.CollectionCount(0) - gc0}, gen1 {GC.CollectionCount(1) - gc1}, gen2 {GC.CollectionCount(2) - gc2}, " +
            $"pause {(GC.GetTotalPauseDuration() - pauseStart).TotalSeconds:F2} s, allocated {(GC.GetTotalAllocatedBytes() - allocStart) / 1048576.0:F0} MB ({(GC.GetTotalAllocatedBytes() - allocStart) / (double)Math.Max(1, s.Profiles):F0} B/row)");
        Sample();
        cts.Cancel();
        await sampler;

        if (s.WhatIf)
        {
            return JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["scenario"] = s.Name, ["profiles"] = s.Profiles, ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 3),
                ["rows_per_s"] = Math.Round(s.Profiles / sw.Elapsed.TotalSeconds, 1), ["cpu_s"] = Math.Round(cpu.TotalSeconds, 2),
                ["peak_ws_mb"] = Math.Round(Interlocked.Read(ref peakWs) / (1024.0 * 1024.0), 1),
            });
        }
        if (resultObj == null)
            throw new InvalidOperationException($"[{s.Name}] Start-AutopilotExport returned no result object. Errors: " + string.Join(" | ", errors));

        long L(string name) => Convert.ToInt64(resultObj.Properties[name]!.Value, CultureInfo.InvariantCulture);
        long received = L("Received"), exported = L("Exported"), invalid = L("Invalid"), duplicate = L("Duplicate"), failed = L("Failed");
        long retries = L("Retries"), batches = L("Batches"), clientThrottled = L("Throttled");
        var status = resultObj.Properties["Status"]!.Value?.ToString();
        var errorMessage = resultObj.Properties["ErrorMessage"]?.Value?.ToString();
        long heapAll = GC.GetTotalMemory(forceFullCollection: true);
        runspace.Close();
        runspace.Dispose();
        resultObj = null;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        // Every valid, unique profile must be stored exactly as mapped; the result's counts must be exact.
        var stats = await emulator.StatsAsync();
        var check = StoreCheck.Compare(await emulator.ContactsJsonAsync(), s.Profiles);
        long wantInvalid = 0, wantDuplicate = 0, wantFailed = 0;
        for (long i = 0; i < s.Profiles; i++)
        {
            if (Synthetic.IsInvalid(i)) wantInvalid++;
            else if (Synthetic.IsDuplicate(i)) wantDuplicate++;
            else if (Synthetic.IsRefusedByApi(i)) wantFailed++;
        }
        bool countsExact = received == s.Profiles && exported == check.Expected && invalid == wantInvalid && duplicate == wantDuplicate && failed == wantFailed;
        long lost = check.Missing + check.Mismatched + check.Unexpected
                    + Math.Abs(exported - check.Expected) + Math.Abs(received - (exported + invalid + duplicate + failed));
        double seconds = sw.Elapsed.TotalSeconds;
        double pps = seconds > 0 ? exported / seconds : 0;

        Console.Error.WriteLine($"[{s.Name}] status={status} received={received} exported={exported} invalid={invalid} duplicate={duplicate} failed={failed} " +
            $"batches={batches} retries={retries} clientThrottled={clientThrottled} | store: expected={check.Expected} stored={check.Stored} missing={check.Missing} " +
            $"mismatched={check.Mismatched} unexpected={check.Unexpected} | cpu harness={cpu.TotalSeconds:F1}s emulator={emulatorCpu.TotalSeconds:F1}s wall={seconds:F1}s " +
            $"({Environment.ProcessorCount} cores) | emulator: requests={stats.TotalRequests} throttled={stats.Throttled} faults={stats.FaultsJson} contactsWritten={stats.ContactsWritten} process={stats.ProcessJson}" +
            (errorMessage != null ? $" error={errorMessage}" : ""));
        foreach (var r in stats.Routes) Console.Error.WriteLine($"[{s.Name}]   {r.Route} {r.Status}: {r.Count}");
        if (stats.Throttled > 0) foreach (var t in await emulator.ThrottleContextAsync()) Console.Error.WriteLine($"[{s.Name}]   {t}");
        foreach (var e in check.Examples) Console.Error.WriteLine($"[{s.Name}]   store: {e}");
        foreach (var e in errors) Console.Error.WriteLine($"[{s.Name}]   error: {e}");
        Console.Error.WriteLine($"[{s.Name}] managed heap MB: after run {heapAll / 1048576.0:F0}, runspace closed {heapAfter / 1048576.0:F0}; peak WS {Interlocked.Read(ref peakWs) / 1048576.0:F0}");
        var line = new Dictionary<string, object?>
        {
            ["scenario"] = s.Name,
            ["profiles"] = s.Profiles,
            ["seconds"] = Math.Round(seconds, 3),
            ["profiles_per_s"] = Math.Round(pps, 1),
            ["requests"] = stats.TotalRequests,
            ["throttled"] = stats.Throttled,
            ["retries"] = retries,
            ["lost"] = lost,
            ["peak_ws_mb"] = Math.Round(Interlocked.Read(ref peakWs) / (1024.0 * 1024.0), 1),
            ["ceiling_ratio"] = s.ClientRate > 0 ? Math.Round(pps / (s.ClientRate * 100), 3) : null,
            ["status"] = status,
            ["counts_exact"] = countsExact,
            ["cpu_s"] = Math.Round(cpu.TotalSeconds, 2),
            ["emulator_cpu_s"] = emulator.OutOfProcess ? Math.Round(emulatorCpu.TotalSeconds, 2) : null,
        };
        return JsonSerializer.Serialize(line);
    }

    internal static void Invoke(Runspace runspace, string script)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        ps.Invoke();
        if (ps.HadErrors && ps.Streams.Error.Count > 0)
            throw new InvalidOperationException("Setup failed: " + string.Join("; ", ps.Streams.Error.Select(e => e.FullyQualifiedErrorId + ": " + e)));
    }

    internal static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text) s.AppendChar(c);
        s.MakeReadOnly();
        return s;
    }
}
