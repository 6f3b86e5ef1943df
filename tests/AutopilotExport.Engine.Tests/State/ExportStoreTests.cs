using System.Collections;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

public sealed class ExportStoreTests : IDisposable
{
    private readonly StateTestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static FieldMap Map() => FieldMap.FromDictionary(new Hashtable
    {
        ["Email"] = "Mail",
        ["FirstName"] = "GivenName",
        ["Company"] = "Org",
        ["Custom"] = new Hashtable
        {
            ["Loyalty Tier"] = "Tier",
            ["Order Count"] = new Hashtable { ["Property"] = "Orders", ["Type"] = "integer" },
        },
    });

    private static ExportRecord Record(string name) => new()
    {
        Name = name,
        Connection = "Prod",
        Segments = new List<string> { "VIP", "Newsletter" },
        SegmentProperty = "Segment",
        MaxProfiles = 5000,
        FieldMap = FieldMapRecord.FromFieldMap(Map()),
        CreatedAt = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)),
        ModifiedAt = new DateTimeOffset(2024, 1, 2, 3, 4, 6, TimeSpan.FromHours(1)),
    };

    [Fact]
    public void Round_trips_every_field_including_the_field_map()
    {
        new ExportStore(_folder.Home).Save(Record("Nightly"), overwrite: false);
        var e = new ExportStore(_folder.Home).Find("NIGHTLY")!;
        Assert.Equal("Nightly", e.Name);
        Assert.Equal("Prod", e.Connection);
        Assert.Equal(new[] { "VIP", "Newsletter" }, e.Segments);
        Assert.Equal("Segment", e.SegmentProperty);
        Assert.Equal(5000, e.MaxProfiles);
        Assert.Equal(Record("x").CreatedAt, e.CreatedAt);
        Assert.Null(e.LastRunAt);
        Assert.Null(e.LastRunStatus);

        var map = e.FieldMap!.ToFieldMap();
        Assert.Equal("Mail", map.Email);
        Assert.Equal("GivenName", map.Standard["firstname"]);
        Assert.Equal("Org", map.Standard["Company"]);
        Assert.Equal("Tier", map.Custom["loyalty tier"].Property);
        Assert.Equal(CustomFieldType.Auto, map.Custom["Loyalty Tier"].Type);
        Assert.Equal("Orders", map.Custom["Order Count"].Property);
        Assert.Equal(CustomFieldType.Integer, map.Custom["Order Count"].Type);

        var json = File.ReadAllText(_folder.Home.ExportsFile);
        Assert.Contains("\"integer\"", json);
        Assert.Contains("\"standard\"", json);
    }

    [Fact]
    public void No_field_map_means_automatic_matching()
    {
        var r = Record("Auto");
        r.FieldMap = null;
        new ExportStore(_folder.Home).Save(r, false);
        Assert.Null(new ExportStore(_folder.Home).Find("auto")!.FieldMap);
    }

    [Fact]
    public void Exists_overwrite_and_remove()
    {
        var store = new ExportStore(_folder.Home);
        store.Save(Record("Nightly"), false);
        Assert.Equal(StateErrorIds.ExportExists, Assert.Throws<StateException>(() => store.Save(Record("nightly"), false)).ErrorId);
        store.RecordRun("Nightly", new DateTimeOffset(2024, 2, 2, 0, 0, 0, TimeSpan.Zero), "Succeeded");

        var replacement = Record("NIGHTLY");
        replacement.CreatedAt = DateTimeOffset.Now;
        replacement.Segments = new List<string> { "Other" };
        store.Save(replacement, overwrite: true);
        var e = store.Find("nightly")!;
        Assert.Equal(new[] { "Other" }, e.Segments);
        Assert.Equal(Record("x").CreatedAt, e.CreatedAt); // creation time survives a replace
        Assert.Equal("Succeeded", e.LastRunStatus);

        Assert.True(store.Remove("NightLY"));
        Assert.False(store.Exists("Nightly"));
        Assert.False(store.Remove("Nightly"));
    }

    [Fact]
    public void Set_field_map_and_record_run()
    {
        var store = new ExportStore(_folder.Home);
        store.Save(Record("Nightly"), false);
        var now = DateTimeOffset.Now;
        var updated = store.SetFieldMap("nightly", new FieldMap { Email = "EmailAddress" }, now)!;
        Assert.Equal("EmailAddress", updated.FieldMap!.Email);
        Assert.Empty(updated.FieldMap.Custom);
        Assert.Equal(now, updated.ModifiedAt);

        var ran = store.RecordRun("NIGHTLY", now, "CompletedWithErrors")!;
        Assert.Equal(now, ran.LastRunAt);
        Assert.Equal("CompletedWithErrors", new ExportStore(_folder.Home).Find("Nightly")!.LastRunStatus);
        Assert.Null(store.RecordRun("missing", now, "Failed"));
        Assert.Null(store.SetFieldMap("missing", null, now));
    }

    [Fact]
    public void Using_connection_is_case_insensitive()
    {
        var store = new ExportStore(_folder.Home);
        store.Save(Record("A"), false);
        var b = Record("B");
        b.Connection = "Other";
        store.Save(b, false);
        Assert.Equal(new[] { "A" }, store.UsingConnection("PROD").Select(e => e.Name).ToArray());
    }

    [Fact]
    public void Corrupt_exports_file_names_the_file()
    {
        var store = new ExportStore(_folder.Home);
        store.Save(Record("A"), false);
        File.WriteAllText(_folder.Home.ExportsFile, "{\"version\":1,\"exports\":[{\"maxProfiles\":\"many\"}]}");
        var ex = Assert.Throws<StateException>(() => store.GetAll());
        Assert.Equal(StateErrorIds.StateFileCorrupt, ex.ErrorId);
        Assert.Contains("exports.json", ex.Message);
    }

    [Fact]
    public void Writes_leave_no_temporary_files()
    {
        var store = new ExportStore(_folder.Home);
        for (int i = 0; i < 5; i++) store.Save(Record("E" + i), false);
        store.Remove("E0");
        var names = _folder.AllFiles().Select(Path.GetFileName).OrderBy(n => n).ToArray();
        Assert.Equal(new[] { ".lock", "exports.json" }, names);
    }

    [Fact]
    public void Update_changes_only_what_it_is_given_and_keeps_the_field_map()
    {
        var store = new ExportStore(_folder.Home);
        store.Save(Record("Nightly"), false);
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var updated = store.Update("NIGHTLY", e => { e.SyncMode = "mirror"; e.MaxRemovalPercent = 5; e.Segments = new List<string> { " A ", "a", "B" }; }, at)!;
        Assert.Equal("Mirror", updated.SyncMode);
        Assert.Equal(new[] { "A", "B" }, updated.Segments);
        Assert.Equal(at, updated.ModifiedAt);

        var read = store.Find("Nightly")!;
        Assert.Equal("Mirror", read.EffectiveSyncMode);
        Assert.Equal(5, read.EffectiveMaxRemovalPercent);
        Assert.Equal(RunHistoryStore.DefaultKeepRuns, read.EffectiveKeepRuns);
        Assert.Equal("Orders", read.FieldMap!.ToFieldMap().Custom["Order Count"].Property);
        Assert.Equal(5000, read.MaxProfiles);
        Assert.Equal(Record("x").CreatedAt, read.CreatedAt);
        Assert.Null(store.Update("Missing", e => e.MaxProfiles = 1, at));

        // A change the module could not have saved is refused and nothing is stored.
        Assert.Throws<ArgumentException>(() => store.Update("Nightly", e => e.Concurrency = 99, at));
        Assert.Throws<ArgumentException>(() => store.Update("Nightly", e => { e.Segments.Clear(); e.SegmentProperty = null; }, at));
        Assert.Null(store.Find("Nightly")!.Concurrency);
        Assert.Equal(new[] { "A", "B" }, store.Find("Nightly")!.Segments);
    }

    [Fact]
    public void Overwrite_keeps_the_field_map_when_asked_and_the_settings_only_Set_changes()
    {
        var store = new ExportStore(_folder.Home);
        store.Save(Record("Nightly"), false);
        store.Update("Nightly", e => { e.SyncMode = "Mirror"; e.KeepRuns = 3; }, DateTimeOffset.Now);
        var again = Record("Nightly");
        again.FieldMap = null;
        again.Segments = new List<string> { "Other" };
        var saved = store.Save(again, overwrite: true, keepFieldMap: true);
        Assert.Equal("Tier", saved.FieldMap!.ToFieldMap().Custom["Loyalty Tier"].Property);
        Assert.Equal(new[] { "Other" }, saved.Segments);
        Assert.Equal("Mirror", saved.SyncMode);
        Assert.Equal(3, saved.KeepRuns);
        Assert.Null(store.Save(again, overwrite: true).FieldMap); // without keepFieldMap, null means automatic matching
    }

    [Theory]
    [InlineData("\"syncMode\": \"Delete\"", "syncMode 'Delete'")]
    [InlineData("\"maxRemovalPercent\": 150", "maxRemovalPercent 150")]
    [InlineData("\"concurrency\": 0", "concurrency 0")]
    [InlineData("\"keepRuns\": 0", "keepRuns 0")]
    public void A_setting_edited_out_of_range_is_a_corrupt_file_naming_the_export(string json, string reason)
    {
        var store = new ExportStore(_folder.Home);
        store.Save(Record("Nightly"), false);
        var text = File.ReadAllText(_folder.Home.ExportsFile).Replace("\"maxProfiles\": 5000", "\"maxProfiles\": 5000, " + json);
        File.WriteAllText(_folder.Home.ExportsFile, text);
        var ex = Assert.Throws<StateException>(() => store.GetAll());
        Assert.Equal(StateErrorIds.StateFileCorrupt, ex.ErrorId);
        Assert.Contains("'Nightly'", ex.Message);
        Assert.Contains(reason, ex.Message);
    }
}
