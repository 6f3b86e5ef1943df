using System.Globalization;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Mapping;

public class DateFormatTests
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    [Fact]
    public void Dates_are_written_as_the_iso_format_string_writes_them()
    {
        var rng = new Random(7);
        var samples = new List<DateTime> { DateTime.MinValue, DateTime.MaxValue, new(2000, 2, 29, 23, 59, 59), new(1, 1, 1, 0, 0, 0), new(9999, 12, 31, 0, 0, 1), new(2024, 3, 1) };
        for (int i = 0; i < 2000; i++) samples.Add(new DateTime(DateTime.MinValue.Ticks + (long)(rng.NextDouble() * (DateTime.MaxValue.Ticks - DateTime.MinValue.Ticks)), DateTimeKind.Unspecified));
        foreach (var d in samples)
        {
            Assert.Equal(DateTime.SpecifyKind(d, DateTimeKind.Utc).ToString(Format, CultureInfo.InvariantCulture), ValueConversion.FormatDate(d));
            Assert.Equal(DateTime.SpecifyKind(d, DateTimeKind.Utc).ToString(Format, CultureInfo.InvariantCulture), ValueConversion.FormatDate(DateTime.SpecifyKind(d, DateTimeKind.Utc)));
        }
    }

    [Fact]
    public void Local_times_and_offsets_are_turned_to_utc_first()
    {
        var local = new DateTime(2024, 6, 1, 12, 30, 15, DateTimeKind.Local);
        Assert.Equal(local.ToUniversalTime().ToString(Format, CultureInfo.InvariantCulture), ValueConversion.FormatDate(local));
        Assert.Equal("2024-06-01T10:30:15Z", ValueConversion.FormatDate(new DateTimeOffset(2024, 6, 1, 12, 30, 15, TimeSpan.FromHours(2))));
        Assert.True(ValueConversion.TryDate("2024-06-01 12:30:15+02:00", out var iso));
        Assert.Equal("2024-06-01T10:30:15Z", iso);
    }
}
