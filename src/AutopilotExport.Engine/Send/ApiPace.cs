using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;

namespace AutopilotExport.Engine.Send
{
    /// <summary>
    /// One pace per Autopilot account and rate for the whole process. The API counts requests per key, so a
    /// key check (New-/Test-AutopilotConnection) followed at once by an export, or two exports running side by
    /// side in one session, must share one window; each with its own limiter would together exceed the limit.
    /// </summary>
    public static class ApiPace
    {
        /// <summary>Added to every pacing window: requests that leave a second apart can arrive a little closer
        /// together (network and scheduling jitter), and a 429 costs a whole Retry-After. 20 ms of 1 s keeps 98%
        /// of the rate.</summary>
        internal static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(20);

        private static readonly ConcurrentDictionary<string, RateLimiter> Limiters = new ConcurrentDictionary<string, RateLimiter>(StringComparer.Ordinal);

        /// <summary>The shared limiter for this client's account at this rate; null when <paramref name="requestsPerSecond"/> is 0 (no pacing).</summary>
        internal static RateLimiter? For(AutopilotApiClient client, double requestsPerSecond) => For(client.AccountFingerprint, requestsPerSecond);

        internal static RateLimiter? For(string accountFingerprint, double requestsPerSecond)
        {
            if (!(requestsPerSecond > 0)) return null;
            var key = accountFingerprint + "|" + requestsPerSecond.ToString("R", CultureInfo.InvariantCulture);
            return Limiters.GetOrAdd(key, _ => new StrictWindowRateLimiter(requestsPerSecond, Margin));
        }

        /// <summary>One call in its turn of the account's pace, not retried: for look-ups that must answer quickly or
        /// not at all (tab completion asks the API for list names).</summary>
        public static async Task<T> RunOnceAsync<T>(AutopilotApiClient client, double requestsPerSecond, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        {
            var limiter = For(client, requestsPerSecond);
            using var lease = limiter != null ? await limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false) : null;
            return await call(cancellationToken).ConfigureAwait(false);
        }
    }
}
