using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;

namespace AutopilotExport.Engine.Export
{
    /// <summary>
    /// Client-side pace for an API that counts requests in a strict sliding one-second window (Autopilot: 5 per
    /// second, 429 beyond). A permit is granted only when fewer than <c>limit</c> permits were granted in the
    /// last window (plus a small margin for network jitter), measured from the moment each permit was actually
    /// handed out. The library's limiters do not give that guarantee: a token bucket or fixed window lets a burst
    /// at the end of one period meet a burst at the start of the next (2×limit inside one second), and the
    /// segmented sliding window releases permits up to one segment early; an even token bucket slow enough to be
    /// safe wastes several percent of the allowed rate. Waiters are served one at a time, in arrival order.
    /// </summary>
    internal sealed class StrictWindowRateLimiter : RateLimiter
    {
        private readonly SemaphoreSlim _turn = new SemaphoreSlim(1, 1);
        private readonly long[] _granted;      // Stopwatch timestamps of the last `limit` grants, a ring
        private readonly long _windowTicks;
        private readonly int _limit;
        private long _count;                   // grants so far (ring position)
        private long _lastGrant;
        private int _queued;

        /// <param name="requestsPerSecond">The API's limit. A whole number n allows bursts of n per window;
        /// a fraction (0.5/s, 2.5/s) is paced evenly, one per 1/rate seconds.</param>
        /// <param name="margin">Added to every window, so requests that travel at slightly different speeds still
        /// arrive inside the server's limit.</param>
        public StrictWindowRateLimiter(double requestsPerSecond, TimeSpan margin)
        {
            if (!(requestsPerSecond > 0) || double.IsInfinity(requestsPerSecond)) throw new ArgumentOutOfRangeException(nameof(requestsPerSecond));
            bool whole = requestsPerSecond >= 1 && Math.Abs(requestsPerSecond - Math.Round(requestsPerSecond)) < 1e-9;
            _limit = whole ? (int)Math.Round(requestsPerSecond) : 1;
            double windowSeconds = whole ? 1.0 : 1.0 / requestsPerSecond;
            _windowTicks = (long)((windowSeconds + margin.TotalSeconds) * Stopwatch.Frequency);
            _granted = new long[_limit];
            _lastGrant = Stopwatch.GetTimestamp();
        }

        public override TimeSpan? IdleDuration =>
            Volatile.Read(ref _queued) > 0 ? (TimeSpan?)null
                : TimeSpan.FromSeconds((Stopwatch.GetTimestamp() - Interlocked.Read(ref _lastGrant)) / (double)Stopwatch.Frequency);

        public override RateLimiterStatistics? GetStatistics() => new RateLimiterStatistics
        {
            CurrentQueuedCount = Volatile.Read(ref _queued),
            TotalSuccessfulLeases = Interlocked.Read(ref _count),
        };

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            if (permitCount != 1) throw new ArgumentOutOfRangeException(nameof(permitCount), "One permit per request.");
            if (!_turn.Wait(0)) return Lease.Refused;
            try
            {
                long now = Stopwatch.GetTimestamp();
                if (WaitTicks(now) > 0) return Lease.Refused;
                Grant(now);
                return Lease.Granted;
            }
            finally { _turn.Release(); }
        }

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            if (permitCount != 1) throw new ArgumentOutOfRangeException(nameof(permitCount), "One permit per request.");
            Interlocked.Increment(ref _queued);
            try
            {
                await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    while (true)
                    {
                        long wait = WaitTicks(Stopwatch.GetTimestamp());
                        if (wait <= 0) break;
                        // Timers may fire early by a fraction of a millisecond: loop until the window really allows it.
                        await Task.Delay(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency)),
                            cancellationToken).ConfigureAwait(false);
                    }
                    Grant(Stopwatch.GetTimestamp());
                    return Lease.Granted;
                }
                finally { _turn.Release(); }
            }
            finally { Interlocked.Decrement(ref _queued); }
        }

        /// <summary>Stopwatch ticks until a permit may be granted; zero or less when it may be now. Under _turn.</summary>
        private long WaitTicks(long now)
        {
            if (_count < _limit) return 0;
            long oldest = _granted[_count % _limit];   // the grant `limit` permits ago
            return oldest + _windowTicks - now;
        }

        private void Grant(long now)
        {
            _granted[_count % _limit] = now;
            Interlocked.Increment(ref _count);
            Interlocked.Exchange(ref _lastGrant, now);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _turn.Dispose();
            base.Dispose(disposing);
        }

        private sealed class Lease : RateLimitLease
        {
            public static readonly Lease Granted = new Lease(true);
            public static readonly Lease Refused = new Lease(false);
            private Lease(bool acquired) { IsAcquired = acquired; }
            public override bool IsAcquired { get; }
            public override IEnumerable<string> MetadataNames => Array.Empty<string>();
            public override bool TryGetMetadata(string metadataName, out object? metadata) { metadata = null; return false; }
        }
    }
}
