using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;

namespace AutopilotExport.Engine.Send
{
    /// <summary>
    /// Client-side pace for an API that counts requests in a strict sliding one-second window (Autopilot: 5 per
    /// second, 429 beyond). A permit is granted only when fewer than <c>limit</c> requests were in flight or
    /// finished within the last window (plus a small margin). A request's place in the window is the moment its
    /// lease is released (when the caller has its answer), or its grant while it is still running: the server
    /// saw the request somewhere in between, so the next one can never arrive less than a window after it, even
    /// when the first request of a run spends 100 ms connecting. The library's limiters do not give that
    /// guarantee: a token bucket or fixed window lets a burst at the end of one period meet a burst at the start
    /// of the next (2×limit inside one second), the segmented sliding window releases permits up to one segment
    /// early, and all of them count from the grant. Waiters are served one at a time, in arrival order.
    /// </summary>
    internal sealed class StrictWindowRateLimiter : RateLimiter
    {
        private readonly SemaphoreSlim _turn = new SemaphoreSlim(1, 1);
        private readonly object _ring = new object();
        private readonly long[] _times;        // Stopwatch timestamps of the last `limit` requests (grant, then release), a ring
        private readonly long _windowTicks;
        private readonly int _limit;
        private long _count;                   // grants so far; grant n lives in _times[n % limit] until grant n + limit
        private long _lastGrant;
        private int _queued;

        /// <param name="requestsPerSecond">The API's limit. A whole number n allows bursts of n per window;
        /// a fraction (0.5/s, 2.5/s) is paced evenly, one per 1/rate seconds.</param>
        /// <param name="margin">Added to every window, for clocks and timers that are not exact.</param>
        public StrictWindowRateLimiter(double requestsPerSecond, TimeSpan margin)
        {
            if (!(requestsPerSecond > 0) || double.IsInfinity(requestsPerSecond)) throw new ArgumentOutOfRangeException(nameof(requestsPerSecond));
            bool whole = requestsPerSecond >= 1 && Math.Abs(requestsPerSecond - Math.Round(requestsPerSecond)) < 1e-9;
            _limit = whole ? (int)Math.Round(requestsPerSecond) : 1;
            double windowSeconds = whole ? 1.0 : 1.0 / requestsPerSecond;
            _windowTicks = (long)((windowSeconds + margin.TotalSeconds) * Stopwatch.Frequency);
            _times = new long[_limit];
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
                lock (_ring)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (WaitTicks(now) > 0) return Lease.Refused;
                    return new Lease(this, Grant(now));
                }
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
                        long wait;
                        lock (_ring)
                        {
                            long now = Stopwatch.GetTimestamp();
                            wait = WaitTicks(now);
                            if (wait <= 0) return new Lease(this, Grant(now));
                        }
                        // Checked again after the wait: the request that frees the place may have finished later than
                        // it started (its place moves to its release), and timers may fire a little early.
                        await Task.Delay(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency)),
                            cancellationToken).ConfigureAwait(false);
                    }
                }
                finally { _turn.Release(); }
            }
            finally { Interlocked.Decrement(ref _queued); }
        }

        /// <summary>Stopwatch ticks until a permit may be granted; zero or less when it may be now. Under _ring.</summary>
        private long WaitTicks(long now)
        {
            if (_count < _limit) return 0;
            return _times[_count % _limit] + _windowTicks - now;   // the request `limit` grants ago
        }

        /// <summary>Under _ring. Returns the grant's number.</summary>
        private long Grant(long now)
        {
            long number = _count;
            _times[number % _limit] = now;
            Interlocked.Increment(ref _count);
            Interlocked.Exchange(ref _lastGrant, now);
            return number;
        }

        private void Release(long number)
        {
            lock (_ring)
            {
                // Its place is still in the ring until grant number + limit; later, it no longer matters.
                if (_count <= number + _limit) _times[number % _limit] = Math.Max(_times[number % _limit], Stopwatch.GetTimestamp());
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _turn.Dispose();
            base.Dispose(disposing);
        }

        private sealed class Lease : RateLimitLease
        {
            public static readonly Lease Refused = new Lease(null, -1);
            private StrictWindowRateLimiter? _owner;
            private readonly long _number;

            public Lease(StrictWindowRateLimiter? owner, long number) { _owner = owner; _number = number; }
            public override bool IsAcquired => _number >= 0;
            public override IEnumerable<string> MetadataNames => Array.Empty<string>();
            public override bool TryGetMetadata(string metadataName, out object? metadata) { metadata = null; return false; }

            protected override void Dispose(bool disposing)
            {
                Interlocked.Exchange(ref _owner, null)?.Release(_number);
                base.Dispose(disposing);
            }
        }
    }
}
