using AutopilotExport.Engine.Export;

namespace AutopilotExport.Engine.Tests.Mapping;

public class EmailDeduplicatorTests
{
    [Fact]
    public void Email_is_case_insensitive_and_per_segment()
    {
        var d = new EmailDeduplicator();
        Assert.True(d.TryAdd("Ada@Example.com", "VIP", 1, out var first));
        Assert.Equal(1, first);
        Assert.False(d.TryAdd("ada@example.COM", "vip", 5, out first));
        Assert.Equal(1, first);
        Assert.True(d.TryAdd("ada@example.com", "Newsletter", 6, out _));
        Assert.True(d.TryAdd("ada2@example.com", "VIP", 7, out _));
        Assert.Equal(3, d.Count);
    }
}
