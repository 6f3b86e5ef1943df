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
/// Autopilot emulator in-process and streams synthetic profiles into Start-AutopilotExport.
/// Prints one JSON line per scenario on stdout (diagnostics go to stderr). It measures; it does not judge:
/// exit code 0 whatever the figures, non-zero only when the harness itself crashes.
/// </summary>
public static class Program
{
    private const string ApiKey = "bench-key-0123456789";
    private const string Segment = "Benchmark";

    public static async Task<int> Main(string[] args)
    {
        bool quick = false;
        string? only = null;
        long? profilesOverride = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--scenario": only = args[++i].ToLowerInvariant(); break;
                case "--profiles": profilesOverride = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "-h": case "--help":
                    Console.WriteLine("usage: dotnet run --project tests/Benchmarks -c Release -- [--quick] [--scenario ceiling|engine|faults|pipeline] [--profiles N]");
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
            new("faults", quick ? 10_000 : 100_000, EmulatorRate: 5, ClientRate: 5, Concurrency: 4,
                Faults: new FaultProfile
                {
                    Error500Rate = 0.05, Error503Rate = 0.02, ResetRate = 0.01, AcceptThenFailRate = 0.01,
                    LatencySpikeRate = 0.01, LatencySpikeMs = 300,
                },
                SendRetryAfter: false, BulkInvalidMode.Skip),
        };
        if (only == "pipeline")
        {
            // Diagnostic only (not part of the default set): the cost of generating the rows and pushing them
            // through a PowerShell pipeline into a no-op, without the module, to tell harness cost from module cost.
            var n = profilesOverride ?? (quick ? 100_000 : 1_000_000);
            using var rs = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            rs.Open();
            rs.SessionStateProxy.SetVariable("Rows", Generate(n));
            using var ps = PowerShell.Create();
            ps.Runspace = rs;
            ps.AddScript("$Rows | Out-Null");
            var sw = Stopwatch.StartNew();
            ps.Invoke();
            sw.Stop();
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["scenario"] = "pipeline", ["profiles"] = n, ["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 3),
                ["rows_per_s"] = Math.Round(n / sw.Elapsed.TotalSeconds, 1),
            }));
            return 0;
        }
        if (only != null)
        {
            scenarios = scenarios.Where(s => s.Name == only).ToList();
            if (scenarios.Count == 0)
            {
                Console.Error.WriteLine($"unknown scenario '{only}' (ceiling, engine, faults)");
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
                var line = await RunScenarioAsync(s with { Profiles = n }, manifest);
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
        FaultProfile? Faults, bool SendRetryAfter, BulkInvalidMode BulkInvalid);

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "AutopilotPS.sln"))) return dir.FullName;
        throw new InvalidOperationException($"AutopilotPS.sln not found above {AppContext.BaseDirectory}.");
    }

    private static async Task<string> RunScenarioAsync(Scenario s, string manifest)
    {
        var home = Path.Combine(Path.GetTempPath(), "apx-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        var savedHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_HOME");
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", home);
        Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", null);

        await using var emulator = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            ApiKey = ApiKey,
            RateLimit = s.EmulatorRate,
            SendRetryAfter = s.SendRetryAfter,
            BulkInvalid = s.BulkInvalid,
            Faults = s.Faults,
            Seed = 1,
        });

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

        runspace.SessionStateProxy.SetVariable("Rows", Generate(s.Profiles));
        runspace.SessionStateProxy.SetVariable("Conc", s.Concurrency);
        runspace.SessionStateProxy.SetVariable("MaxP", (int)Math.Min(int.MaxValue, Math.Max(1, s.Profiles)));
        const string exportScript = @"
$ProgressPreference = 'SilentlyContinue'
$map = @{
    Email = 'Email'; FirstName = 'FirstName'; LastName = 'LastName'; Company = 'Company'; MailingCity = 'City'
    Custom = @{
        'Loyalty Tier'   = @{ Property = 'Tier';   Type = 'string' }
        'Order Count'    = @{ Property = 'Orders'; Type = 'integer' }
        'Lifetime Value' = @{ Property = 'Ltv';    Type = 'float' }
        'Opted In'       = @{ Property = 'OptIn';  Type = 'boolean' }
        'Member Since'   = @{ Property = 'Since';  Type = 'date' }
    }
}
$Rows | Start-AutopilotExport -Connection bench -Segment 'Benchmark' -FieldMap $map -Concurrency $Conc -RequestsPerSecond $Rps -MaxProfiles $MaxP -ErrorAction Ignore
";
        // Peak working set of this process (module + PowerShell + emulator), sampled during the run.
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
                try { await Task.Delay(200, cts.Token); } catch (OperationCanceledException) { }
            }
        });

        Console.Error.WriteLine($"[{s.Name}] {s.Profiles:N0} profiles, emulator rate {s.EmulatorRate}, client rate {s.ClientRate}, concurrency {s.Concurrency} ...");
        proc.Refresh();
        var cpuStart = proc.TotalProcessorTime;
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
        Sample();
        cts.Cancel();
        await sampler;

        if (resultObj == null)
            throw new InvalidOperationException($"[{s.Name}] Start-AutopilotExport returned no result object. Errors: " + string.Join(" | ", errors));

        long L(string name) => Convert.ToInt64(resultObj.Properties[name]!.Value, CultureInfo.InvariantCulture);
        long received = L("Received"), exported = L("Exported"), invalid = L("Invalid"), duplicate = L("Duplicate"), failed = L("Failed");
        long retries = L("Retries"), batches = L("Batches"), clientThrottled = L("Throttled");
        var status = resultObj.Properties["Status"]!.Value?.ToString();
        var errorMessage = resultObj.Properties["ErrorMessage"]?.Value?.ToString();

        var stats = emulator.Stats();
        // Every expected valid, unique profile must be stored by the emulator (email, case-insensitive).
        HashSet<string>? stored = new HashSet<string>(emulator.Contacts().Select(c => c.Email), StringComparer.OrdinalIgnoreCase);
        long expected = 0, missing = 0;
        for (long i = 0; i < s.Profiles; i++)
        {
            if (!IsValidUnique(i)) continue;
            expected++;
            if (!stored!.Contains(EmailOf(i))) missing++;
        }
        long countMismatch = Math.Abs(received - (exported + invalid + duplicate + failed));
        long lost = missing + countMismatch;
        double seconds = sw.Elapsed.TotalSeconds;
        double pps = seconds > 0 ? exported / seconds : 0;

        Console.Error.WriteLine($"[{s.Name}] status={status} received={received} exported={exported} invalid={invalid} duplicate={duplicate} failed={failed} " +
            $"batches={batches} retries={retries} clientThrottled={clientThrottled} expectedValid={expected} stored={stored!.Count} missing={missing} " +
            $"cpu={cpu.TotalSeconds:F1}s (wall {sw.Elapsed.TotalSeconds:F1}s, {Environment.ProcessorCount} cores) emulator: requests={stats.TotalRequests} throttled={stats.Throttled} faults={JsonSerializer.Serialize(stats.FaultsInjected)} contactsWritten={stats.ContactsWritten}" +
            (errorMessage != null ? $" error={errorMessage}" : ""));
        foreach (var r in stats.Requests) Console.Error.WriteLine($"[{s.Name}]   {r.Route} {r.Status}: {r.Count}");
        foreach (var e in errors) Console.Error.WriteLine($"[{s.Name}]   error: {e}");

        // Where the memory is: managed heap with everything alive, after the runspace is gone, after the emulator store is emptied.
        long heapAll = GC.GetTotalMemory(forceFullCollection: true);
        runspace.Close();
        runspace.Dispose();
        resultObj = null;
        long heapNoRunspace = GC.GetTotalMemory(forceFullCollection: true);
        emulator.Reset();
        stored = null;
        long heapNoStore = GC.GetTotalMemory(forceFullCollection: true);
        Console.Error.WriteLine($"[{s.Name}] managed heap MB: after run {heapAll / 1048576.0:F0}, runspace closed {heapNoRunspace / 1048576.0:F0}, emulator store emptied {heapNoStore / 1048576.0:F0}; peak WS {Interlocked.Read(ref peakWs) / 1048576.0:F0}");
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", savedHome);
        try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }

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
            ["ceiling_ratio"] = s.Name == "ceiling" && s.ClientRate > 0 ? Math.Round(pps / (s.ClientRate * 100), 3) : null,
            ["status"] = status,
        };
        return JsonSerializer.Serialize(line);
    }

    private static void Invoke(Runspace runspace, string script)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        ps.Invoke();
        if (ps.HadErrors && ps.Streams.Error.Count > 0)
            throw new InvalidOperationException("Setup failed: " + string.Join("; ", ps.Streams.Error.Select(e => e.FullyQualifiedErrorId + ": " + e)));
    }

    private static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text) s.AppendChar(c);
        s.MakeReadOnly();
        return s;
    }

    // ---- Synthetic profiles -------------------------------------------------------------------------------------
    // Row i: i % 100 in {0, 1} -> invalid email (2%); i % 100 == 2 (i >= 100) -> repeats row i-50's email in upper
    // case (1% duplicates); every other row is a valid, unique profile.

    private static readonly string[] FirstNames =
    {
        "José", "Zoë", "Søren", "François", "Łukasz", "Ångström", "Chloé", "Björn", "Ingrid", "Mateo",
        "Ada", "Grace", "Nuño", "İlkay", "Ørjan", "Daniël", "Siân", "Zoltán", "Renée", "Þórr",
        "翔太", "美咲", "伟", "芳", "민준", "서연", "Ana", "Joaquín", "Noémie", "Jürgen",
    };
    private static readonly string[] LastNames =
    {
        "Müller", "García", "Łęcki", "Ørsted", "Dvořák", "Nguyễn", "O'Brien", "Smith", "Kowalczyk", "Jäger",
        "佐藤", "鈴木", "王", "李", "김", "박", "Fernández", "Šimůnek", "Çelik", "Ślusarczyk",
        "Lovelace", "Hopper", "Ğüneş", "de la Cruz", "van der Berg", "Ōtani", "Håkansson", "Żak", "Ferré", "Núñez",
    };
    private static readonly string[] Companies = { "Acme GmbH", "Société Générale", "株式会社テスト", "Contoso Ltd", "Østfold AS", "Ñandú S.A.", "", "Fabrikam" };
    private static readonly string[] Cities = { "München", "São Paulo", "東京", "Zürich", "Kraków", "Reykjavík", "Paris", "Seoul" };
    private static readonly string[] Tiers = { "gold", "silver", "bronze", "Platinum – 白金" };
    private static readonly DateTime Epoch = new(2010, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static bool IsInvalid(long i) => i % 100 < 2;
    private static bool IsDuplicate(long i) => i % 100 == 2 && i >= 100;
    private static bool IsValidUnique(long i) => !IsInvalid(i) && !IsDuplicate(i);

    private static string EmailOf(long i) =>
        string.Create(CultureInfo.InvariantCulture, $"user{i}.{(char)('a' + (int)(i % 26))}@example{i % 7}.com");

    private static IEnumerable<Hashtable> Generate(long n)
    {
        for (long i = 0; i < n; i++)
        {
            string email = IsInvalid(i)
                ? (i % 2 == 0 ? $"user{i}.example.com" : $"user{i} at example")
                : IsDuplicate(i) ? EmailOf(i - 50).ToUpperInvariant() : EmailOf(i);
            int h = (int)((i * 2654435761L) & 0x7fffffff);
            yield return new Hashtable(10)
            {
                ["Email"] = email,
                ["FirstName"] = FirstNames[h % FirstNames.Length],
                ["LastName"] = LastNames[(h / 31) % LastNames.Length],
                ["Company"] = Companies[(h / 7) % Companies.Length],
                ["City"] = Cities[(h / 13) % Cities.Length],
                ["Tier"] = Tiers[(h / 3) % Tiers.Length],
                ["Orders"] = (int)(h % 500),
                ["Ltv"] = Math.Round((h % 1_000_000) / 100.0, 2),
                ["OptIn"] = (h & 1) == 0,
                ["Since"] = Epoch.AddMinutes(h % 8_000_000),
            };
        }
    }
}
