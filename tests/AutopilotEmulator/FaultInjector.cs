using System;

namespace AutopilotEmulator;

internal enum FaultKind { None, Error500, Error503, Reset, AcceptThenFail, Malformed }

internal readonly record struct FaultDecision(FaultKind Kind, int DelayMs, int RetryAfterSeconds);

/// <summary>
/// Draws faults per request in arrival order from a seeded Random under a lock: two numbers per faulted
/// request (fault kind, latency spike), so the same seed and the same request sequence give the same faults.
/// Setting a profile or resetting restarts the sequence from the seed.
/// </summary>
internal sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly int? _seed;
    private Random _rng;
    private volatile FaultProfile? _profile;

    public FaultInjector(FaultProfile? profile, int? seed)
    {
        _seed = seed;
        _rng = NewRandom();
        _profile = profile?.Clone();
    }

    public FaultProfile? Profile => _profile?.Clone();

    private Random NewRandom() => _seed is int s ? new Random(s) : new Random();

    public void Set(FaultProfile? profile)
    {
        profile?.Validate();
        lock (_gate)
        {
            _profile = profile?.Clone();
            _rng = NewRandom();
        }
    }

    public void Reseed() { lock (_gate) _rng = NewRandom(); }

    public FaultDecision Draw(string method, string path)
    {
        if (_profile == null) return default;
        double u1, u2;
        FaultProfile? p;
        lock (_gate)
        {
            p = _profile;
            if (p == null || !p.Applies(method, path)) return default;
            u1 = _rng.NextDouble();
            u2 = _rng.NextDouble();
        }
        int delay = p.LatencyMs + (u2 < p.LatencySpikeRate ? p.LatencySpikeMs : 0);
        var kind = FaultKind.None;
        double edge = p.Error500Rate;
        if (u1 < edge) kind = FaultKind.Error500;
        else if (u1 < (edge += p.Error503Rate)) kind = FaultKind.Error503;
        else if (u1 < (edge += p.ResetRate)) kind = FaultKind.Reset;
        else if (u1 < (edge += p.AcceptThenFailRate)) kind = FaultKind.AcceptThenFail;
        else if (u1 < (edge += p.MalformedRate)) kind = FaultKind.Malformed;
        return new FaultDecision(kind, delay, p.RetryAfterSeconds);
    }
}
