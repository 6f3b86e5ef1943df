using System.Diagnostics;
using Xunit;
using static AutopilotEmulator.Tests.Patterns;

namespace AutopilotEmulator.Tests;

public class RateLimitTests
{
    // A rate of 0.05/s allows one request per 20 s: a burst is throttled without depending on timing.
    [Fact]
    public async Task Burst_over_the_limit_is_429_with_retry_after()
    {
        await using var api = await Api.StartAsync(o => o.RateLimit = 0.05);
        Assert.Equal(200, (await api.Get("/account")).Code);
        for (int i = 0; i < 3; i++)
        {
            var r = await api.Get("/account");
            AssertError(r, 429, "Too Many Requests", "Rate limit exceeded: at most 0.05 requests per second.");
            var retryAfter = r.RetryAfter;
            Assert.NotNull(retryAfter);
            Assert.InRange(retryAfter!.Value.TotalSeconds, 1, 20);
            Assert.Equal(0, retryAfter.Value.TotalSeconds % 1);      // whole seconds
        }
        var stats = api.Host.Stats();
        Assert.Equal(3, stats.Throttled);
        Assert.Equal(1, stats.Count("GET /v1/account", 200));
        Assert.Equal(3, stats.Count("GET /v1/account", 429));
    }

    [Fact]
    public async Task Retry_after_can_be_omitted()
    {
        await using var api = await Api.StartAsync(o => { o.RateLimit = 0.05; o.SendRetryAfter = false; });
        Assert.Equal(200, (await api.Get("/account")).Code);
        var r = await api.Get("/account");
        Assert.Equal(429, r.Code);
        Assert.Null(r.Headers.RetryAfter);
        Assert.False(r.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Throttled_writes_are_not_performed()
    {
        await using var api = await Api.StartAsync(o => o.RateLimit = 0.05);
        Assert.Equal(200, (await api.Post("/contact", "{\"contact\":{\"Email\":\"a@example.com\"}}")).Code);
        Assert.Equal(429, (await api.Post("/contact", "{\"contact\":{\"Email\":\"b@example.com\"}}")).Code);
        Assert.Equal(new[] { "a@example.com" }, api.Host.Contacts().Select(c => c.Email));
    }

    [Fact]
    public async Task Inspection_routes_are_never_limited_and_unauthenticated_calls_are_not_counted()
    {
        await using var api = await Api.StartAsync(o => o.RateLimit = 0.05);
        for (int i = 0; i < 3; i++) Assert.Equal(401, (await api.Get("/account", key: "wrong")).Code);
        Assert.Equal(200, (await api.Get("/account")).Code);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await api.Inspect("stats")).Code);
            Assert.Equal(200, (await api.Inspect("contacts")).Code);
        }
    }

    [Fact]
    public async Task Rate_limit_can_be_changed_and_switched_off_at_run_time()
    {
        await using var api = await Api.StartAsync(o => o.RateLimit = 0.05);
        Assert.Equal(200, (await api.Get("/account")).Code);
        Assert.Equal(429, (await api.Get("/account")).Code);
        api.Host.SetRateLimit(0);
        for (int i = 0; i < 20; i++) Assert.Equal(200, (await api.Get("/account")).Code);
        api.Host.SetRateLimit(0.05);
        Assert.Equal(200, (await api.Get("/account")).Code);
        Assert.Equal(429, (await api.Get("/account")).Code);
    }

    [Fact]
    public async Task Default_rate_is_5_per_second_and_a_concurrent_burst_is_throttled()
    {
        await using var api = await Api.StartAsync(o => o.RateLimit = 5);
        var sw = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => api.Get("/account")));
        sw.Stop();
        int ok = results.Count(r => r.Code == 200), throttled = results.Count(r => r.Code == 429);
        Assert.Equal(12, ok + throttled);
        Assert.Equal(throttled, api.Host.Stats().Throttled);
        Assert.True(ok >= 5, $"{ok} accepted");
        if (sw.Elapsed < TimeSpan.FromSeconds(1)) Assert.Equal(5, ok);   // the whole burst fell into one window
        Assert.Equal(5, new EmulatorOptions().RateLimit);
    }

    // ---- the limiter itself, driven with synthetic time ----

    private static long T(double seconds) => (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void Limiter_allows_N_per_sliding_second_and_rejections_do_not_count()
    {
        var l = new SlidingWindowLimiter(5);
        for (int i = 0; i < 5; i++) Assert.True(l.TryAcquire(T(i * 0.1), out _));
        Assert.False(l.TryAcquire(T(0.5), out var ra));
        Assert.Equal(1, ra);
        for (int i = 0; i < 50; i++) Assert.False(l.TryAcquire(T(0.5 + i * 0.009), out _));   // rejected: not recorded
        Assert.True(l.TryAcquire(T(1.0), out _));     // the request at 0.0 left the window
        Assert.False(l.TryAcquire(T(1.05), out _));
        Assert.True(l.TryAcquire(T(1.15), out _));    // the request at 0.1 left
    }

    [Fact]
    public void Limiter_never_admits_more_than_N_in_any_one_second_window()
    {
        var rnd = new Random(3);
        var l = new SlidingWindowLimiter(5);
        var accepted = new List<long>();
        long now = 0;
        for (int i = 0; i < 5000; i++)
        {
            now += (long)(rnd.NextDouble() * 0.08 * Stopwatch.Frequency);
            if (l.TryAcquire(now, out _)) accepted.Add(now);
        }
        for (int i = 5; i < accepted.Count; i++)
            Assert.True(accepted[i] - accepted[i - 5] >= Stopwatch.Frequency, $"6 accepted within one second at #{i}");
        Assert.True(accepted.Count > 800, $"{accepted.Count} accepted");   // ~200 s of arrivals at ~25/s: close to 5/s get through
    }

    [Fact]
    public void Limiter_fractional_and_low_rates()
    {
        var l = new SlidingWindowLimiter(2.5);         // floor: 2 per second (the strict reading)
        Assert.True(l.TryAcquire(T(0), out _));
        Assert.True(l.TryAcquire(T(0.1), out _));
        Assert.False(l.TryAcquire(T(0.2), out _));

        var slow = new SlidingWindowLimiter(0.5);      // one request per 2 s
        Assert.True(slow.TryAcquire(T(0), out _));
        Assert.False(slow.TryAcquire(T(0.5), out var ra));
        Assert.Equal(2, ra);
        Assert.False(slow.TryAcquire(T(1.9), out ra));
        Assert.Equal(1, ra);
        Assert.True(slow.TryAcquire(T(2.0), out _));

        var off = new SlidingWindowLimiter(0);
        for (int i = 0; i < 1000; i++) Assert.True(off.TryAcquire(T(0), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlidingWindowLimiter(-1));
    }
}
