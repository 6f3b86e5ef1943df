using System.Management.Automation;
using System.Text;
using AutopilotEmulator;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>The API key must not appear in any stream, in the host output, or in any file under the state folder.</summary>
public sealed class SecretLeakTests : ModuleTestBase
{
    private const string WrongKey = "sk-WRONG-7c6b5a4f3e";

    public SecretLeakTests(EmulatorFixture emulator) : base(emulator) { }

    [Fact]
    public void Key_is_absent_from_every_stream_the_host_and_every_state_file()
    {
        Session.SetVariable("WrongKey", ModuleSession.Secure(WrongKey));
        Emulator.SetFaults(new FaultProfile { Error500Rate = 0.2, ResetRate = 0.1, Paths = new[] { "/v1/contacts" } });

        var script = @"
            $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'
            New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -Verbose -Debug
            New-AutopilotConnection -Name Bad -ApiKey $WrongKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation -Verbose -Debug
            try { New-AutopilotConnection -Name Bad2 -ApiKey $WrongKey -BaseUri $BaseUri -AcceptDataPrivacy -Verbose -Debug } catch { $_ }
            Get-AutopilotConnection | Test-AutopilotConnection -Verbose -Debug
            New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP -FieldMap @{ Email = 'Mail'; Custom = @{ Tier = 'Tier' } } -Verbose -Debug
            $rows = 1..150 | ForEach-Object { [pscustomobject]@{ Mail = ""k$_@example.com""; Tier = 'gold' } }
            $rows += [pscustomobject]@{ Mail = 'broken' }
            $rows | Start-AutopilotExport -Name Nightly -Verbose -Debug
            $rows | Start-AutopilotExport -Name Nightly -WhatIf -Verbose -Debug
            try { $rows | Start-AutopilotExport -Connection Bad -Segment VIP -Verbose -Debug } catch { $_ }
            $global:AutopilotLastExportResult
            Get-AutopilotConnection
            Get-AutopilotExport";

        // Once as a user sees it (every stream rendered by the host), once with the streams collected.
        var shown = Run(script, toHost: true);
        Emulator.Reset();
        var collected = Run(script.Replace("New-AutopilotConnection -Name", "New-AutopilotConnection -Force -Name").Replace("New-AutopilotExport -Name", "New-AutopilotExport -Force -Name"));

        Assert.Contains("VERBOSE:", shown.HostText);
        Assert.Contains("DEBUG:", shown.HostText);
        Assert.Contains("What if:", shown.HostText);
        Assert.NotEmpty(collected.Verbose);
        Assert.Equal(150, Emulator.Contacts().Count); // the run really happened (with retries under faults)

        foreach (var key in new[] { TestKey, WrongKey })
        {
            Assert.DoesNotContain(key, shown.AllText());
            Assert.DoesNotContain(key, collected.AllText());
            Assert.DoesNotContain(key, Session.Host.Capture.Text);
        }

        var files = StateFiles().ToList();
        Assert.Contains(files, f => f.EndsWith(".bin", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".jsonl", StringComparison.Ordinal));
        AssertNoFileHolds(files, TestKey, WrongKey);
    }

    [Fact]
    public void Key_is_absent_from_the_information_stream_error_history_env_key_runs_and_a_key_revoked_mid_run()
    {
        // What the test above does not reach: $InformationPreference, the $Error history with inner exceptions, a
        // connection that reads $env:AUTOPILOT_API_KEY, throttling (429 + Retry-After), rows the API rejects under
        // faults (per-row errors carrying the API's messages), -ReportPath, and the key revoked in the middle of a run.
        Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", TestKey);
        Emulator.SetRateLimit(4);
        Emulator.SetFaults(new FaultProfile { Error500Rate = 0.05, Error503Rate = 0.05, ResetRate = 0.05, MalformedRate = 0.05, AcceptThenFailRate = 0.05, Paths = new[] { "/v1/contacts" } });
        var report = Path.Combine(StateHome, "custom-reports", "run.jsonl");
        Session.SetVariable("ReportFile", report);

        var r = Run(@"
            $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'; $WarningPreference = 'Continue'
            New-AutopilotConnection -Name Stored -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond 0 -Verbose -Debug -InformationAction Continue
            New-AutopilotConnection -Name FromEnv -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond 0 -Verbose -Debug
            Test-AutopilotConnection -Name FromEnv -Verbose -Debug
            $rows = 1..250 | ForEach-Object { [pscustomobject]@{ Email = if ($_ % 60 -eq 0) { ""refused$_@example.invalid"" } else { ""s$_@example.com"" }; FirstName = ""S$_"" } }
            $rows | Start-AutopilotExport -Connection FromEnv -Segment Secret -ReportPath $ReportFile -Verbose -Debug -InformationAction Continue
            & { [CmdletBinding()] param() $PSCmdlet.WriteInformation('information stream works', [string[]]@()) }
            $Error | ForEach-Object { $_.ToString(); $_.FullyQualifiedErrorId; $_.Exception.ToString(); $_.ScriptStackTrace; $_.ErrorDetails; $_.TargetObject }
            $global:AutopilotLastExportResult");
        Assert.Null(r.Thrown);
        Assert.Contains("information stream works", r.Information);
        Assert.Contains(r.ErrorIds, id => id.StartsWith("RejectedByApi,", StringComparison.Ordinal));
        var stats = Emulator.Stats();
        Assert.True(stats.Throttled > 0 && stats.FaultsInjected.Total > 0, "the runs met no 429 or no fault");
        Assert.Equal(246, Emulator.Contacts().Count);

        // The key revoked while a run is under way: the old key must not show in the Unauthorized error or the result.
        Emulator.SetRateLimit(0);
        Emulator.SetFaults(new FaultProfile { LatencyMs = 50, Paths = new[] { "/v1/contacts" } });
        Emulator.Reset();
        using var ps = PowerShell.Create();
        ps.Runspace = Session.Runspace;
        ps.AddScript(@"$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'
            try { 1..3000 | ForEach-Object { [pscustomobject]@{ Email = ""rv$_@example.com"" } } | Start-AutopilotExport -Connection Stored -Segment Revoked -Concurrency 2 }
            catch { $_; $_.Exception.ToString() }
            $Error | ForEach-Object { $_.ToString(); $_.Exception.ToString() }");
        var async = ps.BeginInvoke();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Emulator.Stats().Count("POST /v1/contacts", 200) < 1 && DateTime.UtcNow < deadline && !async.IsCompleted) Thread.Sleep(10);
        Emulator.SetApiKey("sk-NEW-3c2b1a0f9e");
        Assert.True(async.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20)));
        var revoked = string.Join("\n", ps.EndInvoke(async).Where(o => o != null).Select(o => o.BaseObject is ErrorRecord e ? e + " " + e.FullyQualifiedErrorId : o.ToString()))
            + string.Join("\n", ps.Streams.Verbose.Select(v => v.Message)) + string.Join("\n", ps.Streams.Debug.Select(v => v.Message))
            + string.Join("\n", ps.Streams.Error.Select(e => e + " " + e.FullyQualifiedErrorId + " " + e.Exception));
        Assert.Contains("Unauthorized,", revoked);

        foreach (var text in new[] { r.AllText(), revoked, Session.Host.Capture.Text })
            Assert.DoesNotContain(TestKey, text);
        Assert.True(File.Exists(report));
        var files = StateFiles().ToList();
        Assert.Contains(report, files);
        Assert.Contains(files, f => f.EndsWith("connections.json", StringComparison.Ordinal));
        AssertNoFileHolds(files, TestKey);
    }

    /// <summary>No file holds the key as UTF-8, UTF-16, Base64 of either, or hex (the stored key's file holds it encrypted).</summary>
    private static void AssertNoFileHolds(IReadOnlyList<string> files, params string[] keys)
    {
        foreach (var key in keys)
        {
            var needles = new[]
            {
                Encoding.UTF8.GetBytes(key),
                Encoding.Unicode.GetBytes(key),
                Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(key))),
                Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.Unicode.GetBytes(key))),
                Encoding.ASCII.GetBytes(Convert.ToHexString(Encoding.UTF8.GetBytes(key)).ToLowerInvariant()),
            };
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                foreach (var needle in needles)
                    Assert.False(bytes.AsSpan().IndexOf(needle) >= 0, $"{file} holds the key {key}");
            }
        }
    }
}
