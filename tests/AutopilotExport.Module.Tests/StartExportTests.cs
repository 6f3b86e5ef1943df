using System.Management.Automation;
using AutopilotEmulator;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>Start-AutopilotExport end to end against the emulator, with exact assertions on what it stored.</summary>
public sealed class StartExportTests : ModuleTestBase
{
    private const string Suffix = ",AutopilotExport.Commands.StartAutopilotExportCommand";

    public StartExportTests(EmulatorFixture emulator) : base(emulator)
    {
        CreateConnection("Emu");
    }

    private static object? Prop(PSObject o, string name) => o.Properties[name]?.Value is PSObject p ? p.BaseObject : o.Properties[name]?.Value;

    private static PSObject ResultOf(RunResult r) =>
        Assert.Single(r.Output, o => o.BaseObject.GetType().FullName == "AutopilotExport.AutopilotExportResult");

    private static void AssertCounts(PSObject result, long received, long exported, long invalid, long duplicate, long failed)
    {
        Assert.Equal(
            new { Received = received, Exported = exported, Invalid = invalid, Duplicate = duplicate, Failed = failed },
            new
            {
                Received = (long)Prop(result, "Received")!, Exported = (long)Prop(result, "Exported")!, Invalid = (long)Prop(result, "Invalid")!,
                Duplicate = (long)Prop(result, "Duplicate")!, Failed = (long)Prop(result, "Failed")!,
            });
    }

    private object[] Rows(string variable = "rows") => ((object[])Session.GetVariable(variable)!);

    private long Posts() => Emulator.Stats().Requests.Where(r => r.Route.StartsWith("POST ", StringComparison.Ordinal)).Sum(r => r.Count);

    [Fact]
    public void Exports_mapped_rows_and_reports_every_bad_row()
    {
        var r = Run(@"
            $rows = @(
                [pscustomobject]@{ Mail = 'ada@example.com';   GivenName = 'Ada';   Sn = 'Lovelace'; Org = 'Analytical'; Tier = 'gold';   Orders = 3 }
                [pscustomobject]@{ Mail = 'grace@example.com'; GivenName = 'Grace'; Sn = 'Hopper';   Org = 'Navy';       Tier = 'silver'; Orders = '12' }
                [pscustomobject]@{ Mail = 'not-an-email';      GivenName = 'Bad' }
                [pscustomobject]@{ Mail = '';                  GivenName = 'Empty' }
                [pscustomobject]@{ Mail = 'ADA@example.com';   GivenName = 'Dup' }
                $null
            )
            $global:rows = $rows
            $rows | Start-AutopilotExport -Connection Emu -Segment 'VIP Customers' -FieldMap @{
                Email = 'Mail'; FirstName = 'GivenName'; LastName = 'Sn'; Company = 'Org'
                Custom = @{ 'Loyalty Tier' = 'Tier'; 'Order Count' = @{ Property = 'Orders'; Type = 'integer' } }
            }
            [object]::ReferenceEquals($global:AutopilotLastExportResult, $null)");
        Assert.Null(r.Thrown);

        var result = ResultOf(r);
        AssertCounts(result, received: 6, exported: 2, invalid: 3, duplicate: 1, failed: 0);
        Assert.Equal("CompletedWithErrors", Prop(result, "Status"));
        Assert.Equal("Emu", Prop(result, "Connection"));
        Assert.Equal(new[] { "VIP Customers" }, (string[])Prop(result, "Segments")!);
        Assert.Equal(1L, Prop(result, "Batches"));
        Assert.Null(Prop(result, "ErrorMessage"));
        Assert.Equal(false, r.Output.Last().BaseObject); // $global:AutopilotLastExportResult was set

        // The emulator holds exactly the two good contacts, mapped and typed, on the list named by the segment.
        var listId = ListId("VIP Customers");
        Assert.NotNull(listId);
        var contacts = Emulator.Contacts();
        Assert.Equal(new[] { "ada@example.com", "grace@example.com" }, contacts.Select(c => c.Email.ToLowerInvariant()).OrderBy(e => e));
        var ada = Emulator.Contact("ada@example.com")!;
        Assert.Equal("Ada", ada["FirstName"]);
        Assert.Equal("Lovelace", ada["LastName"]);
        Assert.Equal("Analytical", ada["Company"]);
        Assert.Equal("gold", ada.Custom["string--Loyalty--Tier"]);
        Assert.Equal(3L, Convert.ToInt64(ada.Custom["integer--Order--Count"]));
        Assert.IsNotType<string>(ada.Custom["integer--Order--Count"]);
        Assert.Equal(new[] { listId }, ada.Lists);
        var grace = Emulator.Contact("grace@example.com")!;
        Assert.Equal("Hopper", grace["LastName"]);
        Assert.Equal(12L, Convert.ToInt64(grace.Custom["integer--Order--Count"]));
        Assert.Equal(2, Emulator.CustomFields().Count);

        var segment = PSObject.AsPSObject(((Array)Prop(result, "SegmentDetails")!).GetValue(0)!);
        Assert.Equal("VIP Customers", Prop(segment, "Segment"));
        Assert.Equal(listId, Prop(segment, "ListId"));
        Assert.Equal(true, Prop(segment, "ListCreated"));
        Assert.Equal(2L, Prop(segment, "Profiles"));
        Assert.Equal(2L, Prop(segment, "Exported"));

        // One non-terminating error per bad row, with the input row as its target.
        var rows = Rows();
        Assert.Equal(4, r.Errors.Count);
        var byId = r.Errors.ToDictionary(e => e.FullyQualifiedErrorId);
        Assert.Equal(new[] { "DuplicateEmail" + Suffix, "InvalidEmail" + Suffix, "MissingEmail" + Suffix, "NullRow" + Suffix }, byId.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Same(rows[2], byId["InvalidEmail" + Suffix].TargetObject);
        Assert.Same(rows[3], byId["MissingEmail" + Suffix].TargetObject);
        Assert.Same(rows[4], byId["DuplicateEmail" + Suffix].TargetObject);
        Assert.Null(byId["NullRow" + Suffix].TargetObject);
        Assert.All(r.Errors, e => Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category));
        Assert.Contains("not-an-email", byId["InvalidEmail" + Suffix].Exception.Message);

        // The row report lands in the state folder.
        var report = (string)Prop(result, "ReportPath")!;
        Assert.StartsWith(Path.Combine(StateHome, "reports", "adhoc-"), report);
        Assert.EndsWith(".jsonl", report);
        Assert.True(File.Exists(report));
    }

    [Fact]
    public void Hashtable_and_dictionary_rows_are_read_case_insensitively()
    {
        var r = Run(@"
            $d = [System.Collections.Generic.Dictionary[string,object]]::new()
            $d['MAIL'] = 'dict@example.com'; $d['org'] = 'DictCo'
            @(
                @{ Mail = 'hash@example.com'; Org = 'HashCo'; Orders = 7 }
                [ordered]@{ mail = 'ordered@example.com'; ORG = 'OrderedCo' }
                $d
            ) | Start-AutopilotExport -Connection Emu -Segment Hashes -FieldMap @{ Email = 'mail'; Company = 'ORG'; Custom = @{ Orders = 'orders' } }");
        Assert.Empty(r.Errors);
        AssertCounts(ResultOf(r), 3, 3, 0, 0, 0);
        Assert.Equal("HashCo", Emulator.Contact("hash@example.com")!["Company"]);
        Assert.Equal(7L, Convert.ToInt64(Emulator.Contact("hash@example.com")!.Custom["integer--Orders"]));
        Assert.Equal("OrderedCo", Emulator.Contact("ordered@example.com")!["Company"]);
        Assert.Equal("DictCo", Emulator.Contact("dict@example.com")!["Company"]);
        Assert.All(Emulator.Contacts(), c => Assert.Equal(new[] { ListId("Hashes") }, c.Lists));
    }

    [Fact]
    public void Without_a_field_map_common_property_names_are_matched()
    {
        var r = Run(@"
            $t = [System.Data.DataTable]::new()
            $null = $t.Columns.Add('EmailAddress'); $null = $t.Columns.Add('GivenName'); $null = $t.Columns.Add('sn')
            $row = $t.NewRow(); $row['EmailAddress'] = 'sql@example.com'; $row['GivenName'] = 'Sequel'; $row['sn'] = 'Row'; $t.Rows.Add($row)
            @(
                [pscustomobject]@{ Email = 'e1@example.com'; FirstName = 'Eve'; LastName = 'One' }
                [pscustomobject]@{ EmailAddress = 'e2@example.com'; GivenName = 'Fay'; Surname = 'Two' }
                [pscustomobject]@{ Mail = 'e3@example.com'; GivenName = 'Gus'; sn = 'Three' }
                [pscustomobject]@{ UserPrincipalName = 'e4@example.com'; FirstName = 'Hal' }
                [pscustomobject]@{ UserPrincipalName = 'CORP\nobody'; GivenName = 'NoMail' }
                $t.Rows[0]
            ) | Start-AutopilotExport -Connection Emu -Segment Auto -Verbose");
        AssertCounts(ResultOf(r), 6, 5, 1, 0, 0);
        Assert.Equal("MissingEmail" + Suffix, Assert.Single(r.Errors).FullyQualifiedErrorId);
        Assert.Equal(("Eve", "One"), (Emulator.Contact("e1@example.com")!["FirstName"], Emulator.Contact("e1@example.com")!["LastName"]));
        Assert.Equal(("Fay", "Two"), (Emulator.Contact("e2@example.com")!["FirstName"], Emulator.Contact("e2@example.com")!["LastName"]));
        Assert.Equal(("Gus", "Three"), (Emulator.Contact("e3@example.com")!["FirstName"], Emulator.Contact("e3@example.com")!["LastName"]));
        Assert.Equal("Hal", Emulator.Contact("e4@example.com")!["FirstName"]);
        Assert.Null(Emulator.Contact("e4@example.com")!["LastName"]);
        Assert.Equal(("Sequel", "Row"), (Emulator.Contact("sql@example.com")!["FirstName"], Emulator.Contact("sql@example.com")!["LastName"]));
        Assert.Contains(r.Verbose, v => v.Contains("automatic", StringComparison.OrdinalIgnoreCase) || v.Contains("matched", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void SegmentProperty_sends_each_row_to_its_own_list()
    {
        var r = Run(@"
            @(
                [pscustomobject]@{ Email = 'r1@example.com'; Team = 'Red' }
                [pscustomobject]@{ Email = 'b1@example.com'; Team = 'Blue' }
                [pscustomobject]@{ Email = 'r2@example.com'; Team = 'Red' }
                [pscustomobject]@{ Email = 'n1@example.com'; Team = '' }
            ) | Start-AutopilotExport -Connection Emu -Segment Fallback -SegmentProperty Team");
        Assert.Empty(r.Errors);
        var result = ResultOf(r);
        AssertCounts(result, 4, 4, 0, 0, 0);
        string[] Members(string title) => Emulator.Contacts().Where(c => c.Lists.Contains(ListId(title)!)).Select(c => c.Email).OrderBy(e => e).ToArray();
        Assert.Equal(new[] { "r1@example.com", "r2@example.com" }, Members("Red"));
        Assert.Equal(new[] { "b1@example.com" }, Members("Blue"));
        Assert.Equal(new[] { "n1@example.com" }, Members("Fallback"));
        var details = ((Array)Prop(result, "SegmentDetails")!).Cast<object>().Select(PSObject.AsPSObject)
            .ToDictionary(s => (string)Prop(s, "Segment")!, s => (long)Prop(s, "Exported")!);
        Assert.Equal(2L, details["Red"]);
        Assert.Equal(1L, details["Blue"]);
        Assert.Equal(1L, details["Fallback"]);

        // Without -Segment, a row with no segment of its own is an error.
        var only = Run(@"@([pscustomobject]@{ Email = 'x1@example.com'; Team = 'Red' }, [pscustomobject]@{ Email = 'x2@example.com' }) |
            Start-AutopilotExport -Connection Emu -SegmentProperty Team");
        Assert.Equal("MissingSegment" + Suffix, Assert.Single(only.Errors).FullyQualifiedErrorId);
        AssertCounts(ResultOf(only), 2, 1, 1, 0, 0);
    }

    [Fact]
    public void WhatIf_sends_nothing_and_says_what_would_happen()
    {
        var existingId = Emulator.CreateList("Existing");

        var r = Run(@"
            @(
                [pscustomobject]@{ Email = 'w1@example.com' }
                [pscustomobject]@{ Email = 'w2@example.com' }
                [pscustomobject]@{ Email = 'w3@example.com' }
                [pscustomobject]@{ Email = 'broken' }
            ) | Start-AutopilotExport -Connection Emu -Segment Existing, 'Brand New' -WhatIf");
        Assert.Null(r.Thrown);
        Assert.Empty(r.Output);
        Assert.Empty(Emulator.Contacts());
        Assert.Equal(0, Posts());
        Assert.Equal(new[] { existingId }, Emulator.Lists().Select(l => l.ListId));
        Assert.Contains("What if: Export 3 profiles to list 'Existing' (exists)", r.WhatIf);
        Assert.Contains("What if: Export 3 profiles to list 'Brand New' (will be created)", r.WhatIf);
        Assert.Equal("InvalidEmail" + Suffix, Assert.Single(r.Errors).FullyQualifiedErrorId);
        Assert.Empty(Directory.Exists(Path.Combine(StateHome, "reports")) ? Directory.GetFiles(Path.Combine(StateHome, "reports")) : Array.Empty<string>());
    }

    [Fact]
    public void Declined_confirmation_processes_nothing()
    {
        Session.Host.Capture.ChoiceAnswers.Enqueue(2); // [Y] Yes [A] Yes to All [N] No
        var r = Run("@([pscustomobject]@{ Email = 'c1@example.com' }) | Start-AutopilotExport -Connection Emu -Segment VIP -Confirm");
        Assert.Single(Session.Host.Capture.Prompts);
        Assert.Empty(r.Output);
        Assert.Empty(r.Errors);
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }

    [Fact]
    public void MaxProfiles_caps_what_is_sent()
    {
        var r = Run(@"
            $global:rows = 1..5 | ForEach-Object { [pscustomobject]@{ Email = ""cap$_@example.com"" } }
            $rows | Start-AutopilotExport -Connection Emu -Segment Capped -MaxProfiles 3");
        var result = ResultOf(r);
        AssertCounts(result, 5, 3, 0, 0, 2);
        Assert.Equal("CompletedWithErrors", Prop(result, "Status"));
        Assert.Equal(new[] { "cap1@example.com", "cap2@example.com", "cap3@example.com" }, Emulator.Contacts().Select(c => c.Email).OrderBy(e => e));
        var error = Assert.Single(r.Errors);
        Assert.Equal("ProfileLimitExceeded" + Suffix, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.LimitsExceeded, error.CategoryInfo.Category);
        Assert.Same(Rows()[3], error.TargetObject);
    }

    [Fact]
    public void Wrong_key_ends_with_a_Failed_result_one_Unauthorized_error_and_no_request_storm()
    {
        Session.SetVariable("WrongKey", ModuleSession.Secure("sk-WRONG-0a1b2c3d4e"));
        RunClean("$null = New-AutopilotConnection -Name Bad -ApiKey $WrongKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation");
        Emulator.Reset();

        // The scheduled-script form: the assignment gets the result although the run failed as a whole.
        var r = Run(@"
            $r = 1..500 | ForEach-Object { [pscustomobject]@{ Email = ""u$_@example.com"" } } | Start-AutopilotExport -Connection Bad -Segment VIP
            $r
            $global:AutopilotLastExportResult");
        Assert.Null(r.Thrown);
        var error = Assert.Single(r.Errors); // the run's one error, no per-row error storm
        Assert.Equal("Unauthorized" + Suffix, error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);

        var results = r.Output.Where(o => o.BaseObject.GetType().FullName == "AutopilotExport.AutopilotExportResult").ToList();
        Assert.Equal(2, results.Count); // in $r, and in $global:AutopilotLastExportResult
        Assert.Same(results[0].BaseObject, results[1].BaseObject);
        Assert.Same(results[0].BaseObject, error.TargetObject);
        Assert.Equal("Failed", Prop(results[0], "Status"));
        Assert.Equal("Unauthorized", Prop(results[0], "ErrorId"));
        Assert.Equal(0L, Prop(results[0], "Exported"));
        Assert.False(string.IsNullOrEmpty((string?)Prop(results[0], "ErrorMessage")));

        Assert.Empty(Emulator.Contacts());
        var stats = Emulator.Stats();
        Assert.InRange(stats.TotalRequests, 1, 5); // the first 401 stops the run: at most one per sender, none after it
        Assert.Equal(stats.TotalRequests, stats.Requests.Where(x => x.Status == 401).Sum(x => x.Count));
        Assert.DoesNotContain("sk-WRONG-0a1b2c3d4e", r.AllText());

        // -ErrorAction Stop makes the same error terminating, after the result was written.
        Emulator.Reset();
        var stopped = Run(@"try { 1..500 | ForEach-Object { [pscustomobject]@{ Email = ""u$_@example.com"" } } | Start-AutopilotExport -Connection Bad -Segment VIP -ErrorAction Stop; 'not stopped' } catch { $_ }");
        Assert.Same(Assert.Single(stopped.Output, ExportResults.IsResult).BaseObject, ExportResults.StoppedRun(stopped, "Unauthorized").TargetObject);
        Assert.InRange(Emulator.Stats().TotalRequests, 1, 5);
    }

    [Fact]
    public void Injected_faults_are_retried_and_every_contact_lands_exactly_once()
    {
        Emulator.SetFaults(new FaultProfile
        {
            Error500Rate = 0.12, Error503Rate = 0.04, ResetRate = 0.08, AcceptThenFailRate = 0.08, MalformedRate = 0.08,
            RetryAfterSeconds = 1, Paths = new[] { "/v1/contacts" },
        });
        var r = Run(@"1..250 | ForEach-Object { [pscustomobject]@{ Email = ""f$_@example.com""; FirstName = ""F$_"" } } |
            Start-AutopilotExport -Connection Emu -Segment Faulty -Concurrency 4");
        Assert.Empty(r.Errors);
        var result = ResultOf(r);
        AssertCounts(result, 250, 250, 0, 0, 0);
        Assert.Equal("Succeeded", Prop(result, "Status"));

        var contacts = Emulator.Contacts();
        Assert.Equal(250, contacts.Count);
        Assert.Equal(Enumerable.Range(1, 250).Select(i => $"f{i}@example.com").OrderBy(e => e), contacts.Select(c => c.Email).OrderBy(e => e));
        var listId = ListId("Faulty");
        Assert.All(contacts, c => Assert.Equal(new[] { listId }, c.Lists));
        Assert.All(contacts, c => Assert.Equal("F" + c.Email.Substring(1, c.Email.IndexOf('@') - 1), c["FirstName"]));
        Assert.Single(Emulator.Lists());
        var stats = Emulator.Stats();
        if (stats.FaultsInjected.Total > 0) Assert.True((long)Prop(result, "Retries")! > 0);
    }

    [Fact]
    public void Saved_export_runs_by_name_and_records_its_last_run()
    {
        RunClean("$null = New-AutopilotExport -Name Nightly -Connection Emu -Segment Saved -FieldMap @{ Email = 'Mail'; FirstName = 'Given' } -MaxProfiles 10");
        var start = DateTimeOffset.Now.AddSeconds(-1);
        var r = Run("@([pscustomobject]@{ Mail = 's1@example.com'; Given = 'Sam' }, [pscustomobject]@{ Mail = 's2@example.com'; Given = 'Sue' }) | Start-AutopilotExport Nightly");
        Assert.Empty(r.Errors);
        var result = ResultOf(r);
        Assert.Equal("Nightly", Prop(result, "Export"));
        Assert.Equal("Succeeded", Prop(result, "Status"));
        AssertCounts(result, 2, 2, 0, 0, 0);
        Assert.Equal("Sam", Emulator.Contact("s1@example.com")!["FirstName"]);
        Assert.StartsWith(Path.Combine(StateHome, "reports", "Nightly-"), (string)Prop(result, "ReportPath")!);

        var saved = RunClean("Get-AutopilotExport Nightly").Output.Single();
        Assert.Equal("Succeeded", Prop(saved, "LastRunStatus"));
        Assert.InRange((DateTimeOffset)Prop(saved, "LastRunAt")!, start, DateTimeOffset.Now.AddSeconds(1));

        // Parameters override the saved definition for one run.
        var capped = Run("1..3 | ForEach-Object { [pscustomobject]@{ Mail = \"o$_@example.com\" } } | Start-AutopilotExport -Name Nightly -MaxProfiles 1");
        AssertCounts(ResultOf(capped), 3, 1, 0, 0, 2);
        Assert.Equal("CompletedWithErrors", Prop(RunClean("Get-AutopilotExport Nightly").Output.Single(), "LastRunStatus"));

        var missing = Run("Start-AutopilotExport -Name Nope");
        var (notFound, notFoundError) = ExportResults.FailedRun(missing, "ExportNotFound");
        Assert.Single(missing.Errors);
        Assert.Equal(("Nope", 0L), ((string)Prop(notFound, "Export")!, (long)Prop(notFound, "Received")!));
        Assert.Equal("Nope", notFoundError.TargetObject);
        ExportResults.StoppedRun(Run("try { Start-AutopilotExport -Name Nope -ErrorAction Stop; 'not stopped' } catch { $_ }"), "ExportNotFound");
    }

    [Fact]
    public void ReportPath_is_resolved_against_the_current_location()
    {
        var dir = Path.Combine(Path.GetDirectoryName(StateHome)!, "work");
        Directory.CreateDirectory(dir);
        Session.SetVariable("WorkDir", dir);
        var r = Run(@"$null = $ExecutionContext.SessionState.Path.SetLocation($WorkDir)
            @([pscustomobject]@{ Email = 'rp1@example.com' }, [pscustomobject]@{ Email = 'nope' }) |
                Start-AutopilotExport -Connection Emu -Segment Reported -ReportPath 'out/run.jsonl' -ErrorAction SilentlyContinue");
        var report = Path.Combine(dir, "out", "run.jsonl");
        Assert.Equal(report, Prop(ResultOf(r), "ReportPath"));
        var lines = File.ReadAllLines(report);
        Assert.Contains(lines, l => l.Contains("\"errorId\":\"InvalidEmail\"") && l.Contains("\"row\":2"));

        Emulator.Reset();
        var bad = Run("@{ Email = 'a@example.com' } | Start-AutopilotExport -Connection Emu -Segment VIP -ReportPath 'Env:/report.jsonl'");
        var (unavailable, _) = ExportResults.FailedRun(bad, "ReportPathUnavailable");
        Assert.Single(bad.Errors);
        Assert.Equal((0L, (string?)null), ((long)Prop(unavailable, "Received")!, (string?)Prop(unavailable, "ReportPath")));
        ExportResults.StoppedRun(Run("try { @{ Email = 'a@example.com' } | Start-AutopilotExport -Connection Emu -Segment VIP -ReportPath 'Env:/report.jsonl' -ErrorAction Stop; 'not stopped' } catch { $_ }"), "ReportPathUnavailable");
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }

    [Fact]
    public void InputObject_parameter_and_no_input_at_all()
    {
        var r = Run("$rows = @([pscustomobject]@{ Email = 'i1@example.com' }, [pscustomobject]@{ Email = 'i2@example.com' }); Start-AutopilotExport -Connection Emu -Segment Direct -InputObject $rows");
        AssertCounts(ResultOf(r), 2, 2, 0, 0, 0);

        // A forgotten pipe: no row at all is NoInput (issue 12), not a silent Succeeded, and a warning says so.
        var none = Run("Start-AutopilotExport -Connection Emu -Segment Direct");
        Assert.Empty(none.Errors);
        var result = ResultOf(none);
        AssertCounts(result, 0, 0, 0, 0, 0);
        Assert.Equal("NoInput", Prop(result, "Status"));
        Assert.StartsWith("No input came in", Assert.Single(none.Warnings));
    }

    [Fact]
    public void Missing_connection_segment_or_a_bad_field_map_gives_a_Failed_result_and_one_error()
    {
        void Fails(string command, string errorId)
        {
            var r = Run($"$r = @{{ Email = 'a@example.com' }} | {command}; $r");
            var (result, _) = ExportResults.FailedRun(r, errorId);
            Assert.Single(r.Errors);
            Assert.Equal(0L, (long)Prop(result, "Received")!);
            ExportResults.StoppedRun(Run($"try {{ @{{ Email = 'a@example.com' }} | {command} -ErrorAction Stop; 'not stopped' }} catch {{ $_ }}"), errorId);
        }
        Fails("Start-AutopilotExport -Connection Nope -Segment VIP", "ConnectionNotFound");
        Fails("Start-AutopilotExport -Connection Emu", "SegmentRequired");
        Fails("Start-AutopilotExport -Connection Emu -Segment VIP -FieldMap @{ Mail = 'Email' }", "InvalidFieldMap");
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }
}
