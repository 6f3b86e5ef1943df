using System.Collections;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.Plan;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Engine.Tests.Plan;

public class RunPlannerTests
{
    private static readonly ConnectionRecord Connection = new() { Name = "prod", BaseUri = "https://api2.autopilothq.com/v1", RequestsPerSecond = 4 };

    private static ExportRecord Saved() => new()
    {
        Name = "vip", Connection = "prod", Segments = new List<string> { "VIP", " vip ", "" }, SegmentProperty = "Tier", MaxProfiles = 5000,
        FieldMap = FieldMapRecord.FromFieldMap(FieldMap.FromDictionary(new Hashtable { ["Email"] = "Mail", ["FirstName"] = "Given" })),
    };

    [Fact]
    public void A_saved_export_gives_its_settings_and_the_connection_its_pace()
    {
        var o = RunPlanner.Plan(new RunRequest { SavedExport = Saved(), Connection = Connection });
        Assert.Equal(("vip", "prod", "Tier", 5000, 4.0, 4), (o.ExportName, o.ConnectionName, o.SegmentProperty, o.MaxProfiles, o.RequestsPerSecond, o.Concurrency));
        Assert.Equal(new[] { "VIP" }, o.Segments);
        Assert.Equal("Mail", o.FieldMap!.Email);
        Assert.Equal("Given", o.FieldMap.Standard["FirstName"]);
    }

    [Fact]
    public void Settings_given_again_win_over_the_saved_ones()
    {
        var o = RunPlanner.Plan(new RunRequest
        {
            SavedExport = Saved(), Connection = Connection, Segments = new[] { "Other", "other" }, SegmentProperty = " Level ",
            FieldMap = new Hashtable { ["Email"] = "Address" }, MaxProfiles = 10, RequestsPerSecond = 0, Concurrency = 2,
        });
        Assert.Equal(new[] { "Other" }, o.Segments);
        Assert.Equal(("Level", 10, 0.0, 2, "Address"), (o.SegmentProperty, o.MaxProfiles, o.RequestsPerSecond, o.Concurrency, o.FieldMap!.Email));
        Assert.Empty(o.FieldMap.Standard);
    }

    [Fact]
    public void An_ad_hoc_run_needs_a_segment_and_gets_the_defaults()
    {
        var o = RunPlanner.Plan(new RunRequest { Connection = Connection, Segments = new[] { " A ", "B" } });
        Assert.Equal(("(ad hoc)", RunPlanner.DefaultMaxProfiles, null as FieldMap), (o.ExportName, o.MaxProfiles, o.FieldMap));
        Assert.Equal(new[] { "A", "B" }, o.Segments);

        var none = Assert.Throws<PlanException>(() => RunPlanner.Plan(new RunRequest { Connection = Connection, Segments = new[] { " " } }));
        Assert.Equal(PlanErrorIds.SegmentRequired, none.ErrorId);
        Assert.Equal("(ad hoc)", RunPlanner.Plan(new RunRequest { Connection = Connection, SegmentProperty = "Tier" }).ExportName);
    }

    [Theory]
    [InlineData("FirstName", "Given", "no Email property")]
    [InlineData("Shoe", "Size", "not an Autopilot standard field")]
    public void A_field_map_is_checked_once_the_same_way_for_every_caller(string key, string value, string expected)
    {
        var ex = Assert.Throws<PlanException>(() => RunPlanner.Plan(new RunRequest { Connection = Connection, Segments = new[] { "A" }, FieldMap = new Hashtable { [key] = value } }));
        Assert.Equal(PlanErrorIds.InvalidFieldMap, ex.ErrorId);
        Assert.Contains(expected, ex.Message);
        var direct = Assert.Throws<ArgumentException>(() => new ProfileMapper(new FieldMap { Standard = { ["FirstName"] = "Given" } }, null));
        Assert.Contains("no Email property", direct.Message);
    }
}
