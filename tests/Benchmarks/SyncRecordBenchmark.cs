using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace AutopilotExport.Benchmarks;

/// <summary>
/// Scenario "syncrecord": the sync record of a saved export with N contacts (default 1,000,000) — the time to append
/// them batch by batch to the journal, to save the snapshot (compaction), to load it, to load after a kill (journal
/// replay + compaction), and the size on disk. The engine is loaded from the built module (module/bin), as the
/// module loads it, and driven by reflection: the harness does not reference the engine project.
/// </summary>
internal static class SyncRecordBenchmark
{
    private const int BatchSize = 1000;

    public static string Run(string repoRoot, long n)
    {
        var engineDll = Directory.EnumerateFiles(Path.Combine(repoRoot, "module", "bin"), "AutopilotExport.Engine.dll", SearchOption.AllDirectories).FirstOrDefault()
            ?? throw new FileNotFoundException("AutopilotExport.Engine.dll not found under module/bin; build the solution first.");
        var engine = Assembly.LoadFrom(engineDll);
        Type T(string name) => engine.GetType("AutopilotExport.Engine.State." + name, throwOnError: true)!;

        var root = Path.Combine(Path.GetTempPath(), "apx-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var home = Activator.CreateInstance(T("StateHome"), Path.Combine(root, "home"), Path.Combine(root, "keys"))!;
            var store = Activator.CreateInstance(T("SyncRecordStore"), home)!;
            var fingerprint = Activator.CreateInstance(T("SyncFingerprint"), "connection", "fieldmap")!;
            var open = store.GetType().GetMethod("Open")!;
            var contactType = T("ConfirmedContact");
            object OpenRecord() => open.Invoke(store, new[] { "Benchmark", fingerprint })!;

            // Fill: N confirmed contacts in batches (what a first full run appends), then dispose without compaction:
            // the journal now holds everything, as after a run killed just before its end.
            var record = OpenRecord();
            var recordConfirmed = record.GetType().GetMethod("RecordConfirmed")!;
            var append = Stopwatch.StartNew();
            ulong seed = 0x9E3779B97F4A7C15;
            for (long start = 0; start < n; start += BatchSize)
            {
                int count = (int)Math.Min(BatchSize, n - start);
                var batch = Array.CreateInstance(contactType, count);
                for (int i = 0; i < count; i++)
                {
                    seed = SplitMix(seed);
                    batch.SetValue(Activator.CreateInstance(contactType, Synthetic.EmailOf(start + i), seed | 1, "contactlist_benchmark"), i);
                }
                recordConfirmed.Invoke(record, new object[] { batch });
            }
            append.Stop();
            var journalBytes = new FileInfo((string)store.GetType().GetMethod("JournalFile")!.Invoke(store, new object[] { "Benchmark" })!).Length;
            ((IDisposable)record).Dispose();

            var resume = Phase.Start();
            record = OpenRecord(); // replays the journal and compacts it into the snapshot
            resume.Stop();

            var save = Phase.Start();
            record.GetType().GetMethod("Compact")!.Invoke(record, null);
            save.Stop();
            var count1 = (int)record.GetType().GetProperty("Count")!.GetValue(record)!;
            ((IDisposable)record).Dispose();

            GC.Collect();
            var load = Phase.Start();
            record = OpenRecord();
            load.Stop();
            var count2 = (int)record.GetType().GetProperty("Count")!.GetValue(record)!;
            ((IDisposable)record).Dispose();

            var snapshotBytes = new FileInfo((string)store.GetType().GetMethod("SnapshotFile")!.Invoke(store, new object[] { "Benchmark" })!).Length;
            if (count1 != n || count2 != n) throw new InvalidOperationException($"expected {n} entries, found {count1} after the replay and {count2} after the load");
            return JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["scenario"] = "syncrecord", ["entries"] = n,
                ["append_s"] = Math.Round(append.Elapsed.TotalSeconds, 3), ["journal_bytes"] = journalBytes,
                ["resume_load_s"] = resume.Seconds, ["resume_load_cpu_s"] = resume.CpuSeconds,
                ["save_s"] = save.Seconds, ["save_cpu_s"] = save.CpuSeconds,
                ["load_s"] = load.Seconds, ["load_cpu_s"] = load.CpuSeconds,
                ["load_average"] = LoadAverage(),
                ["snapshot_bytes"] = snapshotBytes, ["bytes_per_entry"] = Math.Round((double)snapshotBytes / n, 1),
            });
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Wall time and this process's CPU time of one phase (on a shared machine the CPU time is the steadier figure).</summary>
    private sealed class Phase
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        public double Seconds { get; private set; }
        public double CpuSeconds { get; private set; }
        public static Phase Start() => new();
        public void Stop()
        {
            Seconds = Math.Round(_wall.Elapsed.TotalSeconds, 3);
            CpuSeconds = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - _cpu0).TotalSeconds, 3);
        }
    }

    private static string? LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null; }
        catch (IOException) { return null; }
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
