using System.Collections;
using System.Text;
using System.Text.Json;
using AutopilotEmulator;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.Send;

namespace AutopilotExport.Engine.Tests.Export;

/// <summary>How a run ends when things go wrong: every row accounted for in counts, events and report alike.</summary>
public class RunOutcomeTests : IAsyncLifetime
{
    private const string Key = "outcome-test-key";
    private EmulatorHost _emu = null!;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "ap-outcome-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 0, Seed = 11, MaxBodyBytes = 64 * 1024 });
    }

    public async Task DisposeAsync()
    {
        await _emu.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private ExportRunner Runner(Hashtable map, Action<ExportRunOptions>? configure = null)
    {
        var o = new ExportRunOptions
        {
            ExportName = "outcome",
            Segments = new[] { "VIP" },
            FieldMap = FieldMap.FromDictionary(map),
            RequestsPerSecond = 0,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            ReportPath = Path.Combine(_folder, "report.jsonl"),
        };
        configure?.Invoke(o);
        return new ExportRunner(new AutopilotApiClient(_emu.BaseUri, Key), o);
    }

    /// <summary>Submits every row and completes; a run that has to stop ends in ExportAbortedException, whose summary is returned.</summary>
    private static ExportSummary RunAll(ExportRunner runner, IEnumerable<IRecordReader> rows, List<RunEvent> events)
    {
        try
        {
            int n = 0;
            foreach (var row in rows) runner.Submit(row, "row" + (++n), events.Add);
            return runner.Complete(events.Add);
        }
        catch (ExportAbortedException ex)
        {
            return ex.Summary;
        }
    }

    private List<JsonElement> ReportRows() =>
        File.ReadAllLines(Path.Combine(_folder, "report.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Where(e => !e.TryGetProperty("summary", out _)).ToList();

    [Fact]
    public void Every_refused_row_reaches_the_sink_in_a_paced_run_that_waits_for_channel_room()
    {
        // One sender, paced: the intake outruns it and waits for room in the channel, where events used to be
        // drained without a sink. Every 7th row is an address the API refuses.
        using var runner = Runner(new Hashtable { ["Email"] = "Mail" }, o => { o.RequestsPerSecond = 40; o.Concurrency = 1; });
        var rows = Enumerable.Range(1, 1400).Select(i => (IRecordReader)new TestRecord(("Mail", i % 7 == 0 ? $"bad{i}@example.invalid" : $"ok{i}@example.com")));
        var events = new List<RunEvent>();
        var summary = RunAll(runner, rows, events);

        Assert.Equal(ExportStatus.CompletedWithErrors, summary.Status);
        Assert.Equal((1400L, 1200L, 200L), (summary.Counters.Received, summary.Counters.Exported, summary.Counters.Failed));
        var refused = events.OfType<RowProblemEvent>().ToList();
        Assert.Equal(200, refused.Count);
        Assert.All(refused, p => Assert.Equal(ErrorIds.RejectedByApi, p.ErrorId));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => "row" + (i * 7)), refused.OrderBy(p => p.RowNumber).Select(p => (string)p.Tag!));
        Assert.Equal(refused.Select(p => p.RowNumber).OrderBy(r => r), ReportRows().Select(r => r.GetProperty("row").GetInt64()).OrderBy(r => r));
    }

    // Issue 11: these names used to reach the API (which refused every row, so the run stopped after a few
    // requests). They are now refused before the first request, as the field map's own error.
    [Theory]
    [InlineData("Loyalty\tTier")]
    [InlineData("Loyalty\u00A0Tier")]
    public async Task A_custom_field_name_the_API_would_refuse_is_refused_before_the_first_request(string fieldName)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Runner(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { [fieldName] = "Tier" } }, o => o.Concurrency = 2));
        Assert.Contains("cannot be used", ex.Message);
        Assert.Contains("Loyalty\\u00", ex.Message);
        Assert.Equal(0, (await EmulatorView.RequestsAsync(_emu)).Sum("POST /v1/contacts"));
    }

    [Fact]
    public async Task A_custom_field_sent_with_another_type_than_it_was_created_with_stops_the_run()
    {
        // "Order Count" exists as an integer; the rows hold text, so the run sends it as a string field.
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Add("autopilotapikey", Key);
            var created = await http.PostAsync(_emu.BaseUri + "/contact",
                new StringContent("{\"contact\":{\"Email\":\"first@example.com\",\"custom\":{\"integer--Order--Count\":3}}}", Encoding.UTF8, "application/json"));
            created.EnsureSuccessStatusCode();
        }
        using var runner = Runner(new Hashtable { ["Email"] = "Mail", ["Custom"] = new Hashtable { ["Order Count"] = "Orders" } });
        var rows = Enumerable.Range(1, 300).Select(i => (IRecordReader)new TestRecord(("Mail", $"t{i}@example.com"), ("Orders", "many")));
        var events = new List<RunEvent>();
        var summary = RunAll(runner, rows, events);

        AssertStoppedForEveryRow(summary, events, 300);
        Assert.Contains("was created as integer", summary.FatalMessage);
        Assert.InRange((await EmulatorView.RequestsAsync(_emu)).Sum("POST /v1/contacts"), RejectionWatch.Threshold, RejectionWatch.Threshold + 4);
    }

    private void AssertStoppedForEveryRow(ExportSummary summary, List<RunEvent> events, long rows)
    {
        Assert.Equal(ExportStatus.Failed, summary.Status);
        Assert.Equal(ErrorIds.RejectedForEveryRow, summary.FatalErrorId);
        var c = summary.Counters;
        Assert.Equal((rows, 0L, rows), (c.Received, c.Exported, c.Failed));
        // A few per-row errors (the rejections that showed the rule), not one per row; the report has every row.
        var shown = events.OfType<RowProblemEvent>().ToList();
        Assert.InRange(shown.Count, 1, RejectionWatch.Threshold);
        Assert.All(shown, p => Assert.Equal(ErrorIds.RejectedByApi, p.ErrorId));
        var report = ReportRows();
        Assert.Equal(rows, report.Count);
        Assert.Equal(rows - report.Count(r => r.GetProperty("errorId").GetString() == ErrorIds.RejectedByApi),
            report.Count(r => r.GetProperty("errorId").GetString() is ErrorIds.RejectedForEveryRow or ErrorIds.SendFailed));
    }

    [Fact]
    public void Scattered_refusals_with_different_reasons_never_stop_the_run()
    {
        // Ten refused addresses side by side in one batch: each refusal names another address, so they are about rows.
        using var runner = Runner(new Hashtable { ["Email"] = "Mail" });
        var rows = Enumerable.Range(1, 200).Select(i => (IRecordReader)new TestRecord(("Mail", i is > 20 and <= 30 ? $"bad{i}@example.invalid" : $"ok{i}@example.com")));
        var events = new List<RunEvent>();
        var summary = RunAll(runner, rows, events);
        Assert.Equal(ExportStatus.CompletedWithErrors, summary.Status);
        Assert.Null(summary.FatalErrorId);
        Assert.Equal((190L, 10L), (summary.Counters.Exported, summary.Counters.Failed));
    }

    [Fact]
    public async Task Batches_are_bounded_by_bytes_as_well_as_by_count()
    {
        // 3,000-character names: 100 contacts would be ~300 KB, far over this emulator's 64 KB body limit.
        using var runner = Runner(new Hashtable { ["Email"] = "Mail", ["FirstName"] = "First" }, o => o.MaxBatchBytes = 60_000);
        var rows = Enumerable.Range(1, 150).Select(i => (IRecordReader)new TestRecord(("Mail", $"long{i}@example.com"), ("First", new string((char)('a' + i % 26), 3000))));
        var events = new List<RunEvent>();
        var summary = RunAll(runner, rows, events);

        Assert.Equal(ExportStatus.Succeeded, summary.Status);
        Assert.Equal(150, summary.Counters.Exported);
        var requests = _emu.Requests().Where(r => r.Route == "POST /v1/contacts").ToList();
        Assert.All(requests, r => Assert.Equal(200, r.Status));
        Assert.All(requests, r => Assert.InRange(r.ContactCount ?? 0, 1, 19)); // 60,000 / ~3,100 bytes a contact
        Assert.Equal(150, requests.Sum(r => r.ContactCount ?? 0));
        Assert.Equal(new string((char)('a' + 7 % 26), 3000), (await EmulatorView.ContactsAsync(_emu)).Single(c => c.Email == "long7@example.com").Fields["FirstName"].GetString());
    }

    [Fact]
    public void A_report_that_cannot_be_written_is_a_warning_and_the_export_goes_on()
    {
        using var disk = AutopilotExport.Tests.Shared.TinyDisk.Mount(32); // the report outgrows it: "no space left on device"
        var reportPath = Path.Combine(disk.Path, "report.jsonl");
        using var runner = Runner(new Hashtable { ["Email"] = "Mail" }, o => o.ReportPath = reportPath);
        var rows = Enumerable.Range(1, 3000).Select(i => (IRecordReader)new TestRecord(("Mail", i % 3 == 0 ? $"bad{i}" : $"ok{i}@example.com")));
        var events = new List<RunEvent>();
        var summary = RunAll(runner, rows, events);

        Assert.Equal(ExportStatus.CompletedWithErrors, summary.Status);
        Assert.Equal((3000L, 2000L, 1000L), (summary.Counters.Received, summary.Counters.Exported, summary.Counters.Invalid));
        Assert.False(summary.ReportComplete);
        Assert.Equal(1000, events.OfType<RowProblemEvent>().Count());
        var warning = Assert.Single(events.OfType<WarningEvent>());
        Assert.Contains(reportPath, warning.Message);
        Assert.Contains("incomplete", warning.Message);
    }

    [Fact]
    public void Progress_shows_percent_and_time_left_only_when_the_number_of_rows_is_known()
    {
        var rows = Enumerable.Range(1, 300).Select(i => (IRecordReader)new TestRecord(("Mail", $"p{i}@example.com"))).ToList();

        using (var unknown = Runner(new Hashtable { ["Email"] = "Mail" }))
        {
            var events = new List<RunEvent>();
            RunAll(unknown, rows, events);
            var progress = events.OfType<ProgressEvent>().ToList();
            Assert.NotEmpty(progress);
            Assert.All(progress, p => Assert.Null(p.Eta));
            Assert.All(progress, p => Assert.Null(p.PercentComplete));
            Assert.True(progress[^1].Elapsed > TimeSpan.Zero);
            Assert.Equal(300, progress[^1].Counters.Exported);
        }

        using (var known = Runner(new Hashtable { ["Email"] = "Mail" }, o => o.Segments = new[] { "Known" }))
        {
            known.ExpectRows(rows.Count);
            var events = new List<RunEvent>();
            RunAll(known, rows, events);
            var last = events.OfType<ProgressEvent>().Last();
            Assert.Equal(100, last.PercentComplete);
            Assert.Equal(TimeSpan.Zero, last.Eta);
        }
    }
}
