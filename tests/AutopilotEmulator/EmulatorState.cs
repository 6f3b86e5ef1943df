using System;

namespace AutopilotEmulator;

/// <summary>Everything one running emulator holds: key, live configuration, data, counters.</summary>
internal sealed class EmulatorState
{
    private volatile EmulatorStore _store = new();
    private volatile bool _sendRetryAfter;
    private volatile int _bulkInvalid;
    private volatile string _apiKey;

    public EmulatorState(EmulatorOptions options)
    {
        options.Validate();
        _apiKey = options.ApiKey;
        Seed = options.Seed;
        MaxBodyBytes = options.MaxBodyBytes;
        _sendRetryAfter = options.SendRetryAfter;
        _bulkInvalid = (int)options.BulkInvalid;
        Limiter = new SlidingWindowLimiter(options.RateLimit);
        Faults = new FaultInjector(options.Faults, options.Seed);
        InstanceId = options.Seed is int s
            ? "emulator_" + new Random(s).Next().ToString("X8", System.Globalization.CultureInfo.InvariantCulture)
            : "emulator_" + Guid.NewGuid().ToString("N").Substring(0, 8).ToUpperInvariant();
    }

    /// <summary>The key accepted now; <see cref="EmulatorHost.SetApiKey"/> changes it at run time (a key revoked mid-run).</summary>
    public string ApiKey
    {
        get => _apiKey;
        set
        {
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException("The API key must not be empty.", nameof(value));
            _apiKey = value;
        }
    }
    public int? Seed { get; }
    /// <summary>Largest request body accepted (413 above it).</summary>
    public int MaxBodyBytes { get; }
    public string InstanceId { get; }
    public EmulatorStore Store => _store;
    public StatsCollector Stats { get; } = new();
    public SlidingWindowLimiter Limiter { get; }
    public FaultInjector Faults { get; }

    public bool SendRetryAfter { get => _sendRetryAfter; set => _sendRetryAfter = value; }
    public BulkInvalidMode BulkInvalid { get => (BulkInvalidMode)_bulkInvalid; set => _bulkInvalid = (int)value; }

    /// <summary>Clears contacts, lists, custom fields, counters, the request log and the rate window, and restarts the fault sequence; keeps key and configuration.</summary>
    public void Reset()
    {
        _store = new EmulatorStore();
        Stats.Reset();
        Limiter.Clear();
        Faults.Reseed();
    }
}

/// <summary>Per-request facts the middleware records after the handler ran.</summary>
internal sealed class RequestInfo
{
    public int? ContactCount;
}

/// <summary>Endpoint metadata: the route template used in statistics.</summary>
internal sealed class ApiRouteMetadata
{
    public ApiRouteMetadata(string template) => Template = template;
    public string Template { get; }
}
