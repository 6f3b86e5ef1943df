using AutopilotExport.Engine.Intake;

namespace AutopilotExport.Engine.Tests.Intake;

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

    [Fact]
    public void Duplicates_are_what_OrdinalIgnoreCase_calls_equal()
    {
        var d = new EmailDeduplicator();
        Assert.True(d.TryAdd("k@example.com", "VIP", 1, out _));
        // U+212A KELVIN SIGN lower-cases to 'k' but is not equal to it ignoring case: two contacts to the API.
        Assert.False(string.Equals("\u212A@example.com", "k@example.com", StringComparison.OrdinalIgnoreCase));
        Assert.True(d.TryAdd("\u212A@example.com", "VIP", 2, out _));
        Assert.True(string.Equals("ÄÖÜ@example.com", "äöü@EXAMPLE.com", StringComparison.OrdinalIgnoreCase));
        Assert.True(d.TryAdd("ÄÖÜ@example.com", "VIP", 3, out _));
        Assert.False(d.TryAdd("äöü@EXAMPLE.com", "VIP", 4, out var first));
        Assert.Equal(3, first);
    }

    [Fact]
    public void A_table_that_grows_many_times_keeps_every_pair_and_its_first_row()
    {
        var d = new EmailDeduplicator();
        const int n = 200_000; // grows from 1,024 slots through eight doublings
        for (int i = 0; i < n; i++) Assert.True(d.TryAdd($"user{i}@example.com", i % 3 == 0 ? "A" : "B", i, out _));
        Assert.Equal(n, d.Count);
        for (int i = 0; i < n; i += 7)
        {
            Assert.False(d.TryAdd($"USER{i}@EXAMPLE.COM", i % 3 == 0 ? "a" : "b", n + i, out var first));
            Assert.Equal(i, first);
            Assert.True(d.TryAdd($"user{i}@example.com", "C", n + i, out first));
            Assert.Equal(n + i, first);
        }
        Assert.Equal(n + (n + 6) / 7, d.Count);
    }
}

/// <summary>The open-addressed table against the rule it stands for: pairs equal under OrdinalIgnoreCase are
/// duplicates, and a duplicate names the first row that had its pair.</summary>
public class EmailDeduplicatorRuleTests
{
    [Theory]
    [InlineData(0)]         // grows from the smallest table
    [InlineData(100_000)]   // sized for the default profile cap: never grows here
    [InlineData(50_000_000)] // a cap beyond what is made up front: starts at the largest presized table
    public void Agrees_with_a_set_of_the_pairs_over_many_random_rows(long expectedPairs)
    {
        var d = new EmailDeduplicator(expectedPairs);
        var first = new Dictionary<(string, string), long>();
        var random = new Random(3);
        string[] segments = { "A", "b", "Ä", "news letter" };
        for (long row = 1; row <= 60_000; row++)
        {
            int n = random.Next(20_000); // about one row in three repeats an earlier pair
            var email = $"user{n}@Example.org";
            if (random.Next(2) == 0) email = email.ToUpperInvariant();
            var segment = segments[random.Next(segments.Length)];
            if (random.Next(2) == 0) segment = segment.ToLowerInvariant();
            var pair = (email.ToUpperInvariant(), segment.ToUpperInvariant());
            bool isNew = !first.TryGetValue(pair, out var expectedFirst);
            if (isNew) first[pair] = expectedFirst = row;
            Assert.Equal(isNew, d.TryAdd(email, segment, row, out var firstRow));
            Assert.Equal(expectedFirst, firstRow);
        }
        Assert.Equal(first.Count, d.Count);
    }
}
