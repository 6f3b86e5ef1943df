using System;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;

namespace AutopilotExport.Engine.Send
{
    /// <summary>
    /// The key check (GET /account) as an export makes its calls: in the account's shared pace, and retried
    /// when the answer is "too many requests" or a passing fault, so a check made while an export runs on the
    /// same key waits its turn instead of failing at once.
    /// </summary>
    public static class KeyCheck
    {
        private const int MaxRetries = 4;
        private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(15);
        private static readonly TimeSpan RetryBaseDelay = TimeSpan.FromMilliseconds(500);

        /// <summary>Longest a check can take with its retries (Retry-After waits included); callers allow this much.</summary>
        public static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

        public static async Task<AccountInfo> GetAccountAsync(AutopilotApiClient client, double requestsPerSecond, Action<string>? verbose, CancellationToken cancellationToken)
        {
            using var policy = new ResiliencePolicy(ApiPace.For(client, requestsPerSecond), MaxRetries, AttemptTimeout, RetryBaseDelay,
                notice => verbose?.Invoke($"GET /account: attempt {notice.Attempt} after {notice.Cause?.Message ?? "failure"}; waiting {notice.Delay.TotalSeconds:0.0} s."),
                () => { });
            try
            {
                return await policy.ExecuteAsync("GET /account", client.GetAccountAsync, cancellationToken).ConfigureAwait(false);
            }
            catch (Polly.Timeout.TimeoutRejectedException ex)
            {
                throw new AutopilotApiException(0, $"GET /account: no answer from {client.Endpoint} within {AttemptTimeout.TotalSeconds:0} s, {MaxRetries + 1} times", inner: ex);
            }
        }
    }
}
