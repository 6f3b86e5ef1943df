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
        foreach (var key in new[] { TestKey, WrongKey })
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
