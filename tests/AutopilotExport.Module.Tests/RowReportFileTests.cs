using System.Management.Automation;
using System.Text.RegularExpressions;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;
using static AutopilotExport.Module.Tests.Infrastructure.ExportResults;

namespace AutopilotExport.Module.Tests;

/// <summary>
/// Row reports hold email addresses: created owner-only (also at -ReportPath), never written through a link
/// planted at the path, and one file per run however quickly runs follow each other.
/// </summary>
public sealed class RowReportFileTests : ModuleTestBase
{
    private const string OneBadRow = "@([pscustomobject]@{ Email = 'ok@example.com' }, [pscustomobject]@{ Email = 'not-an-email' })";

    public RowReportFileTests(EmulatorFixture emulator) : base(emulator)
    {
        CreateConnection();
    }

    private string Work => Path.Combine(Path.GetDirectoryName(StateHome)!, "work");

    private static UnixFileMode OwnerOnly => UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const string Suffix = ErrorIdSuffix;

    private static string ReportOf(RunResult r) => Prop<string>(r.Output.Single(IsResult), "ReportPath");

    [Fact]
    public void The_default_report_is_owner_only_in_an_owner_only_folder_with_a_name_unique_to_the_run()
    {
        var report = ReportOf(Run($"{OneBadRow} | Start-AutopilotExport -Connection Emu -Segment Reported -ErrorAction SilentlyContinue"));
        Assert.Matches(new Regex(@"^adhoc-\d{8}-\d{6}-[0-9a-f]{8}\.jsonl$"), Path.GetFileName(report));
        Assert.Contains("\"errorId\":\"InvalidEmail\"", File.ReadAllText(report));
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(report));
        Assert.Equal(OwnerOnly | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(report)!));
    }

    [Fact]
    public void Six_quick_runs_write_six_reports()
    {
        // Run i has i + 1 bad rows, so each report shows whose it is.
        var reports = new List<string>();
        for (int i = 0; i < 6; i++)
            reports.Add(ReportOf(Run($"@([pscustomobject]@{{ Email = 'quick{i}@example.com' }}) + @(0..{i} | ForEach-Object {{ [pscustomobject]@{{ Email = \"bad$_\" }} }}) | " +
                "Start-AutopilotExport -Connection Emu -Segment Quick -ErrorAction SilentlyContinue")));
        Assert.Equal(6, reports.Distinct(StringComparer.Ordinal).Count());
        for (int i = 0; i < 6; i++)
        {
            var lines = File.ReadAllLines(reports[i]);
            Assert.Equal(i + 2, lines.Length);
            Assert.All(lines.Take(i + 1), l => Assert.Contains("\"errorId\":\"InvalidEmail\"", l));
            Assert.Contains($"\"received\":{i + 2},", lines[^1]);
        }
    }

    [Fact]
    public void A_report_path_is_created_owner_only_and_an_existing_file_of_the_user_is_replaced_owner_only()
    {
        Directory.CreateDirectory(Work);
        var path = Path.Combine(Work, "run.jsonl");
        Session.SetVariable("ReportFile", path);
        Run($"{OneBadRow} | Start-AutopilotExport -Connection Emu -Segment Reported -ReportPath $ReportFile -ErrorAction SilentlyContinue");
        if (!OperatingSystem.IsWindows()) Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));

        File.WriteAllText(path, "old content\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
        var r = Run($"{OneBadRow} | Start-AutopilotExport -Connection Emu -Segment Reported -ReportPath $ReportFile -ErrorAction SilentlyContinue");
        Assert.Equal(path, ReportOf(r));
        Assert.DoesNotContain("old content", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows()) Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
    }

    [Theory]
    [InlineData("link to a file")]
    [InlineData("dangling link")]
    public void A_link_planted_at_the_report_path_is_refused_and_its_target_untouched(string planted)
    {
        Directory.CreateDirectory(Work);
        var target = Path.Combine(Work, "victim.txt");
        var link = Path.Combine(Work, "run.jsonl");
        if (planted == "link to a file") File.WriteAllText(target, "precious\n");
        File.CreateSymbolicLink(link, target);
        Session.SetVariable("ReportFile", link);

        var r = Run($"{OneBadRow} | Start-AutopilotExport -Connection Emu -Segment Reported -ReportPath $ReportFile");
        var (result, error) = FailedRun(r, "ReportPathUnavailable");
        Assert.Single(r.Errors);
        Assert.Equal((0L, (string?)null), (Prop<long>(result, "Received"), Prop<string?>(result, "ReportPath")));
        Assert.Contains("symbolic link", error.Exception.Message);
        StoppedRun(Run($"try {{ {OneBadRow} | Start-AutopilotExport -Connection Emu -Segment Reported -ReportPath $ReportFile -ErrorAction Stop; 'not stopped' }} catch {{ $_ }}"), "ReportPathUnavailable");
        if (planted == "link to a file") Assert.Equal("precious\n", File.ReadAllText(target));
        else Assert.False(File.Exists(target));
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }

    [Fact]
    public void A_report_path_that_is_a_folder_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(Work, "run.jsonl"));
        Session.SetVariable("ReportFile", Path.Combine(Work, "run.jsonl"));
        var r = Run($"{OneBadRow} | Start-AutopilotExport -Connection Emu -Segment Reported -ReportPath $ReportFile");
        FailedRun(r, "ReportPathUnavailable");
        Assert.Single(r.Errors);
        StoppedRun(Run($"try {{ {OneBadRow} | Start-AutopilotExport -Connection Emu -Segment Reported -ReportPath $ReportFile -ErrorAction Stop; 'not stopped' }} catch {{ $_ }}"), "ReportPathUnavailable");
        Assert.Equal(0, Emulator.Stats().TotalRequests);
    }
}
