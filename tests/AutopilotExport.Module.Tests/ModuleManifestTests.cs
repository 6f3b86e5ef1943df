using System.Management.Automation;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

public sealed class ModuleManifestTests : ModuleTestBase
{
    public static readonly string[] Cmdlets =
    {
        "Get-AutopilotConnection", "Get-AutopilotExport", "Get-AutopilotExportRun", "New-AutopilotConnection", "New-AutopilotExport",
        "Remove-AutopilotConnection", "Remove-AutopilotExport", "Set-AutopilotConnection", "Set-AutopilotExport", "Set-AutopilotFieldMap",
        "Start-AutopilotExport", "Test-AutopilotConnection",
    };

    public ModuleManifestTests(EmulatorFixture emulator) : base(emulator) { }

    public static IEnumerable<object[]> CmdletNames => Cmdlets.Select(c => new object[] { c });

    [Fact]
    public void Imports_from_the_manifest_and_exports_exactly_the_twelve_cmdlets()
    {
        var r = RunClean("$m = Get-Module AutopilotExport; $m.ModuleBase; $m.ExportedCmdlets.Keys | ForEach-Object { $_ }; '--'; $m.ExportedFunctions.Count; $m.ExportedAliases.Count; $m.ExportedVariables.Count");
        var values = r.Output.Select(o => o.ToString()).ToList();
        Assert.Equal(RepoPaths.Root.TrimEnd(Path.DirectorySeparatorChar), values[0].TrimEnd(Path.DirectorySeparatorChar));
        var cmdlets = values.Skip(1).TakeWhile(v => v != "--").OrderBy(v => v, StringComparer.Ordinal).ToArray();
        Assert.Equal(Cmdlets, cmdlets);
        Assert.Equal(new[] { "0", "0", "0" }, values.SkipWhile(v => v != "--").Skip(1).ToArray());
    }

    [Fact]
    public void Cmdlets_come_from_the_built_binary_module_in_module_bin()
    {
        var r = RunClean("(Get-Command Start-AutopilotExport).ImplementingType.Assembly.Location");
        var location = r.Output.Single().ToString();
        Assert.Equal(Path.Combine(RepoPaths.Root, "module", "bin", "AutopilotExport.dll"), location);
        Assert.False(File.Exists(Path.Combine(RepoPaths.Root, "module", "bin", "System.Management.Automation.dll")),
            "System.Management.Automation must not ship in module/bin (the host supplies it).");
    }

    [Fact]
    public void Test_ModuleManifest_passes()
    {
        var r = Run($"Test-ModuleManifest -Path '{RepoPaths.Manifest}'");
        Assert.Null(r.Thrown);
        Assert.Empty(r.Errors.Select(e => e.ToString()));
        var m = r.Output.Single();
        Assert.Equal("AutopilotExport", m.Properties["Name"].Value);
    }

    [Fact]
    public void Commands_use_approved_verbs_and_declare_output_types()
    {
        var r = RunClean(@"
            $approved = @{}; foreach ($v in [System.Management.Automation.VerbsCommon], [System.Management.Automation.VerbsDiagnostic], [System.Management.Automation.VerbsLifecycle]) {
                foreach ($f in $v.GetFields()) { $approved[$f.GetValue($null)] = $true } }
            Get-Command -Module AutopilotExport | ForEach-Object {
                [pscustomobject]@{ Name = $_.Name; Approved = [bool]$approved[$_.Verb]; Outputs = @($_.OutputType).Count; ShouldProcess = $_.Parameters.ContainsKey('WhatIf') }
            }");
        Assert.Equal(Cmdlets.Length, r.Output.Count);
        foreach (var o in r.Output)
        {
            var name = (string)o.Properties["Name"].Value;
            Assert.True((bool)o.Properties["Approved"].Value, name);
            if (!name.StartsWith("Remove-", StringComparison.Ordinal)) Assert.True((int)o.Properties["Outputs"].Value >= 1, name);
            bool writes = !name.StartsWith("Get-", StringComparison.Ordinal) && !name.StartsWith("Test-", StringComparison.Ordinal);
            Assert.True(writes == (bool)o.Properties["ShouldProcess"].Value, name);
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Help_has_a_synopsis_and_an_example(string cmdlet)
    {
        var r = RunClean($"$h = Get-Help {cmdlet} -Full; $h.Synopsis; @($h.examples.example).Count");
        var synopsis = r.Output[0]?.ToString()?.Trim() ?? "";
        Assert.False(string.IsNullOrWhiteSpace(synopsis), $"{cmdlet}: no synopsis");
        // Without MAML help, PowerShell's synopsis is just the syntax ("Start-AutopilotExport [-Name] <string> ...").
        Assert.False(synopsis.StartsWith(cmdlet, StringComparison.OrdinalIgnoreCase), $"{cmdlet}: the synopsis is the generated syntax, so the MAML help was not found: {synopsis}");
        Assert.True(Convert.ToInt32(r.Output[1].BaseObject) >= 1, $"{cmdlet}: no example");
    }
}
