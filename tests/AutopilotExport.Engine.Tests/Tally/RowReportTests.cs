using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Tally;

namespace AutopilotExport.Engine.Tests.Tally;

/// <summary>
/// The row report goes through the file's buffer (issue 10: a write call per refused row was most of a run's file
/// work) and reaches the file at least once a second and at the end, so a process killed mid-run loses at most a
/// second of lines.
/// </summary>
public sealed class RowReportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "apx-report-" + Guid.NewGuid().ToString("N"));

    public RowReportTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static RowProblemEvent Row(long n) => new(n, null, $"user{n}@example.com", RowOutcome.Invalid, "InvalidEmail", "it has no '@'");

    private static string OnDisk(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    [Fact]
    public void Lines_wait_in_the_buffer_until_a_second_has_passed_and_all_are_written_at_the_end()
    {
        var path = Path.Combine(_folder, "report.jsonl");
        var report = new RowReport(path);
        for (int i = 1; i <= 3; i++) report.WriteRow(Row(i), "VIP");
        report.FlushIfDue();
        Assert.Equal("", OnDisk(path)); // not a write call per line

        report.Dispose();
        var lines = OnDisk(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"email\":\"user3@example.com\"", lines[2]);
        Assert.Null(report.Problem);
    }

    [Fact]
    public void Once_the_interval_has_passed_the_lines_reach_the_file_while_the_run_goes_on()
    {
        var path = Path.Combine(_folder, "report.jsonl");
        using var report = new RowReport(path) { FlushTicks = 0 };
        report.WriteRow(Row(1), "VIP");
        report.WriteRow(Row(2), null);
        var text = OnDisk(path); // the report is still open: this is what a killed process leaves
        Assert.Equal(2, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("\"row\":2", text);
        Assert.DoesNotContain("segment", text.Split('\n')[1]);
    }
}
