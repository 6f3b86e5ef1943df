using System;

namespace AutopilotExport
{
    /// <summary>A saved connection to an Autopilot instance. Holds no key: only where the key comes from.</summary>
    public sealed class AutopilotConnection
    {
        public string Name { get; set; } = "";
        public string BaseUri { get; set; } = "";
        /// <summary>"Stored" (encrypted in the state folder) or "Environment" ($env:AUTOPILOT_API_KEY at each use).</summary>
        public string KeySource { get; set; } = "";
        /// <summary>How a stored key is protected, e.g. "DPAPI (CurrentUser)" or "AES-256 + HMAC, owner-only key file".</summary>
        public string KeyProtection { get; set; } = "";
        public double RequestsPerSecond { get; set; }
        /// <summary>When the data-privacy consent (-AcceptDataPrivacy) was given.</summary>
        public DateTimeOffset ConsentedAt { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public string? InstanceId { get; set; }
        public DateTimeOffset? LastValidatedAt { get; set; }

        public override string ToString() => Name;
    }

    /// <summary>What Test-AutopilotConnection found.</summary>
    public sealed class AutopilotConnectionTestResult
    {
        public string Name { get; set; } = "";
        public bool Success { get; set; }
        public string? InstanceId { get; set; }
        /// <summary>HTTP status of GET /account; 0 when no answer arrived (or no request was made).</summary>
        public int StatusCode { get; set; }
        public string Message { get; set; } = "";
        public TimeSpan ResponseTime { get; set; }

        public override string ToString() => $"{Name}: {(Success ? "OK" : "failed")} ({Message})";
    }
}
