using System.Collections;
using System.Management.Automation;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

public sealed class ExportCommandTests : ModuleTestBase
{
    public ExportCommandTests(EmulatorFixture emulator) : base(emulator) { }

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value is PSObject p ? p.BaseObject : o.Properties[name]?.Value;

    [Fact]
    public void New_saves_a_definition_and_Get_returns_it()
    {
        CreateConnection("Emu");
        var before = DateTimeOffset.Now.AddSeconds(-1);
        var created = RunClean(@"New-AutopilotExport -Name Nightly -Connection emu -Segment 'VIP Customers', Newsletter -SegmentProperty Tier -MaxProfiles 5000 `
            -FieldMap @{ Email = 'Mail'; FirstName = 'GivenName'; Company = 'Org'; Custom = @{ 'Loyalty Tier' = 'Tier'; 'Order Count' = @{ Property = 'Orders'; Type = 'integer' } } }").Output.Single();
        Assert.Equal("AutopilotExport.AutopilotExportDefinition", created.BaseObject.GetType().FullName);
        Assert.Equal("Nightly", Prop(created, "Name"));
        Assert.Equal("Emu", Prop(created, "Connection")); // the connection's own spelling
        Assert.Equal(new[] { "VIP Customers", "Newsletter" }, (string[])Prop(created, "Segments")!);
        Assert.Equal("Tier", Prop(created, "SegmentProperty"));
        Assert.Equal(5000, Prop(created, "MaxProfiles"));
        Assert.InRange((DateTimeOffset)Prop(created, "CreatedAt")!, before, DateTimeOffset.Now.AddSeconds(1));
        Assert.Null(Prop(created, "LastRunAt"));
        Assert.Equal(0, Emulator.Stats().TotalRequests); // saving does not run it

        var got = RunClean("Get-AutopilotExport -Name NIGHTLY").Output.Single();
        var map = PSObject.AsPSObject(Prop(got, "FieldMap")!);
        Assert.Equal("Mail", Prop(map, "Email"));
        var standard = (IDictionary)Prop(map, "Standard")!;
        Assert.Equal("GivenName", standard["FirstName"]);
        Assert.Equal("Org", standard["company"]);
        var custom = (IDictionary)Prop(map, "Custom")!;
        Assert.Equal("Tier (auto)", custom["Loyalty Tier"]);
        Assert.Equal("Orders (integer)", custom["Order Count"]);
        Assert.Equal("Email<-Mail, FirstName<-GivenName, Company<-Org, 'Loyalty Tier'<-Tier (auto), 'Order Count'<-Orders (integer)", map.BaseObject.ToString());
    }

    [Fact]
    public void New_checks_connection_name_segments_and_field_map()
    {
        CreateConnection("Emu");
        string Id(string script) => Assert.IsType<ErrorRecord>(Run($"try {{ {script} }} catch {{ $_ }}").Output.Single().BaseObject).FullyQualifiedErrorId;

        Assert.Equal("ConnectionNotFound,AutopilotExport.Commands.NewAutopilotExportCommand", Id("New-AutopilotExport -Name N -Connection Nope -Segment VIP"));
        Assert.StartsWith("SegmentRequired,", Id("New-AutopilotExport -Name N -Connection Emu"));
        Assert.StartsWith("InvalidFieldMap,", Id("New-AutopilotExport -Name N -Connection Emu -Segment VIP -FieldMap @{ Email = 'Mail'; Shoe = 'Size' }"));
        Assert.StartsWith("InvalidFieldMap,", Id("New-AutopilotExport -Name N -Connection Emu -Segment VIP -FieldMap @{ FirstName = 'GivenName' }"));
        Assert.StartsWith("InvalidName,", Id("New-AutopilotExport -Name 'N*' -Connection Emu -Segment VIP"));
        Assert.Empty(RunClean("Get-AutopilotExport").Output);

        RunClean("$null = New-AutopilotExport -Name N -Connection Emu -Segment VIP");
        Assert.StartsWith("ExportExists,", Id("New-AutopilotExport -Name n -Connection Emu -Segment Other"));
        RunClean("$null = New-AutopilotExport -Name n -Connection Emu -Segment Other -Force");
        var all = RunClean("Get-AutopilotExport").Output;
        Assert.Equal(new[] { "Other" }, (string[])Prop(Assert.Single(all), "Segments")!);

        // Only a segment property: each row names its own list.
        RunClean("$null = New-AutopilotExport -Name BySegment -Connection Emu -SegmentProperty Team");
    }

    [Fact]
    public void New_honours_WhatIf()
    {
        CreateConnection("Emu");
        var r = RunClean("New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP -WhatIf");
        Assert.Empty(r.Output);
        Assert.Contains(r.WhatIf, l => l.Contains("Nightly"));
        Assert.Empty(RunClean("Get-AutopilotExport").Output);
    }

    [Fact]
    public void Get_supports_wildcards_and_reports_missing_names()
    {
        CreateConnection("Emu");
        RunClean("'Daily-A','Daily-B','Weekly' | ForEach-Object { $null = New-AutopilotExport -Name $_ -Connection Emu -Segment VIP }");
        Assert.Equal(new[] { "Daily-A", "Daily-B" }, RunClean("Get-AutopilotExport daily*").Output.Select(o => (string)Prop(o, "Name")!));
        var r = Run("Get-AutopilotExport Weekly, Monthly");
        Assert.Equal(new[] { "Weekly" }, r.Output.Select(o => (string)Prop(o, "Name")!));
        var error = Assert.Single(r.Errors);
        Assert.Equal("ExportNotFound,AutopilotExport.Commands.GetAutopilotExportCommand", error.FullyQualifiedErrorId);
        Assert.Equal("Monthly", error.TargetObject);
    }

    [Fact]
    public void Remove_deletes_definitions()
    {
        CreateConnection("Emu");
        RunClean("'A','B','C' | ForEach-Object { $null = New-AutopilotExport -Name $_ -Connection Emu -Segment VIP }");
        RunClean("Remove-AutopilotExport -Name a -Confirm:$false");
        RunClean("Get-AutopilotExport B | Remove-AutopilotExport -Force");
        Assert.Equal(new[] { "C" }, RunClean("Get-AutopilotExport").Output.Select(o => (string)Prop(o, "Name")!));
        Assert.StartsWith("ExportNotFound,", Assert.Single(Run("Remove-AutopilotExport -Name A -Force").Errors).FullyQualifiedErrorId);
        // The connection stays.
        Assert.Single(RunClean("Get-AutopilotConnection").Output);

        Session.Host.Capture.ChoiceAnswers.Enqueue(2); // No
        Run("Remove-AutopilotExport -Name C");
        Assert.Single(RunClean("Get-AutopilotExport").Output);
    }

    [Fact]
    public void Set_AutopilotFieldMap_replaces_the_map()
    {
        CreateConnection("Emu");
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP -FieldMap @{ Email = 'Old'; LastName = 'Sn' }");
        var before = (DateTimeOffset)Prop(RunClean("Get-AutopilotExport Nightly").Output.Single(), "ModifiedAt")!;

        var none = RunClean("Set-AutopilotFieldMap -Export nightly -Email Mail -FirstName GivenName");
        Assert.Empty(none.Output); // no -PassThru

        var updated = RunClean(@"Get-AutopilotExport Nightly | Set-AutopilotFieldMap -Email Mail -FirstName GivenName -LastName Surname `
            -Field @{ company = 'Org'; Phone = 'TelephoneNumber' } -CustomField @{ 'Loyalty Tier' = 'Tier'; 'Order Count' = @{ Property = 'Orders'; Type = 'int' } } -PassThru").Output.Single();
        var map = PSObject.AsPSObject(Prop(updated, "FieldMap")!);
        Assert.Equal("Mail", Prop(map, "Email"));
        var standard = (IDictionary)Prop(map, "Standard")!;
        Assert.Equal(4, standard.Count);
        Assert.Equal("GivenName", standard["FirstName"]);
        Assert.Equal("Surname", standard["LastName"]);
        Assert.Equal("Org", standard["Company"]);
        Assert.Equal("TelephoneNumber", standard["Phone"]);
        var custom = (IDictionary)Prop(map, "Custom")!;
        Assert.Equal("Tier (auto)", custom["Loyalty Tier"]);
        Assert.Equal("Orders (integer)", custom["Order Count"]);
        Assert.True((DateTimeOffset)Prop(updated, "ModifiedAt")! >= before);

        // -Name is an alias of -Export.
        RunClean("Set-AutopilotFieldMap -Name Nightly -Email EmailAddress");
        var replaced = PSObject.AsPSObject(Prop(RunClean("Get-AutopilotExport Nightly").Output.Single(), "FieldMap")!);
        Assert.Equal("EmailAddress", Prop(replaced, "Email"));
        Assert.Empty((IDictionary)Prop(replaced, "Standard")!);
        Assert.Empty((IDictionary)Prop(replaced, "Custom")!);
    }

    [Fact]
    public void Set_AutopilotFieldMap_reports_bad_maps_and_missing_exports()
    {
        CreateConnection("Emu");
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment VIP -FieldMap @{ Email = 'Mail' }");
        var bad = Run("try { Set-AutopilotFieldMap -Export Nightly -Email Mail -Field @{ Shoe = 'Size' } } catch { $_ }");
        var error = Assert.IsType<ErrorRecord>(bad.Output.Single().BaseObject);
        Assert.StartsWith("InvalidFieldMap,", error.FullyQualifiedErrorId);
        Assert.Contains("Shoe", error.Exception.Message);
        Assert.StartsWith("InvalidFieldMap,", Assert.IsType<ErrorRecord>(Run("try { Set-AutopilotFieldMap -Export Nightly -Email Mail -CustomField @{ X = @{ Property = 'P'; Type = 'money' } } } catch { $_ }").Output.Single().BaseObject).FullyQualifiedErrorId);
        Assert.Equal("Mail", Prop(PSObject.AsPSObject(Prop(RunClean("Get-AutopilotExport Nightly").Output.Single(), "FieldMap")!), "Email"));

        var missing = Run("Set-AutopilotFieldMap -Export Nope -Email Mail");
        Assert.Equal("ExportNotFound,AutopilotExport.Commands.SetAutopilotFieldMapCommand", Assert.Single(missing.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Corrupt_state_file_is_a_clear_error_naming_the_file()
    {
        CreateConnection("Emu");
        File.WriteAllText(Path.Combine(StateHome, "exports.json"), "{ this is not json");
        var r = Run("Get-AutopilotExport");
        var error = Assert.Single(r.Errors);
        Assert.StartsWith("StateFileCorrupt,", error.FullyQualifiedErrorId);
        Assert.Contains(Path.Combine(StateHome, "exports.json"), error.Exception.Message);
    }
}
