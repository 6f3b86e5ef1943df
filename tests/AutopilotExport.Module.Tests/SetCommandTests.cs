using System.Management.Automation;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>Set-AutopilotExport, Set-AutopilotConnection and New-AutopilotExport -Force keeping the field map.</summary>
public sealed class SetCommandTests : ModuleTestBase
{
    public SetCommandTests(EmulatorFixture emulator) : base(emulator) { }

    private const string MapScript = "@{ Email = 'Mail'; FirstName = 'GivenName'; Custom = @{ 'Order Count' = @{ Property = 'Orders'; Type = 'integer' } } }";

    private void CreateExport()
    {
        CreateConnection("Emu");
        RunClean($"$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP -SegmentProperty Tier -MaxProfiles 500 -FieldMap {MapScript}");
    }

    private PSObject Export(string name = "Nightly") => RunClean($"Get-AutopilotExport -Name {name}").Output.Single();

    private static string MapText(PSObject export) => export.Properties["FieldMap"].Value?.ToString() ?? "(none)";

    [Fact]
    public void Set_AutopilotExport_changes_what_is_given_and_keeps_the_rest_above_all_the_field_map()
    {
        CreateExport();
        var before = Export();
        var r = RunClean("Set-AutopilotExport -Name nightly -Segment 'Loyalty members', News -SyncMode Mirror -MaxRemovalPercent 10 -RequestsPerSecond 2.5 -Concurrency 2 -KeepRuns 7 -PassThru -Verbose");
        var o = r.Output.Single();
        Assert.Equal("AutopilotExport.AutopilotExportDefinition", o.BaseObject.GetType().FullName);

        var after = Export();
        Assert.Equal(new[] { "Loyalty members", "News" }, (string[])after.Properties["Segments"].Value);
        Assert.Equal("Mirror", after.Properties["SyncMode"].Value);
        Assert.Equal(10, after.Properties["MaxRemovalPercent"].Value);
        Assert.Equal(2.5, after.Properties["RequestsPerSecond"].Value);
        Assert.Equal(2, after.Properties["Concurrency"].Value);
        Assert.Equal(7, after.Properties["KeepRuns"].Value);
        // Kept: field map, connection, segment property, cap, creation time.
        Assert.Equal(MapText(before), MapText(after));
        Assert.Contains("Order Count", MapText(after));
        Assert.Equal("Emu", after.Properties["Connection"].Value);
        Assert.Equal("Tier", after.Properties["SegmentProperty"].Value);
        Assert.Equal(500, after.Properties["MaxProfiles"].Value);
        Assert.Equal(before.Properties["CreatedAt"].Value, after.Properties["CreatedAt"].Value);
        Assert.Contains(r.Verbose, v => v.Contains("field map") && v.Contains("Order Count"));

        // A second change touches only its own setting.
        RunClean("Set-AutopilotExport Nightly -MaxProfiles 42");
        var third = Export();
        Assert.Equal(42, third.Properties["MaxProfiles"].Value);
        Assert.Equal("Mirror", third.Properties["SyncMode"].Value);
        Assert.Equal(new[] { "Loyalty members", "News" }, (string[])third.Properties["Segments"].Value);
        Assert.Equal(MapText(before), MapText(third));
    }

    [Fact]
    public void Set_AutopilotExport_defaults_WhatIf_pipeline_and_errors()
    {
        CreateExport();
        RunClean("$null = New-AutopilotExport -Name Weekly -Connection Emu -Segment VIP");
        var fresh = Export("Weekly");
        Assert.Equal("Upsert", fresh.Properties["SyncMode"].Value);
        Assert.Equal(20, fresh.Properties["MaxRemovalPercent"].Value);
        Assert.Equal(50, fresh.Properties["KeepRuns"].Value);
        Assert.Null(fresh.Properties["RequestsPerSecond"].Value);

        var whatIf = RunClean("Set-AutopilotExport -Name Weekly -SyncMode Mirror -WhatIf");
        Assert.Empty(whatIf.Output);
        Assert.Equal("Upsert", Export("Weekly").Properties["SyncMode"].Value);

        // Through the pipeline by property name: every saved export.
        RunClean("Get-AutopilotExport | Set-AutopilotExport -RequestsPerSecond 1");
        Assert.Equal(1.0, Export("Weekly").Properties["RequestsPerSecond"].Value);
        Assert.Equal(1.0, Export("Nightly").Properties["RequestsPerSecond"].Value);

        var nothing = Run("try { Set-AutopilotExport -Name Weekly } catch { $_ }");
        Assert.StartsWith("NothingToChange,", Assert.IsType<ErrorRecord>(nothing.Output.Single().BaseObject).FullyQualifiedErrorId);

        var missing = Run("Set-AutopilotExport -Name Monthly -SyncMode Mirror; 'went on'");
        Assert.Equal("went on", missing.Output.Single().ToString());
        Assert.StartsWith("ExportNotFound,", Assert.Single(missing.Errors).FullyQualifiedErrorId);

        var badMode = Run("try { Set-AutopilotExport -Name Weekly -SyncMode Delete } catch { $_ }");
        Assert.StartsWith("ParameterArgumentValidationError,", Assert.IsType<ErrorRecord>(badMode.Output.Single().BaseObject).FullyQualifiedErrorId);
        var badPercent = Run("try { Set-AutopilotExport -Name Weekly -MaxRemovalPercent 101 } catch { $_ }");
        Assert.StartsWith("ParameterArgumentValidationError,", Assert.IsType<ErrorRecord>(badPercent.Output.Single().BaseObject).FullyQualifiedErrorId);
    }

    [Fact]
    public void New_AutopilotExport_Force_keeps_the_field_map_unless_one_is_given_and_says_so()
    {
        CreateExport();
        RunClean("Set-AutopilotExport Nightly -SyncMode Mirror");
        var before = Export();
        var r = RunClean("New-AutopilotExport -Name Nightly -Connection Emu -Segment Other -Force -Verbose");
        var after = Export();
        Assert.Equal(new[] { "Other" }, (string[])after.Properties["Segments"].Value);
        Assert.Equal(MapText(before), MapText(after));
        Assert.Equal("Mirror", after.Properties["SyncMode"].Value);
        Assert.Contains(r.Verbose, v => v.Contains("field map is kept"));

        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment Other -Force -FieldMap @{ Email = 'UPN' }");
        Assert.Equal("Email<-UPN", MapText(Export()));
    }

    [Fact]
    public void Set_AutopilotConnection_rotates_the_key_only_after_GET_account_accepts_it()
    {
        CreateConnection("Emu");
        var before = RunClean("Get-AutopilotConnection Emu").Output.Single();
        var secret = Directory.GetFiles(Path.Combine(StateHome, "secrets"), "*.bin").Single();
        var oldSecret = File.ReadAllBytes(secret);
        const string newKey = "sk-ROTATED-5e6f7a8b9c";
        Emulator.SetApiKey(newKey); // Autopilot now accepts only the new key
        Session.SetVariable("WrongKey", ModuleSession.Secure("sk-WRONG-0a1b2c3d4e"));
        Session.SetVariable("NewKey", ModuleSession.Secure(newKey));

        var refused = Run("try { Set-AutopilotConnection -Name Emu -ApiKey $WrongKey } catch { $_ }");
        var error = Assert.IsType<ErrorRecord>(refused.Output.Single().BaseObject);
        Assert.StartsWith("InvalidApiKey,", error.FullyQualifiedErrorId);
        Assert.Contains("keeps its old key", error.Exception.Message);
        Assert.Equal(oldSecret, File.ReadAllBytes(secret));
        Assert.DoesNotContain("sk-WRONG-0a1b2c3d4e", refused.AllText());

        var whatIf = RunClean("Set-AutopilotConnection -Name Emu -ApiKey $NewKey -WhatIf");
        Assert.Equal(oldSecret, File.ReadAllBytes(secret));
        Assert.Equal(1, Emulator.Stats().Count("GET /v1/account", 401)); // only the refused check reached the API

        var r = RunClean("Set-AutopilotConnection -Name Emu -ApiKey $NewKey -PassThru -Verbose");
        var o = r.Output.Single();
        Assert.Equal("AutopilotExport.AutopilotConnection", o.BaseObject.GetType().FullName);
        Assert.NotEqual(oldSecret, File.ReadAllBytes(secret));
        Assert.Equal(1, Emulator.Stats().Count("GET /v1/account", 200));
        Assert.DoesNotContain(newKey, r.AllText() + whatIf.AllText());
        foreach (var p in new[] { "BaseUri", "ConsentedAt", "CreatedAt", "RequestsPerSecond", "InstanceId" })
            Assert.Equal(before.Properties[p].Value, o.Properties[p].Value);
        Assert.True((DateTimeOffset)o.Properties["LastValidatedAt"].Value! > (DateTimeOffset)before.Properties["LastValidatedAt"].Value!);
        // The stored key is the new one: the connection test passes against the emulator that accepts only it.
        Assert.Equal(true, RunClean("Test-AutopilotConnection -Name Emu").Output.Single().Properties["Success"].Value);
    }

    [Fact]
    public void Set_AutopilotConnection_changes_the_pace_without_a_request_and_keeps_the_key()
    {
        CreateConnection("Emu");
        var secret = Directory.GetFiles(Path.Combine(StateHome, "secrets"), "*.bin").Single();
        var oldSecret = File.ReadAllBytes(secret);
        var o = RunClean("Set-AutopilotConnection Emu -RequestsPerSecond 1.5 -PassThru").Output.Single();
        Assert.Equal(1.5, o.Properties["RequestsPerSecond"].Value);
        Assert.Equal(1.5, RunClean("Get-AutopilotConnection Emu").Output.Single().Properties["RequestsPerSecond"].Value);
        Assert.Equal(oldSecret, File.ReadAllBytes(secret));
        Assert.Equal(0, Emulator.Stats().TotalRequests);

        var nothing = Run("try { Set-AutopilotConnection -Name Emu } catch { $_ }");
        Assert.StartsWith("NothingToChange,", Assert.IsType<ErrorRecord>(nothing.Output.Single().BaseObject).FullyQualifiedErrorId);
        var missing = Run("Set-AutopilotConnection -Name Nope -RequestsPerSecond 1");
        Assert.StartsWith("ConnectionNotFound,", Assert.Single(missing.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Set_AutopilotConnection_never_sends_the_key_to_a_base_uri_the_policy_refuses()
    {
        RunClean("$null = New-AutopilotConnection -Name Planted -ApiKey $ApiKey -BaseUri 'http://localhost:1/v1' -AcceptDataPrivacy -SkipValidation");
        var file = Path.Combine(StateHome, "connections.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("http://localhost:1/v1", "http://example.com/v1"));
        Emulator.Reset();
        var r = Run("Set-AutopilotConnection -Name Planted -ApiKey $ApiKey");
        Assert.StartsWith("InsecureBaseUri,", Assert.Single(r.Errors).FullyQualifiedErrorId);
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }

    [Fact]
    public void Tab_completion_offers_saved_names_for_the_new_cmdlets()
    {
        CreateExport();
        Assert.Equal(new[] { "Nightly" }, Complete("Set-AutopilotExport -Name Ni"));
        Assert.Equal(new[] { "Nightly" }, Complete("Get-AutopilotExportRun -Name n"));
        Assert.Equal(new[] { "Emu" }, Complete("Set-AutopilotConnection -Name E"));
    }

    private string[] Complete(string input)
    {
        Session.SetVariable("CompletionInput", input);
        var r = RunClean("(TabExpansion2 -inputScript $CompletionInput -cursorColumn $CompletionInput.Length).CompletionMatches | ForEach-Object { $_.CompletionText }");
        return r.Output.Select(o => o.ToString()).ToArray();
    }
}
