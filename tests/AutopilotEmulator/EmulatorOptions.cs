using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutopilotEmulator;

/// <summary>What a bulk call (POST /v1/contacts) does with an invalid item (the contract calls it unknown).</summary>
public enum BulkInvalidMode
{
    /// <summary>400 for the whole call, nothing written, the message naming the offending index (default, stricter).</summary>
    Reject,
    /// <summary>200; the valid items are written, the invalid ones are simply absent from the answer.</summary>
    Skip,
}

/// <summary>Start-up configuration of an emulator instance.</summary>
public sealed class EmulatorOptions
{
    /// <summary>The one API key the emulator accepts in the <c>autopilotapikey</c> header.</summary>
    public string ApiKey { get; set; } = "emulator-api-key";

    /// <summary>Accepted requests per second for the key (sliding 1-second window); 0 = no limit. Default 5 (the contract's figure).</summary>
    public double RateLimit { get; set; } = 5;

    /// <summary>Send <c>Retry-After</c> with 429 and injected 503 answers (default true; the real service is not known to send it).</summary>
    public bool SendRetryAfter { get; set; } = true;

    /// <summary>Behaviour of a bulk call holding an invalid item.</summary>
    public BulkInvalidMode BulkInvalid { get; set; } = BulkInvalidMode.Reject;

    /// <summary>Fault injection profile, or null for none.</summary>
    public FaultProfile? Faults { get; set; }

    /// <summary>Seed of the fault generator; the same seed and the same sequence of requests give the same faults. Null = random.</summary>
    public int? Seed { get; set; }

    /// <summary>Largest request body accepted; larger is answered 413. Default 8 MB: above the 2 MB the contract
    /// names as the safe bound, so a client that keeps to the safe bound never meets it.</summary>
    public int MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    public const int DefaultMaxBodyBytes = 8 * 1024 * 1024;

    internal EmulatorOptions Clone() => new()
    {
        ApiKey = ApiKey,
        RateLimit = RateLimit,
        SendRetryAfter = SendRetryAfter,
        BulkInvalid = BulkInvalid,
        Faults = Faults?.Clone(),
        Seed = Seed,
        MaxBodyBytes = MaxBodyBytes,
    };

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ApiKey)) throw new ArgumentException("EmulatorOptions.ApiKey must not be empty.");
        if (double.IsNaN(RateLimit) || RateLimit < 0 || double.IsInfinity(RateLimit)) throw new ArgumentException("EmulatorOptions.RateLimit must be a finite number >= 0.");
        if (MaxBodyBytes < 1024) throw new ArgumentException("EmulatorOptions.MaxBodyBytes must be at least 1024.");
        Faults?.Validate();
    }
}

/// <summary>
/// Fault injection profile (JSON, camelCase, e.g. <c>{"error500Rate":0.05,"paths":["/v1/contacts"]}</c>).
/// Per faulted request one fault kind is drawn: error500, error503, reset, acceptThenFail and malformed are
/// mutually exclusive and their rates must add up to at most 1. Latency applies to every faulted request.
/// </summary>
public sealed class FaultProfile
{
    /// <summary>Share of requests answered 500 before being handled.</summary>
    public double Error500Rate { get; set; }
    /// <summary>Share of requests answered 503 (with <c>Retry-After: RetryAfterSeconds</c>) before being handled.</summary>
    public double Error503Rate { get; set; }
    /// <summary>Retry-After of injected 503s, whole seconds (default 1).</summary>
    public int RetryAfterSeconds { get; set; } = 1;
    /// <summary>Share of requests whose connection is aborted before they are handled (nothing written).</summary>
    public double ResetRate { get; set; }
    /// <summary>Share of requests that are handled (the write lands) and then have their connection aborted.</summary>
    public double AcceptThenFailRate { get; set; }
    /// <summary>Share of requests that are handled and then answered 200 with a truncated, invalid JSON body.</summary>
    public double MalformedRate { get; set; }
    /// <summary>Delay added to every faulted request, milliseconds.</summary>
    public int LatencyMs { get; set; }
    /// <summary>Share of faulted requests that get an extra <see cref="LatencySpikeMs"/> delay.</summary>
    public double LatencySpikeRate { get; set; }
    /// <summary>Extra delay of a latency spike, milliseconds.</summary>
    public int LatencySpikeMs { get; set; }
    /// <summary>Path prefixes (e.g. "/v1/contacts") the faults apply to; null or empty = every /v1 route.</summary>
    public string[]? Paths { get; set; }
    /// <summary>HTTP methods (e.g. "DELETE" for list-membership removals) the faults apply to; null or empty = every method.</summary>
    public string[]? Methods { get; set; }

    public FaultProfile Clone()
    {
        var c = (FaultProfile)MemberwiseClone();
        c.Paths = Paths?.ToArray();
        c.Methods = Methods?.ToArray();
        return c;
    }

    /// <summary>Throws <see cref="ArgumentException"/> when a rate is outside 0..1, the exclusive rates add up to more than 1, or a delay is negative.</summary>
    public void Validate()
    {
        void Rate(double v, string name)
        {
            if (double.IsNaN(v) || v < 0 || v > 1) throw new ArgumentException($"FaultProfile.{name} must be between 0 and 1 (got {v}).");
        }
        Rate(Error500Rate, "error500Rate"); Rate(Error503Rate, "error503Rate"); Rate(ResetRate, "resetRate");
        Rate(AcceptThenFailRate, "acceptThenFailRate"); Rate(MalformedRate, "malformedRate"); Rate(LatencySpikeRate, "latencySpikeRate");
        double sum = Error500Rate + Error503Rate + ResetRate + AcceptThenFailRate + MalformedRate;
        if (sum > 1 + 1e-9) throw new ArgumentException($"FaultProfile: error500Rate + error503Rate + resetRate + acceptThenFailRate + malformedRate must be at most 1 (got {sum}).");
        if (LatencyMs < 0 || LatencySpikeMs < 0) throw new ArgumentException("FaultProfile: latencyMs and latencySpikeMs must be >= 0.");
        if (RetryAfterSeconds < 1) throw new ArgumentException("FaultProfile.retryAfterSeconds must be >= 1.");
        if (Paths != null && Paths.Any(p => string.IsNullOrWhiteSpace(p) || p[0] != '/'))
            throw new ArgumentException("FaultProfile.paths entries must be path prefixes starting with '/', e.g. \"/v1/contacts\".");
        if (Methods != null && Methods.Any(m => m is not ("GET" or "POST" or "DELETE" or "get" or "post" or "delete")))
            throw new ArgumentException("FaultProfile.methods entries must be GET, POST or DELETE.");
    }

    /// <summary>Parses the camelCase JSON form; unknown properties are an error.</summary>
    public static FaultProfile Parse(string json)
    {
        FaultProfile? p;
        try { p = JsonSerializer.Deserialize(json, EmulatorJsonContext.Default.FaultProfile); }
        catch (JsonException e) { throw new ArgumentException("Invalid fault profile JSON: " + e.Message, e); }
        if (p == null) throw new ArgumentException("Invalid fault profile JSON: null.");
        p.Validate();
        return p;
    }

    /// <summary>Reads and parses a fault profile file.</summary>
    public static FaultProfile Load(string path) => Parse(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, EmulatorJsonContext.Default.FaultProfile);

    public override string ToString() => ToJson();

    internal bool Applies(string method, string path)
    {
        if (Methods != null && Methods.Length > 0 && !Methods.Any(m => string.Equals(m, method, StringComparison.OrdinalIgnoreCase))) return false;
        if (Paths == null || Paths.Length == 0) return path.StartsWith("/v1/", StringComparison.OrdinalIgnoreCase) || path.Equals("/v1", StringComparison.OrdinalIgnoreCase);
        foreach (var p in Paths)
            if (path.StartsWith(p, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FaultProfile))]
internal sealed partial class EmulatorJsonContext : JsonSerializerContext
{
}
