using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace AutopilotExport.Benchmarks;

/// <summary>
/// Issue 10's target as one command: the module's CPU a row beyond a bare pipeline. Runs the <c>pipeline</c> and
/// <c>sink</c> scenarios in alternation, each in a fresh process (as a user's run starts: nothing compiled yet),
/// <c>repeat</c> times, and prints each pair and the median. On a shared machine single runs move by a tenth or more,
/// so one pair proves nothing; the median of several does.
/// </summary>
internal static class ModuleCost
{
    public static int Run(int repeat, long? profiles)
    {
        var self = typeof(ModuleCost).Assembly.Location;
        var beyond = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            var pipeline = RunChild(self, "pipeline", profiles);
            var sink = RunChild(self, "sink", profiles);
            if (pipeline == null || sink == null) return 1;
            double p = pipeline.Value.GetProperty("cpu_us_per_row").GetDouble();
            double s = sink.Value.GetProperty("cpu_us_per_row").GetDouble();
            bool exact = sink.Value.GetProperty("counts_exact").GetBoolean();
            beyond.Add(s - p);
            Console.Error.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "[modulecost] pair {0}: pipeline {1:F2}  sink {2:F2}  beyond {3:F2} µs/row  (sink's own CPU {4:F2} s, counts exact {5})",
                i + 1, p, s, s - p, sink.Value.GetProperty("sink_cpu_s").GetDouble(), exact));
            if (!exact) { Console.Error.WriteLine("[modulecost] the sink run's counts were not exact"); return 1; }
        }
        var sorted = beyond.OrderBy(x => x).ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["scenario"] = "modulecost", ["pairs"] = repeat,
            ["beyond_us_per_row_median"] = Math.Round(median, 2),
            ["beyond_us_per_row_min"] = Math.Round(sorted[0], 2),
            ["beyond_us_per_row_max"] = Math.Round(sorted[^1], 2),
            ["target_us_per_row"] = 8,
        }));
        return 0;
    }

    private static JsonElement? RunChild(string self, string scenario, long? profiles)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(self);
        psi.ArgumentList.Add("--scenario");
        psi.ArgumentList.Add(scenario);
        if (profiles is long n) { psi.ArgumentList.Add("--profiles"); psi.ArgumentList.Add(n.ToString(CultureInfo.InvariantCulture)); }
        using var child = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the harness.");
        child.ErrorDataReceived += (_, _) => { }; // drained, not shown: the pair line says what matters
        child.BeginErrorReadLine();
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (child.ExitCode != 0 || line == null)
        {
            Console.Error.WriteLine($"[modulecost] the {scenario} run failed (exit {child.ExitCode}).");
            return null;
        }
        return JsonDocument.Parse(line).RootElement.Clone();
    }
}
