using System.Diagnostics;
using AutopilotExport.Engine.Send;

namespace AutopilotExport.Engine.Tests.Send;

public class StrictWindowRateLimiterTests
{
    [Fact]
    public void A_whole_rate_allows_a_burst_of_that_many_and_then_refuses()
    {
        using var limiter = new StrictWindowRateLimiter(5, TimeSpan.FromMilliseconds(20));
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 5; i++) Assert.True(limiter.AttemptAcquire(1).IsAcquired, $"permit {i + 1} of the burst");
        var sixth = limiter.AttemptAcquire(1).IsAcquired;
        // The window is 1.02 s from the first grant; only a machine stalled that long could see the sixth granted.
        if (sw.Elapsed < TimeSpan.FromSeconds(1)) Assert.False(sixth);
        Assert.Equal(5, limiter.GetStatistics()!.TotalSuccessfulLeases);
    }

    [Fact]
    public async Task No_window_of_one_second_plus_margin_holds_more_than_the_limit()
    {
        using var limiter = new StrictWindowRateLimiter(5, TimeSpan.FromMilliseconds(20));
        var sw = Stopwatch.StartNew();
        // 11 permits at 5 per 1.02 s: the 6th waits for the 1st to leave the window, the 11th for the 6th.
        var all = Enumerable.Range(0, 11).Select(_ => limiter.AcquireAsync(1).AsTask()).ToArray();
        foreach (var lease in await Task.WhenAll(all)) Assert.True(lease.IsAcquired);
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(2 * 1020 - 15), $"11 permits took only {sw.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_request_holds_its_place_in_the_window_until_its_lease_is_released()
    {
        using var limiter = new StrictWindowRateLimiter(1, TimeSpan.Zero);
        var first = await limiter.AcquireAsync(1);
        await Task.Delay(300);          // the call is still running: the API may not have seen it yet
        first.Dispose();
        var released = Stopwatch.StartNew();
        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        // A window from the release, not from the grant (which would allow the next one after ~0.7 s).
        Assert.True(released.Elapsed >= TimeSpan.FromMilliseconds(1000 - 15), $"the next permit came {released.Elapsed.TotalMilliseconds:F0} ms after the release");
    }

    [Fact]
    public async Task A_fractional_rate_is_paced_evenly()
    {
        using var limiter = new StrictWindowRateLimiter(2.5, TimeSpan.Zero);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 4; i++) Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        // One permit per 0.4 s: no burst of two or three, as a window of "2.5" permits would allow.
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(3 * 400 - 15), $"4 permits took only {sw.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_cancelled_wait_ends_at_once_and_takes_no_permit()
    {
        using var limiter = new StrictWindowRateLimiter(1, TimeSpan.Zero);
        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.AcquireAsync(1, cts.Token).AsTask());
        Assert.Equal(1, limiter.GetStatistics()!.TotalSuccessfulLeases);
        Assert.Equal(0, limiter.GetStatistics()!.CurrentQueuedCount);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Rates_that_are_not_positive_numbers_are_refused(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new StrictWindowRateLimiter(rate, TimeSpan.Zero));
}
