using System.Runtime.Loader;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>
/// The hosted side of the dependency isolation (the real-shell side is tests/Pester/DependencyIsolation.Tests.ps1).
/// This test process is itself a conflicting host: it runs on the ASP.NET Core shared framework, whose
/// Microsoft.Extensions.* (10.0) sit in the default load context, while the module ships and must use its own 8.0.
/// </summary>
public sealed class DependencyIsolationTests : ModuleTestBase
{
    public DependencyIsolationTests(EmulatorFixture emulator) : base(emulator) { }

    [Fact]
    public void The_cmdlets_and_their_dependencies_run_in_the_module_load_context_beside_the_hosts_newer_copies()
    {
        CreateConnection();
        var r = RunClean(@"
            $result = [pscustomobject]@{ Email = 'isolated@example.com' } | Start-AutopilotExport -Connection Emu -Segment 'Isolated'
            $result.Exported
            $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext((Get-Command Start-AutopilotExport).ImplementingType.Assembly)
            $context.Name
            @($context.Assemblies | ForEach-Object { $_.GetName() } | Where-Object Name -like 'Microsoft.Extensions.*' |
                ForEach-Object { '{0} {1}' -f $_.Name, $_.Version })");

        var values = r.Output.Select(o => o.ToString()).ToList();
        Assert.Equal("1", values[0]);
        Assert.Equal($"AutopilotExport ({Path.Combine(RepoPaths.Root, "module", "bin")})", values[1]);
        var privateCopies = values.Skip(2).ToList();
        Assert.Contains("Microsoft.Extensions.Http 8.0.0.0", privateCopies);
        Assert.Contains("Microsoft.Extensions.DependencyInjection 8.0.0.0", privateCopies);

        // The host's own copy, in the default context, is a different (newer) one and stays untouched.
        var hostHttp = AssemblyLoadContext.Default.Assemblies.Select(a => a.GetName())
            .Where(n => n.Name == "Microsoft.Extensions.Http").Select(n => n.Version).ToList();
        Assert.All(hostHttp, v => Assert.True(v!.Major > 8, $"the default context holds Microsoft.Extensions.Http {v}"));
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "AutopilotExport.Engine");
    }
}
