using System.Diagnostics;
using System.Management.Automation;
using System.Text.Json;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>What a script sees when a run goes wrong: every row error, the result object, the error id, the advice.</summary>
public sealed class RunOutcomeCommandTests : ModuleTestBase
{
    private const string Suffix = ",AutopilotExport.Commands.StartAutopilotExportCommand";

    public RunOutcomeCommandTests(EmulatorFixture emulator) : base(emulator) { }

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value is PSObject p ? p.BaseObject : o.Properties[name]?.Value;

    private static bool IsResult(PSObject o) => o.BaseObject.GetType().FullName == "AutopilotExport.AutopilotExportResult";

    [Fact]
    public void Every_refused_row_is_an_error_record_in_a_paced_run()
    {
        CreateConnection();
        var r = Run(@"1..700 | ForEach-Object { [pscustomobject]@{ Email = $(if ($_ % 7 -eq 0) { ""bad$_@example.invalid"" } else { ""ok$_@example.com"" }) } } |
            Start-AutopilotExport -Connection Emu -Segment Paced -RequestsPerSecond 40 -Concurrency 1");
        var result = Assert.Single(r.Output, IsResult);
        Assert.Equal((700L, 600L, 100L), ((long)Prop(result, "Exported")! + (long)Prop(result, "Failed")!, (long)Prop(result, "Exported")!, (long)Prop(result, "Failed")!));
        Assert.Equal(100, r.Errors.Count);
        Assert.All(r.Errors, e => Assert.Equal("RejectedByApi" + Suffix, e.FullyQualifiedErrorId));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => $"bad{i * 7}@example.invalid"),
            r.Errors.Select(e => (string)((PSObject)e.TargetObject).Properties["Email"].Value).OrderBy(x => int.Parse(x[3..x.IndexOf('@')])));
        var report = File.ReadAllLines((string)Prop(result, "ReportPath")!);
        Assert.Equal(100, report.Count(l => l.Contains("\"errorId\":\"RejectedByApi\"")));
        Assert.True((bool)Prop(result, "ReportComplete")!);
    }

    /// <summary>Creates the custom field "Order Count" as an integer (one contact), so text sent for it is refused.</summary>
    private void SeedIntegerOrderCount()
    {
        using var http = Emulator.CreateClient();
        var seeded = http.PostAsync("contact", new System.Net.Http.StringContent(
            "{\"contact\":{\"Email\":\"seed@example.com\",\"custom\":{\"integer--Order--Count\":3}}}", System.Text.Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
        seeded.EnsureSuccessStatusCode();
    }

    [Fact]
    public void A_rejection_the_same_for_every_row_stops_the_run_with_one_error_id_and_the_result_reaches_the_script()
    {
        CreateConnection();
        // "Order Count" exists as an integer and the rows hold text: the API refuses every row for the same reason.
        // (This used a custom field name with a tab, which issue 11 refuses before the first request.)
        SeedIntegerOrderCount();
        var r = Run(@"
            $r = 1..500 | ForEach-Object { [pscustomobject]@{ Email = ""u$_@example.com""; Orders = 'many' } } |
                Start-AutopilotExport -Connection Emu -Segment VIP -FieldMap @{ Email = 'Email'; Custom = @{ 'Order Count' = 'Orders' } } -OutVariable run
            $r
            'outvariable:' + $run.Count");
        var (result, error) = ExportResults.FailedRun(r, "RejectedForEveryRow");
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Contains("custom field names and types", error.Exception.Message);
        Assert.Contains("outvariable:1", r.Output.Select(o => o.BaseObject as string));
        Assert.Same(result.BaseObject, error.TargetObject);
        Assert.Equal(("Failed", "RejectedForEveryRow", 500L, 0L, 500L),
            ((string)Prop(result, "Status")!, (string)Prop(result, "ErrorId")!, (long)Prop(result, "Received")!, (long)Prop(result, "Exported")!, (long)Prop(result, "Failed")!));
        // The few refusals that showed the rule (not 500), then the run's one error.
        Assert.InRange(r.Errors.Count(e => e.FullyQualifiedErrorId == "RejectedByApi" + Suffix), 1, 5);
        Assert.Equal(r.Errors.Count - 1, r.Errors.Count(e => e.FullyQualifiedErrorId == "RejectedByApi" + Suffix));
        Assert.InRange(Emulator.Stats().Requests.Where(x => x.Route == "POST /v1/contacts").Sum(x => x.Count), 5, 9);
        Assert.Equal(new[] { "seed@example.com" }, Emulator.Contacts().Select(c => c.Email));

        Emulator.Reset();
        SeedIntegerOrderCount();
        var stopped = Run(@"try {
                1..500 | ForEach-Object { [pscustomobject]@{ Email = ""u$_@example.com""; Orders = 'many' } } |
                    Start-AutopilotExport -Connection Emu -Segment VIP -FieldMap @{ Email = 'Email'; Custom = @{ 'Order Count' = 'Orders' } } -ErrorAction Stop
                'not stopped'
            } catch { $_ }");
        // -ErrorAction Stop applies to every error the command writes: the first refused row's error (always written
        // before the run's own) already ends the command, and no request follows.
        Assert.Null(stopped.Thrown);
        Assert.DoesNotContain(stopped.Output, o => o.BaseObject as string == "not stopped");
        Assert.Equal("RejectedByApi" + Suffix, Assert.IsType<ErrorRecord>(stopped.Output.Last().BaseObject).FullyQualifiedErrorId);
        Assert.InRange(Emulator.Stats().Requests.Where(x => x.Route == "POST /v1/contacts").Sum(x => x.Count), 1, 9);
    }

    [Fact]
    public void A_refused_key_from_the_environment_gets_advice_about_the_environment_variable()
    {
        Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", "sk-STALE-1234567890");
        RunClean("$null = New-AutopilotConnection -Name Env -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation");
        var r = Run(@"@{ Email = 'a@example.com' } | Start-AutopilotExport -Connection Env -Segment VIP");
        var (result, error) = ExportResults.FailedRun(r, "Unauthorized");
        Assert.Single(r.Errors);
        Assert.Equal(error.Exception.Message, (string)Prop(result, "ErrorMessage")!);
        Assert.Contains("$env:AUTOPILOT_API_KEY", error.Exception.Message);
        Assert.DoesNotContain("-Force", error.Exception.Message);
        Assert.DoesNotContain("sk-STALE", r.AllText());

        CreateConnection("Stored");
        Emulator.SetApiKey("sk-ROTATED-0000000000");
        var stored = Run(@"try { @{ Email = 'a@example.com' } | Start-AutopilotExport -Connection Stored -Segment VIP -ErrorAction Stop; 'not stopped' } catch { $_ }");
        var storedError = ExportResults.StoppedRun(stored, "Unauthorized");
        Assert.Contains("New-AutopilotConnection -Name 'Stored' -Force", storedError.Exception.Message);
        Assert.DoesNotContain("AUTOPILOT_API_KEY", storedError.Exception.Message);
    }

    [Fact]
    public void Name_and_Segment_bind_together_and_the_segment_replaces_the_saved_one_for_this_run()
    {
        CreateConnection();
        RunClean("$null = New-AutopilotExport -Name Saved -Connection Emu -Segment 'Saved list'");
        var r = Run("@{ Email = 'seg@example.com' } | Start-AutopilotExport -Name Saved -Segment 'Other list'");
        Assert.Empty(r.Errors);
        var result = Assert.Single(r.Output, IsResult);
        Assert.Equal(new[] { "Other list" }, (string[])Prop(result, "Segments")!);
        Assert.Equal(new[] { ListId("Other list") }, Emulator.Contact("seg@example.com")!.Lists);
        Assert.Null(ListId("Saved list"));
    }

    [Fact]
    public void A_report_on_a_full_disk_is_a_warning_and_the_result_says_it_is_incomplete()
    {
        using var disk = AutopilotExport.Tests.Shared.TinyDisk.Mount(32); // the report outgrows it: "no space left on device"
        var reportPath = Path.Combine(disk.Path, "report.jsonl");
        CreateConnection();
        var r = Run(@"1..3000 | ForEach-Object { [pscustomobject]@{ Email = $(if ($_ % 3 -eq 0) { ""bad$_"" } else { ""ok$_@example.com"" }) } } |
            Start-AutopilotExport -Connection Emu -Segment Full -ReportPath '" + reportPath + @"' -ErrorAction SilentlyContinue");
        Assert.Null(r.Thrown);
        var result = Assert.Single(r.Output, IsResult);
        Assert.Equal(("CompletedWithErrors", 2000L, 1000L, false),
            ((string)Prop(result, "Status")!, (long)Prop(result, "Exported")!, (long)Prop(result, "Invalid")!, (bool)Prop(result, "ReportComplete")!));
        var warning = Assert.Single(r.Warnings);
        Assert.Contains("incomplete", warning);
        Assert.Contains(reportPath, warning);
        Assert.Equal(2000, Emulator.Contacts().Count);
    }

    [Fact]
    public void Progress_shows_percent_only_when_the_rows_are_counted_in_advance()
    {
        CreateConnection();
        var piped = Run("1..300 | ForEach-Object { [pscustomobject]@{ Email = \"pp$_@example.com\" } } | Start-AutopilotExport -Connection Emu -Segment Piped");
        var running = piped.Progress.Where(p => p.RecordType == ProgressRecordType.Processing).ToList();
        Assert.NotEmpty(running);
        Assert.All(running, p => Assert.Equal((-1, -1), (p.PercentComplete, p.SecondsRemaining)));
        Assert.All(running, p => Assert.Contains("elapsed", p.StatusDescription));

        var counted = Run("$rows = 1..300 | ForEach-Object { [pscustomobject]@{ Email = \"pc$_@example.com\" } }; Start-AutopilotExport -Connection Emu -Segment Counted -InputObject $rows");
        var last = counted.Progress.Last(p => p.RecordType == ProgressRecordType.Processing);
        Assert.InRange(last.PercentComplete, 0, 100);
        Assert.All(counted.Progress.Where(p => p.RecordType == ProgressRecordType.Processing), p => Assert.InRange(p.PercentComplete, 0, 100));
    }

    [Fact]
    public void Key_checks_wait_and_retry_when_the_API_answers_429()
    {
        // No client-side pace, an API limit of 1 request/s: back-to-back checks meet 429 and must retry, not fail.
        Emulator.SetRateLimit(1);
        var r = Run(@"
            $null = New-AutopilotConnection -Name Fast -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond 0
            1..3 | ForEach-Object { Test-AutopilotConnection -Name Fast }");
        Assert.Empty(r.Errors);
        var results = r.Output.Where(o => o.BaseObject.GetType().Name == "AutopilotConnectionTestResult").ToList();
        Assert.Equal(3, results.Count);
        Assert.All(results, t => Assert.True((bool)Prop(t, "Success")!, (string?)Prop(t, "Message")));
        var stats = Emulator.Stats();
        Assert.True(stats.Requests.Where(x => x.Status == 429).Sum(x => x.Count) >= 1, "the API never answered 429, so nothing was retried");
        Assert.Equal(4, stats.Requests.Where(x => x.Route == "GET /v1/account" && x.Status == 200).Sum(x => x.Count));
    }

    [Fact]
    public void SIGTERM_ends_a_run_like_CtrlC_with_a_Cancelled_report_summary_and_LastRunStatus()
    {
        if (OperatingSystem.IsWindows()) return; // no SIGTERM
        var pwsh = PwshDll();
        // Everything the run talks to lives in the child's own process tree: its emulator, and the shell that
        // sends SIGTERM straight to the process running the cmdlet (dotnet pwsh.dll, no launcher in between)
        // four seconds into the export, then stops the emulator. The test reads what the run left on disk.
        var port = Random.Shared.Next(20_000, 60_000);
        var emulator = Path.Combine(AppContext.BaseDirectory, "AutopilotEmulator.dll");
        var signaller = Path.Combine(Path.GetDirectoryName(StateHome)!, "signal.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(signaller)!);
        File.WriteAllText(signaller, "sleep \"$1\"; kill -TERM \"$2\"; sleep 10; kill \"$3\"\n");
        var script = $$"""
            $ErrorActionPreference = 'Stop'
            $emulator = Start-Process dotnet -ArgumentList '{{emulator}}', '--urls', 'http://127.0.0.1:{{port}}', '--api-key', '{{TestKey}}', '--rate-limit', '0' -PassThru -RedirectStandardOutput '{{signaller}}.emu.out' -RedirectStandardError '{{signaller}}.emu.err'
            foreach ($i in 1..600) { try { $null = Invoke-RestMethod 'http://127.0.0.1:{{port}}/__emulator/stats'; break } catch { Start-Sleep -Milliseconds 100 } }
            Import-Module '{{RepoPaths.Manifest}}'
            $null = New-AutopilotConnection -Name Emu -BaseUri 'http://127.0.0.1:{{port}}/v1' -AcceptDataPrivacy -SkipValidation -RequestsPerSecond 5
            $null = New-AutopilotExport -Name Term -Connection Emu -Segment Term
            $null = Start-Process sh -ArgumentList '{{signaller}}', 4, $PID, $emulator.Id -RedirectStandardOutput '{{signaller}}.out' -RedirectStandardError '{{signaller}}.err'
            1..20000 | ForEach-Object { [pscustomobject]@{ Email = "term$_@example.com" } } | Start-AutopilotExport -Name Term
            'the run was not stopped'
            """;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { pwsh, "-NoProfile", "-NonInteractive", "-Command", script }) start.ArgumentList.Add(a);
        start.Environment["AUTOPILOTEXPORT_HOME"] = StateHome;
        start.Environment["AUTOPILOT_API_KEY"] = TestKey;
        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.True(child.WaitForExit(180_000), "the child did not end");
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
        Assert.True(stdout.Wait(30_000) && stderr.Wait(30_000));
        Assert.True(child.ExitCode == 143, $"exit {child.ExitCode}: {stderr.Result} {stdout.Result}"); // 128 + SIGTERM: the signal ended it
        Assert.DoesNotContain("the run was not stopped", stdout.Result);
        Assert.Contains("export 'Term' Cancelled", stderr.Result);

        var saved = RunClean("Get-AutopilotExport Term").Output.Single();
        Assert.Equal("Cancelled", (string)Prop(saved, "LastRunStatus")!);
        // The signal's thread completed the history entry too: Cancelled, not Interrupted.
        var run = RunClean("Get-AutopilotExportRun -Name Term").Output.Single();
        Assert.Equal("Cancelled", (string)Prop(run, "Status")!);
        Assert.NotNull(Prop(run, "EndTime"));
        var report = Assert.Single(Directory.GetFiles(Path.Combine(StateHome, "reports"), "Term-*.jsonl"));
        using var summary = JsonDocument.Parse(File.ReadAllLines(report).Last());
        var s = summary.RootElement.GetProperty("summary");
        Assert.Equal("Cancelled", s.GetProperty("status").GetString());
        var c = (Received: s.GetProperty("received").GetInt64(), Exported: s.GetProperty("exported").GetInt64(), Failed: s.GetProperty("failed").GetInt64());
        Assert.True(c.Exported < 20000, $"counts {c}");
        Assert.Equal(c.Received, c.Exported + c.Failed + s.GetProperty("invalid").GetInt64() + s.GetProperty("duplicate").GetInt64());
    }

    /// <summary>pwsh.dll of the PowerShell the repository's tool manifest pins (restored on demand).</summary>
    private static string PwshDll()
    {
        string? Find()
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var tool = Path.Combine(packages, "powershell");
            if (!Directory.Exists(tool)) return null;
            return Directory.EnumerateFiles(tool, "pwsh.dll", SearchOption.AllDirectories)
                .Where(p => p.Contains(Path.DirectorySeparatorChar + "unix" + Path.DirectorySeparatorChar))
                .OrderByDescending(p => p, StringComparer.Ordinal).FirstOrDefault();
        }
        var found = Find();
        if (found != null) return found;
        using (var restore = Process.Start(new ProcessStartInfo("dotnet", "tool restore") { WorkingDirectory = RepoPaths.Root, UseShellExecute = false })!)
            restore.WaitForExit(120_000);
        return Find() ?? throw new InvalidOperationException("pwsh.dll not found: run 'dotnet tool restore' in the repository (the manifest pins PowerShell).");
    }
}
