using System.Management.Automation;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

public sealed class ConnectionCommandTests : ModuleTestBase
{
    public ConnectionCommandTests(EmulatorFixture emulator) : base(emulator) { }

    private string SecretsFolder => Path.Combine(StateHome, "secrets");

    [Fact]
    public void Without_consent_nothing_is_saved_or_sent()
    {
        var r = Run("try { New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri } catch { $_ }");
        var error = Assert.IsType<ErrorRecord>(r.Output.Single().BaseObject);
        Assert.Equal("ConsentRequired,AutopilotExport.Commands.NewAutopilotConnectionCommand", error.FullyQualifiedErrorId);
        Assert.Contains("-AcceptDataPrivacy", error.Exception.Message);
        Assert.Contains("compliance boundary", error.Exception.Message);
        Assert.Equal(0, Emulator.Stats().TotalRequests);
        Assert.Empty(RunClean("Get-AutopilotConnection").Output);
    }

    [Fact]
    public void Wrong_key_is_a_terminating_InvalidApiKey_error_and_saves_nothing()
    {
        Session.SetVariable("WrongKey", ModuleSession.Secure("sk-WRONG-0a1b2c3d4e"));
        var r = Run("try { New-AutopilotConnection -Name Emu -ApiKey $WrongKey -BaseUri $BaseUri -AcceptDataPrivacy; 'not reached' } catch { $_ }");
        var error = Assert.IsType<ErrorRecord>(r.Output.Single().BaseObject);
        Assert.StartsWith("InvalidApiKey,", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
        Assert.DoesNotContain("sk-WRONG-0a1b2c3d4e", r.AllText());
        Assert.Equal(1, Emulator.Stats().Count("GET /v1/account", 401));
        Assert.Empty(RunClean("Get-AutopilotConnection").Output);
        Assert.False(Directory.Exists(SecretsFolder) && Directory.EnumerateFiles(SecretsFolder).Any());
    }

    [Theory]
    [InlineData("http://example.com/v1", "InsecureBaseUri")]
    [InlineData("http://10.1.2.3:8080/v1", "InsecureBaseUri")]
    [InlineData("ftp://example.com/v1", "InvalidBaseUri")]
    public void Plain_http_to_another_host_is_refused(string uri, string errorId)
    {
        var r = Run($"try {{ New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri '{uri}' -AcceptDataPrivacy -SkipValidation }} catch {{ $_ }}");
        var error = Assert.IsType<ErrorRecord>(r.Output.Single().BaseObject);
        Assert.StartsWith(errorId + ",", error.FullyQualifiedErrorId);
        Assert.Empty(RunClean("Get-AutopilotConnection").Output);
    }

    [Theory]
    [InlineData("http://localhost:1/v1")]
    [InlineData("http://127.0.0.2:1/v1")]
    [InlineData("http://[::1]:1/v1")]
    [InlineData("https://api2.autopilothq.com/v1")]
    public void Https_and_loopback_http_are_allowed(string uri)
    {
        var r = RunClean($"New-AutopilotConnection -Name Loop -ApiKey $ApiKey -BaseUri '{uri}' -AcceptDataPrivacy -SkipValidation");
        Assert.Equal(uri.TrimEnd('/'), r.Output.Single().Properties["BaseUri"].Value);
    }

    [Fact]
    public void Success_validates_with_GET_account_and_records_consent()
    {
        var before = DateTimeOffset.Now.AddSeconds(-1);
        var r = RunClean("New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond 3");
        var after = DateTimeOffset.Now.AddSeconds(1);
        var o = r.Output.Single();
        Assert.Equal("AutopilotExport.AutopilotConnection", o.BaseObject.GetType().FullName);
        Assert.Equal("Emu", o.Properties["Name"].Value);
        Assert.Equal(EmulatorBaseUri, o.Properties["BaseUri"].Value);
        Assert.Equal("Stored", o.Properties["KeySource"].Value);
        Assert.Equal(3.0, o.Properties["RequestsPerSecond"].Value);
        var consentedAt = (DateTimeOffset)o.Properties["ConsentedAt"].Value;
        Assert.InRange(consentedAt, before, after);
        Assert.InRange((DateTimeOffset)o.Properties["CreatedAt"].Value, before, after);
        Assert.Equal(Emulator.InstanceId, o.Properties["InstanceId"].Value);
        Assert.NotNull(o.Properties["LastValidatedAt"].Value);
        Assert.False(string.IsNullOrEmpty((string)o.Properties["KeyProtection"].Value));

        Assert.Equal(1, Emulator.Stats().Count("GET /v1/account", 200));
        Assert.Equal(1, Emulator.Stats().TotalRequests);
        Assert.Single(Directory.GetFiles(SecretsFolder, "*.bin"));

        var saved = RunClean("Get-AutopilotConnection -Name emu").Output.Single();
        Assert.Equal("Emu", saved.Properties["Name"].Value);
        Assert.Equal(consentedAt, (DateTimeOffset)saved.Properties["ConsentedAt"].Value);
        Assert.Equal("AutopilotExport.AutopilotConnection", saved.TypeNames[0]);
    }

    [Fact]
    public void Existing_name_needs_Force()
    {
        CreateConnection("Emu");
        var r = Run("try { New-AutopilotConnection -Name EMU -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy } catch { $_ }");
        Assert.StartsWith("ConnectionExists,", Assert.IsType<ErrorRecord>(r.Output.Single().BaseObject).FullyQualifiedErrorId);
        Assert.Equal(0, Emulator.Stats().TotalRequests);

        var replaced = RunClean("New-AutopilotConnection -Name EMU -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -RequestsPerSecond 2 -Force").Output.Single();
        Assert.Equal(2.0, replaced.Properties["RequestsPerSecond"].Value);
        var all = RunClean("Get-AutopilotConnection").Output;
        Assert.Single(all);
        Assert.Equal(2.0, all[0].Properties["RequestsPerSecond"].Value);
        Assert.Single(Directory.GetFiles(SecretsFolder, "*.bin"));
    }

    [Fact]
    public void Environment_key_source_reads_AUTOPILOT_API_KEY_at_each_use()
    {
        var missing = Run("try { New-AutopilotConnection -Name Env -BaseUri $BaseUri -AcceptDataPrivacy } catch { $_ }");
        Assert.StartsWith("ApiKeyMissing,", Assert.IsType<ErrorRecord>(missing.Output.Single().BaseObject).FullyQualifiedErrorId);

        var c = RunClean($"$env:AUTOPILOT_API_KEY = '{TestKey}'; New-AutopilotConnection -Name Env -BaseUri $BaseUri -AcceptDataPrivacy").Output.Single();
        Assert.Equal("Environment", c.Properties["KeySource"].Value);
        Assert.Equal(Emulator.InstanceId, c.Properties["InstanceId"].Value);
        Assert.False(Directory.Exists(SecretsFolder) && Directory.EnumerateFiles(SecretsFolder).Any());

        Assert.Equal(true, RunClean("Test-AutopilotConnection Env -Quiet").Output.Single().BaseObject);

        var noKey = RunClean("$env:AUTOPILOT_API_KEY = $null; Test-AutopilotConnection -Name Env").Output.Single();
        Assert.Equal(false, noKey.Properties["Success"].Value);
        Assert.Contains("AUTOPILOT_API_KEY", (string)noKey.Properties["Message"].Value);

        var wrong = RunClean("$env:AUTOPILOT_API_KEY = 'sk-WRONG-ffff0000'; Test-AutopilotConnection -Name Env").Output.Single();
        Assert.Equal(false, wrong.Properties["Success"].Value);
        Assert.Equal(401, wrong.Properties["StatusCode"].Value);
    }

    [Fact]
    public void Get_supports_wildcards_and_reports_missing_names()
    {
        CreateConnection("Prod-EU");
        CreateConnection("Prod-US");
        CreateConnection("Staging");
        Assert.Equal(new[] { "Prod-EU", "Prod-US" }, RunClean("Get-AutopilotConnection prod*").Output.Select(o => (string)o.Properties["Name"].Value));
        Assert.Equal(3, RunClean("Get-AutopilotConnection").Output.Count);

        var r = Run("Get-AutopilotConnection -Name Staging, Nope, Zz*");
        Assert.Equal(new[] { "Staging" }, r.Output.Select(o => (string)o.Properties["Name"].Value));
        var error = Assert.Single(r.Errors);
        Assert.Equal("ConnectionNotFound,AutopilotExport.Commands.GetAutopilotConnectionCommand", error.FullyQualifiedErrorId);
        Assert.Equal("Nope", error.TargetObject);
    }

    [Fact]
    public void Test_reports_success_failure_and_takes_pipeline_input()
    {
        CreateConnection("Emu");
        RunClean("$w = [System.Security.SecureString]::new(); 'sk-WRONG-12345678'.ToCharArray() | ForEach-Object { $w.AppendChar($_) }; " +
                 "$null = New-AutopilotConnection -Name Bad -ApiKey $w -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation");
        Emulator.Reset();

        var results = RunClean("Get-AutopilotConnection | Test-AutopilotConnection").Output;
        Assert.Equal(2, results.Count);
        var bad = results.Single(o => (string)o.Properties["Name"].Value == "Bad");
        var good = results.Single(o => (string)o.Properties["Name"].Value == "Emu");
        Assert.Equal(true, good.Properties["Success"].Value);
        Assert.Equal(200, good.Properties["StatusCode"].Value);
        Assert.Equal(Emulator.InstanceId, good.Properties["InstanceId"].Value);
        Assert.IsType<TimeSpan>(good.Properties["ResponseTime"].Value);
        Assert.Equal(false, bad.Properties["Success"].Value);
        Assert.Equal(401, bad.Properties["StatusCode"].Value);
        Assert.Equal(2, Emulator.Stats().Count("GET /v1/account"));

        Assert.Equal(new object[] { true, false }, RunClean("Test-AutopilotConnection Emu -Quiet; Test-AutopilotConnection -Name Bad -Quiet").Output.Select(o => o.BaseObject));

        var missing = Run("Test-AutopilotConnection -Name Nope");
        Assert.StartsWith("ConnectionNotFound,", Assert.Single(missing.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Remove_deletes_connection_and_secret_with_Confirm_false_or_Force()
    {
        CreateConnection("One");
        CreateConnection("Two");
        Assert.Equal(2, Directory.GetFiles(SecretsFolder, "*.bin").Length);

        RunClean("Remove-AutopilotConnection -Name One -Confirm:$false");
        Assert.Single(Directory.GetFiles(SecretsFolder, "*.bin"));
        RunClean("Get-AutopilotConnection | Remove-AutopilotConnection -Force");
        Assert.Empty(Directory.GetFiles(SecretsFolder, "*.bin"));
        Assert.Empty(RunClean("Get-AutopilotConnection").Output);

        var r = Run("Remove-AutopilotConnection -Name One -Force");
        Assert.StartsWith("ConnectionNotFound,", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Remove_asks_first_and_honours_WhatIf()
    {
        CreateConnection("Keep");
        Session.Host.Capture.ChoiceAnswers.Enqueue(2); // [Y] Yes [A] Yes to All [N] No
        var declined = Run("Remove-AutopilotConnection -Name Keep");
        Assert.Single(Session.Host.Capture.Prompts);
        Assert.Empty(declined.Errors);
        Assert.Single(RunClean("Get-AutopilotConnection").Output);

        var whatIf = RunClean("Remove-AutopilotConnection -Name Keep -WhatIf -Force");
        Assert.Contains(whatIf.WhatIf, l => l.Contains("Keep"));
        Assert.Single(RunClean("Get-AutopilotConnection").Output);
        Assert.Single(Directory.GetFiles(SecretsFolder, "*.bin"));
    }

    [Fact]
    public void Remove_warns_about_saved_exports_using_the_connection()
    {
        CreateConnection("Emu");
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP");
        var r = RunClean("Remove-AutopilotConnection Emu -Force");
        Assert.Contains(r.Warnings, w => w.Contains("'Nightly'") && w.Contains("Emu"));
    }

    [Fact]
    public void Tab_completion_offers_connection_names()
    {
        CreateConnection("Prod-EU");
        CreateConnection("Prod US");
        CreateConnection("Staging");
        var matches = Complete("Get-AutopilotConnection -Name Pro");
        Assert.Equal(new[] { "'Prod US'", "Prod-EU" }, matches); // sorted ordinally, case-insensitive: space before hyphen
        Assert.Equal(new[] { "Staging" }, Complete("Start-AutopilotExport -Connection st"));
        Assert.Equal(new[] { "'Prod US'", "Prod-EU", "Staging" }, Complete("Test-AutopilotConnection "));
        Assert.Equal(new[] { "Staging" }, Complete("New-AutopilotExport -Name x -Connection Sta"));
    }

    [Fact]
    public void Tab_completion_offers_export_names()
    {
        CreateConnection("Emu");
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP; $null = New-AutopilotExport -Name Weekly -Connection Emu -Segment VIP");
        Assert.Equal(new[] { "Nightly" }, Complete("Start-AutopilotExport -Name ni"));
        Assert.Equal(new[] { "Nightly", "Weekly" }, Complete("Set-AutopilotFieldMap -Export "));
        Assert.Equal(new[] { "Weekly" }, Complete("Remove-AutopilotExport W"));
    }

    private string[] Complete(string input)
    {
        Session.SetVariable("CompletionInput", input);
        var r = RunClean("(TabExpansion2 -inputScript $CompletionInput -cursorColumn $CompletionInput.Length).CompletionMatches | ForEach-Object { $_.CompletionText }");
        return r.Output.Select(o => o.ToString()).ToArray();
    }
}
