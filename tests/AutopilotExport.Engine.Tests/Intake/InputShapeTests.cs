using System.Collections;
using System.Text.Json;
using AutopilotEmulator;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Intake;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Intake;

/// <summary>Input that is not profiles (files, plain values) and input that is empty: said once, early, and in the status.</summary>
public class InputShapeTests : IAsyncLifetime
{
    private const string Key = "shape-test-key";
    private EmulatorHost _emu = null!;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "ap-shape-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 0, Seed = 3 });
    }

    public async Task DisposeAsync()
    {
        await _emu.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>What Get-ChildItem gives: a file, with many properties and none of them an address.</summary>
    private static TestRecord File(int i) => new(("PSPath", $"FileSystem::/tmp/f{i}"), ("Name", $"f{i}.txt"), ("Length", 10L * i), ("DirectoryName", "/tmp"),
        ("IsReadOnly", false), ("Exists", true), ("FullName", $"/tmp/f{i}.txt"), ("Extension", ".txt"), ("CreationTime", DateTime.UnixEpoch), ("Mode", "-a---"));

    private static FieldMap MailMap() => FieldMap.FromDictionary(new Hashtable { ["Email"] = "mail", ["FirstName"] = "GivenName" });

    [Fact]
    public void A_header_with_surrounding_spaces_is_an_email_property_as_the_mapper_reads_it()
    {
        // Import-Csv of a header " Email ,First Name": the mapper matches ' Email ' to Email, so the input is profiles.
        var auto = new InputShape(null);
        Assert.Null(auto.Look(new TestRecord((" Email ", "a@example.com"), ("First Name", "A"))));
        Assert.True(auto.Decided);
        var mapped = new InputShape(MailMap());
        Assert.Null(mapped.Look(new TestRecord(("mail  ", "a@example.com"))));
        Assert.True(mapped.Decided);
        Assert.Null(mapped.Finish());
    }

    [Fact]
    public void Files_get_one_warning_at_the_third_row_naming_the_expected_and_the_found_properties()
    {
        var shape = new InputShape(null);
        Assert.Null(shape.Look(File(1)));
        Assert.Null(shape.Look(File(2)));
        var warning = shape.Look(File(3));
        Assert.Equal("The input does not look like profiles: the first 3 rows have no property the email address can come from " +
            "(Email, EmailAddress, Mail or UserPrincipalName); properties found: PSPath, Name, Length, DirectoryName, IsReadOnly, Exists, FullName, Extension (2 more). " +
            "Pipe in objects with one of those properties, or map the property that holds the address as Email.", warning);
        Assert.True(shape.Decided);
        Assert.Null(shape.Look(File(4)));
        Assert.Null(shape.Finish());
    }

    [Fact]
    public void With_a_field_map_it_names_the_mapped_email_property()
    {
        // Directory users fetched without their mail property: GivenName is there, the address is not.
        var shape = new InputShape(MailMap());
        var user = new TestRecord(("SamAccountName", "jdoe"), ("GivenName", "Jane"), ("UserPrincipalName", "jdoe@corp.example"));
        Assert.Null(shape.Look(user));
        Assert.Null(shape.Look(user));
        Assert.Equal("The input does not look like profiles: the first 3 rows have no property 'mail' (where the field map reads the email address); " +
            "properties found: SamAccountName, GivenName, UserPrincipalName. Check that the rows carry that property, or map the property that holds the address as Email.",
            shape.Look(user));
    }

    [Fact]
    public void A_row_with_an_email_property_even_an_empty_one_settles_it_for_good()
    {
        var shape = new InputShape(null);
        Assert.Null(shape.Look(File(1)));
        Assert.Null(shape.Look(new TestRecord(("Mail", ""), ("Name", "x")))); // an empty cell is a profile row with a gap
        Assert.True(shape.Decided);
        Assert.Null(shape.Look(File(2)));
        Assert.Null(shape.Look(File(3)));
        Assert.Null(shape.Finish());
    }

    [Fact]
    public void Null_rows_do_not_count_and_a_short_input_is_told_at_its_end()
    {
        var shape = new InputShape(null);
        Assert.Null(shape.Finish()); // no row at all: that is the empty-input warning's business
        Assert.Null(shape.Look(null));
        Assert.Null(shape.Look(new TestRecord()));
        Assert.Null(shape.Look(null));
        Assert.Equal("The input does not look like profiles: the first row has no property the email address can come from " +
            "(Email, EmailAddress, Mail or UserPrincipalName); they have no properties at all (plain values such as text or numbers?). " +
            "Pipe in objects with one of those properties, or map the property that holds the address as Email.", shape.Finish());
        Assert.Null(shape.Finish());
    }

    private ExportRunner Runner(FieldMap? map, string? report = null) => new(new AutopilotApiClient(_emu.BaseUri, Key), new ExportRunOptions
    {
        ExportName = "shape",
        Segments = new[] { "VIP" },
        FieldMap = map,
        RequestsPerSecond = 0,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        ReportPath = report,
    });

    [Fact]
    public void A_run_of_files_warns_once_as_soon_as_the_third_row_is_in_and_still_reports_every_row()
    {
        using var runner = Runner(null);
        var events = new List<RunEvent>();
        for (int i = 1; i <= 3; i++)
        {
            runner.Submit(File(i), "file" + i, events.Add);
            Assert.Equal(i == 3 ? 1 : 0, events.OfType<WarningEvent>().Count()); // early: with the third row, not at the end
        }
        for (int i = 4; i <= 40; i++) runner.Submit(File(i), "file" + i, events.Add);
        var summary = runner.Complete(events.Add);

        var warning = Assert.Single(events.OfType<WarningEvent>());
        Assert.StartsWith("The input does not look like profiles: the first 3 rows have no property", warning.Message);
        var problems = events.OfType<RowProblemEvent>().ToList();
        Assert.Equal(40, problems.Count); // each row is still its own error, with its own input as the tag
        Assert.All(problems, p => Assert.Equal(ErrorIds.MissingEmail, p.ErrorId));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => "file" + i), problems.Select(p => (string)p.Tag!));
        Assert.Equal((ExportStatus.CompletedWithErrors, 40L, 40L), (summary.Status, summary.Counters.Received, summary.Counters.Invalid));
        Assert.Equal(0, _emu.Stats().TotalRequests);
    }

    [Fact]
    public void Profiles_get_no_shape_warning_and_no_input_warning()
    {
        using var runner = Runner(MailMap());
        var events = new List<RunEvent>();
        runner.Submit(new TestRecord(("mail", "")), "blank", events.Add);
        for (int i = 1; i <= 5; i++) runner.Submit(new TestRecord(("mail", $"p{i}@example.com"), ("GivenName", "P")), "p" + i, events.Add);
        var summary = runner.Complete(events.Add);

        Assert.Empty(events.OfType<WarningEvent>());
        Assert.Equal((ExportStatus.CompletedWithErrors, 6L, 5L, 1L), (summary.Status, summary.Counters.Received, summary.Counters.Exported, summary.Counters.Invalid));
        Assert.Equal(5, _emu.Contacts().Count);
    }

    [Fact]
    public void An_empty_input_is_NoInput_with_one_warning_in_the_events_and_the_report()
    {
        var report = Path.Combine(_folder, "empty.jsonl");
        using var runner = Runner(null, report);
        var events = new List<RunEvent>();
        var summary = runner.Complete(events.Add);

        Assert.Equal(ExportStatus.NoInput, summary.Status);
        Assert.Equal((0L, 0L, 0L, 0L, 0L), (summary.Counters.Received, summary.Counters.Exported, summary.Counters.Invalid, summary.Counters.Duplicate, summary.Counters.Failed));
        Assert.Null(summary.FatalErrorId);
        var warning = Assert.Single(events.OfType<WarningEvent>());
        Assert.Equal("No input came in (an empty file, or nothing piped in?): there was nothing to export, and nothing was sent.", warning.Message);
        Assert.Empty(events.OfType<RowProblemEvent>());
        Assert.Equal(0, _emu.Stats().TotalRequests);
        using var line = JsonDocument.Parse(Assert.Single(System.IO.File.ReadAllLines(report)));
        Assert.Equal("NoInput", line.RootElement.GetProperty("summary").GetProperty("status").GetString());
    }

    [Fact]
    public void A_run_cancelled_before_any_input_is_Cancelled_not_NoInput_and_says_nothing_about_input()
    {
        using var runner = Runner(null);
        var events = new List<RunEvent>();
        runner.Cancel();
        var summary = runner.Complete(events.Add);
        Assert.Equal(ExportStatus.Cancelled, summary.Status);
        Assert.Empty(events.OfType<WarningEvent>());
    }

    [Fact]
    public void A_WhatIf_run_without_input_is_NoInput_too()
    {
        using var runner = new ExportRunner(new AutopilotApiClient(_emu.BaseUri, Key), new ExportRunOptions { Segments = new[] { "VIP" }, DryRun = true, RequestsPerSecond = 0 });
        var events = new List<RunEvent>();
        var summary = runner.Complete(events.Add);
        Assert.Equal((ExportStatus.NoInput, true), (summary.Status, summary.DryRun));
        Assert.Single(events.OfType<WarningEvent>());
        Assert.Equal(0, _emu.Stats().TotalRequests);
    }
}
