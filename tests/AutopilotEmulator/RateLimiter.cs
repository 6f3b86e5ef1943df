using System;
using System.Diagnostics;

namespace AutopilotEmulator;

/// <summary>
/// Strict sliding-window limiter: no window of 1 second holds more than floor(N) accepted requests
/// (for N below 1: one request per 1/N seconds). Rejected requests are not recorded, so they do not
/// count toward the window. Time is Stopwatch ticks so tests can drive it.
/// </summary>
internal sealed class SlidingWindowLimiter
{
    private readonly object _gate = new();
    private double _rate;
    private int _capacity;
    private long _window;          // Stopwatch ticks
    private long[] _ring = Array.Empty<long>();
    private int _head;             // index of the oldest accepted timestamp
    private int _count;

    public SlidingWindowLimiter(double rate) => Configure(rate);

    public double Rate { get { lock (_gate) return _rate; } }

    public void Configure(double rate)
    {
        if (double.IsNaN(rate) || double.IsInfinity(rate) || rate < 0) throw new ArgumentOutOfRangeException(nameof(rate), "The rate limit must be a finite number >= 0.");
        lock (_gate)
        {
            _rate = rate;
            if (rate == 0) { _capacity = 0; _ring = Array.Empty<long>(); }
            else if (rate >= 1)
            {
                _capacity = (int)Math.Min(Math.Floor(rate), 1_000_000);
                _window = Stopwatch.Frequency;
            }
            else
            {
                _capacity = 1;
                _window = (long)Math.Ceiling(Stopwatch.Frequency / rate);
            }
            _ring = new long[Math.Max(_capacity, 0)];
            _head = 0; _count = 0;
        }
    }

    public void Clear() { lock (_gate) { _head = 0; _count = 0; } }

    public bool TryAcquire(out int retryAfterSeconds) => TryAcquire(Stopwatch.GetTimestamp(), out retryAfterSeconds);

    public bool TryAcquire(long now, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        lock (_gate)
        {
            if (_capacity == 0) return true;   // off
            while (_count > 0 && now - _ring[_head] >= _window)
            {
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
            if (_count < _capacity)
            {
                _ring[(_head + _count) % _ring.Length] = now;
                _count++;
                return true;
            }
            long wait = _window - (now - _ring[_head]);
            retryAfterSeconds = (int)Math.Max(1, Math.Ceiling((double)wait / Stopwatch.Frequency));
            return false;
        }
    }
}
