using System.Collections;
using AutopilotEmulator;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Export;

/// <summary>The runner against the emulator over real HTTP: what lands, what is counted, what is reported.</summary>
public class ExportRunnerTests : IAsyncLifetime
{
    private const string Key = "runner-test-key";
    private EmulatorHost _emu = null!;

    public async Task InitializeAsync() => _emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 0, Seed = 7 });
    public async Task DisposeAsync() => await _emu.DisposeAsync();

    private static FieldMap Map() => FieldMap.FromDictionary(new Hashtable
    {
        ["Email"] = "Mail", ["FirstName"] = "First", ["LastName"] = "Last",
        ["Custom"] = new Hashtable { ["Loyalty Tier"] = "Tier", ["Order Count"] = "Orders" },
    });

    private static TestRecord Row(int i, string? mail = null) =>
        new(("Mail", mail ?? $"user{i}@example.com"), ("First", $"First{i}"), ("Last", $"Last{i}"), ("Tier", i % 2 == 0 ? "gold" : "silver"), ("Orders", i));

    private ExportRunner Runner(ExportRunOptions? options = null, string key = Key)
    {
        var o = options ?? new ExportRunOptions();
        o.ExportName = o.ExportName == "(ad hoc)" ? "test" : o.ExportName;
        if (o.Segments.Count == 0 && o.SegmentProperty == null) o.Segments = new[] { "VIP" };
        o.FieldMap ??= Map();
        o.RequestsPerSecond = 0;
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        return new ExportRunner(new AutopilotApiClient(_emu.BaseUri, key), o);
    }

    private static (ExportSummary Summary, List<RunEvent> Events) Run(ExportRunner runner, IEnumerable<IRecordReader?> rows)
    {
        var events = new List<RunEvent>();
        var thread = Environment.CurrentManagedThreadId;
        void Sink(RunEvent e)
        {
            Assert.Equal(thread, Environment.CurrentManagedThreadId); // events only on the calling (pipeline) thread
            events.Add(e);
        }
        int n = 0;
        foreach (var row in rows) runner.Submit(row, "tag" + (++n), Sink);
        return (runner.Complete(Sink), events);
    }

    [Fact]
    public async Task Exports_every_row_exactly_as_mapped_in_batches_of_100()
    {
        using var runner = Runner();
        var (summary, events) = Run(runner, Enumerable.Range(1, 250).Select(i => Row(i)));

        Assert.Equal(ExportStatus.Succeeded, summary.Status);
        Assert.Equal(250, summary.Counters.Received);
        Assert.Equal(250, summary.Counters.Exported);
        Assert.Equal(3, summary.Counters.Batches);
        Assert.Empty(events.OfType<RowProblemEvent>());

        var lists = await EmulatorView.ListsAsync(_emu);
        var vip = lists["VIP"];
        var seg = Assert.Single(summary.Segments);
        Assert.Equal(("VIP", vip, true, 250L, 250L), (seg.Name, seg.ListId, seg.ListCreated, seg.Profiles, seg.Exported));

        var stored = (await EmulatorView.ContactsAsync(_emu)).ToDictionary(c => c.Email);
        Assert.Equal(250, stored.Count);
        for (int i = 1; i <= 250; i++)
        {
            var c = stored[$"user{i}@example.com"];
            Assert.Equal($"First{i}", c.Fields["FirstName"].GetString());
            Assert.Equal($"Last{i}", c.Fields["LastName"].GetString());
            Assert.Equal(i % 2 == 0 ? "gold" : "silver", c.Custom["string--Loyalty--Tier"].GetString());
            Assert.Equal(i, c.Custom["integer--Order--Count"].GetInt32());
            Assert.Equal(2, c.Custom.Count);
            Assert.Equal(new[] { vip }, c.Lists);
        }

        var requests = await EmulatorView.RequestsAsync(_emu);
        Assert.Equal(3, requests.Sum("POST /v1/contacts 200"));
        Assert.Equal(1, requests.Sum("GET /v1/lists 200"));
        Assert.Equal(1, requests.Sum("POST /v1/list 200"));
    }

    [Fact]
    public async Task Invalid_and_duplicate_rows_are_reported_with_their_tag_and_the_rest_goes_on()
    {
        using var runner = Runner();
        var rows = new List<IRecordReader?>
        {
            Row(1), Row(2, "not-an-email"), Row(3, ""), null, Row(4, "USER1@example.com"), Row(5),
        };
        var (summary, events) = Run(runner, rows);

        Assert.Equal(ExportStatus.CompletedWithErrors, summary.Status);
        var c = summary.Counters;
        Assert.Equal((6L, 2L, 3L, 1L, 0L), (c.Received, c.Exported, c.Invalid, c.Duplicate, c.Failed));
        var problems = events.OfType<RowProblemEvent>().OrderBy(p => p.RowNumber).ToList();
        Assert.Equal(new[] { (2L, "tag2", ErrorIds.InvalidEmail), (3L, "tag3", ErrorIds.MissingEmail), (4L, "tag4", ErrorIds.NullRow), (5L, "tag5", ErrorIds.DuplicateEmail) },
            problems.Select(p => (p.RowNumber, (string)p.Tag!, p.ErrorId)));
        Assert.Contains("already came in row 1", problems[3].Reason);
        Assert.Equal(new[] { "user1@example.com", "user5@example.com" }, (await EmulatorView.ContactsAsync(_emu)).Select(x => x.Email).OrderBy(x => x));
    }

    [Fact]
    public async Task Rows_join_the_list_named_by_their_segment_property_and_lists_are_found_before_created()
    {
        // "Gold" exists already; "Silver" must be created; "gold" in another case uses the existing one.
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Add("autopilotapikey", Key);
            var r = await http.PostAsync(_emu.BaseUri + "/list", new StringContent("{\"name\":\"Gold\"}", System.Text.Encoding.UTF8, "application/json"));
            r.EnsureSuccessStatusCode();
        }
        using var runner = Runner(new ExportRunOptions { SegmentProperty = "Tier" });
        var (summary, _) = Run(runner, Enumerable.Range(1, 10).Select(i => Row(i)).Append(new TestRecord(("Mail", "z@example.com"), ("Tier", "GOLD"))));
        Assert.Equal(11, summary.Counters.Exported);
        var lists = await EmulatorView.ListsAsync(_emu);
        Assert.Equal(new[] { "Gold", "silver" }, lists.Keys.OrderBy(k => k, StringComparer.Ordinal));
        var stored = (await EmulatorView.ContactsAsync(_emu)).ToDictionary(c => c.Email);
        Assert.Equal(new[] { lists["Gold"] }, stored["user2@example.com"].Lists);
        Assert.Equal(new[] { lists["silver"] }, stored["user3@example.com"].Lists);
        Assert.Equal(new[] { lists["Gold"] }, stored["z@example.com"].Lists);
        Assert.Equal(new[] { false, true }, summary.Segments.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.ListCreated));
    }

    [Fact]
    public async Task A_profile_in_several_segments_joins_every_list()
    {
        using var runner = Runner(new ExportRunOptions { Segments = new[] { "A", "B" } });
        var (summary, _) = Run(runner, new[] { Row(1), Row(2) });
        Assert.Equal((2L, 2L), (summary.Counters.Received, summary.Counters.Exported));
        var lists = await EmulatorView.ListsAsync(_emu);
        foreach (var c in await EmulatorView.ContactsAsync(_emu))
            Assert.Equal(new[] { lists["A"], lists["B"] }.OrderBy(x => x), c.Lists.OrderBy(x => x));
    }

    [Fact]
    public async Task The_profile_cap_stops_sending_at_the_limit_with_one_error()
    {
        using var runner = Runner(new ExportRunOptions { MaxProfiles = 120 });
        var (summary, events) = Run(runner, Enumerable.Range(1, 300).Select(i => Row(i)));
        Assert.Equal((300L, 120L, 180L), (summary.Counters.Received, summary.Counters.Exported, summary.Counters.Failed));
        var capErrors = events.OfType<RowProblemEvent>().Where(e => e.ErrorId == ErrorIds.ProfileLimitExceeded).ToList();
        Assert.Single(capErrors);
        Assert.Equal(121, capErrors[0].RowNumber);
        Assert.Equal(120, (await EmulatorView.ContactsAsync(_emu)).Count);
    }

    [Fact]
    public async Task Dry_run_sends_nothing_and_tells_which_lists_exist()
    {
        using var runner = Runner(new ExportRunOptions { DryRun = true, Segments = new[] { "VIP", "New" } });
        var (summary, _) = Run(runner, Enumerable.Range(1, 5).Select(i => Row(i)).Append(Row(9, "bad")));
        Assert.True(summary.DryRun);
        Assert.Equal((6L, 1L), (summary.Counters.Received, summary.Counters.Invalid));
        Assert.All(summary.Segments, s => Assert.Equal(5, s.Profiles));
        Assert.All(summary.Segments, s => Assert.False(s.ListExists));
        Assert.Empty(await EmulatorView.ContactsAsync(_emu));
        var requests = await EmulatorView.RequestsAsync(_emu);
        Assert.Equal(0, requests.Sum("POST "));
    }

    [Fact]
    public async Task A_wrong_key_ends_the_run_with_one_fatal_error_and_no_storm()
    {
        using var runner = Runner(key: "wrong-key");
        var events = new List<RunEvent>();
        var ex = Assert.Throws<ExportAbortedException>(() =>
        {
            for (int i = 1; i <= 5000; i++) runner.Submit(Row(i), null, events.Add);
            runner.Complete(events.Add);
        });
        Assert.Equal(ErrorIds.Unauthorized, ex.ErrorId);
        Assert.DoesNotContain("wrong-key", ex.Message);
        var c = ex.Summary.Counters;
        Assert.Equal(ExportStatus.Failed, ex.Summary.Status);
        Assert.Equal(c.Received, c.Exported + c.Invalid + c.Duplicate + c.Failed);
        Assert.Equal(0, c.Exported);
        var requests = await EmulatorView.RequestsAsync(_emu);
        Assert.True(requests.Sum("GET /v1/lists 401") + requests.Sum("POST /v1/contacts 401") <= 5, string.Join(", ", requests));
        Assert.Empty(events.OfType<RowProblemEvent>()); // no 5,000 error records
    }

    [Fact]
    public async Task Cancel_stops_promptly_with_true_counts()
    {
        var o = new ExportRunOptions();
        using var runner = Runner(o);
        _emu.SetFaults(new FaultProfile { LatencyMs = 200 });
        var events = new List<RunEvent>();
        for (int i = 1; i <= 2000; i++)
        {
            runner.Submit(Row(i), null, events.Add);
            if (i == 1500) runner.Cancel();
        }
        var summary = runner.Complete(events.Add);
        Assert.Equal(ExportStatus.Cancelled, summary.Status);
        var c = summary.Counters;
        Assert.Equal(2000, c.Received);
        Assert.Equal(c.Received, c.Exported + c.Invalid + c.Duplicate + c.Failed);
        Assert.True(c.Failed > 0);
        _emu.SetFaults(null);
        Assert.True((await EmulatorView.ContactsAsync(_emu)).Count >= c.Exported);
    }
}

/// <summary>Addresses the client accepts but the API refuses (.invalid in the emulator): both bulk behaviours.</summary>
public class BulkRejectionTests
{
    private const string Key = "bulk-test-key";

    private static async Task<(ExportSummary Summary, List<RowProblemEvent> Problems, List<string> Stored, long BulkCalls)> Run(BulkInvalidMode mode)
    {
        await using var emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = Key, RateLimit = 0, BulkInvalid = mode });
        using var runner = new ExportRunner(new AutopilotApiClient(emu.BaseUri, Key), new ExportRunOptions
        {
            Segments = new[] { "Mixed" },
            FieldMap = FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail" }),
            RequestsPerSecond = 0,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        });
        var events = new List<RunEvent>();
        // 250 rows; rows 7, 150 and 151 hold addresses the API refuses.
        for (int i = 1; i <= 250; i++)
        {
            var mail = i is 7 or 150 or 151 ? $"bad{i}@example.invalid" : $"ok{i}@example.com";
            runner.Submit(new TestRecord(("Mail", mail)), "row" + i, events.Add);
        }
        var summary = runner.Complete(events.Add);
        var requests = await EmulatorView.RequestsAsync(emu);
        return (summary, events.OfType<RowProblemEvent>().OrderBy(p => p.RowNumber).ToList(),
            (await EmulatorView.ContactsAsync(emu)).Select(c => c.Email).ToList(), requests.Sum("POST /v1/contacts"));
    }

    [Theory]
    [InlineData(BulkInvalidMode.Reject, ErrorIds.RejectedByApi)]
    [InlineData(BulkInvalidMode.Skip, ErrorIds.NotInEmailContactMap)]
    public async Task One_bad_row_does_not_sink_the_good_ones(BulkInvalidMode mode, string expectedId)
    {
        var (summary, problems, stored, bulkCalls) = await Run(mode);
        Assert.Equal(ExportStatus.CompletedWithErrors, summary.Status);
        Assert.Equal((250L, 247L, 3L), (summary.Counters.Received, summary.Counters.Exported, summary.Counters.Failed));
        Assert.Equal(new[] { ("row7", expectedId), ("row150", expectedId), ("row151", expectedId) }, problems.Select(p => ((string)p.Tag!, p.ErrorId)));
        Assert.Equal(247, stored.Count);
        Assert.DoesNotContain(stored, e => e.EndsWith(".invalid"));
        if (mode == BulkInvalidMode.Skip) Assert.Equal(3, bulkCalls);
        else Assert.True(bulkCalls > 3, "a rejected batch is resent without its bad rows");
    }
}
