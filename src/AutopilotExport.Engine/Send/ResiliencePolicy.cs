using System;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace AutopilotExport.Engine.Send
{
    /// <summary>What a retry is about to do, for counters and verbose output.</summary>
    internal readonly struct RetryNotice
    {
        public RetryNotice(string operation, int attempt, TimeSpan delay, Exception? cause)
        {
            Operation = operation; Attempt = attempt; Delay = delay; Cause = cause;
        }
        public string Operation { get; }
        public int Attempt { get; }
        public TimeSpan Delay { get; }
        public Exception? Cause { get; }
        public bool Throttled => Cause is AutopilotApiException api && api.IsThrottled;
    }

    /// <summary>
    /// Every API call of a run goes through here: retry (exponential backoff with jitter, Retry-After honoured)
    /// around a circuit breaker (a sustained outage ends the run instead of retrying for hours) around the
    /// client-side pace (a strict one-second window shared by all senders, so the run stays under the API's rate limit)
    /// and a per-attempt timeout.
    /// </summary>
    internal sealed class ResiliencePolicy : IDisposable
    {
        private readonly ResiliencePipeline _pipeline;
        private readonly ResiliencePipeline? _timeout;
        private readonly RateLimiter? _limiter;
        private readonly Action<RetryNotice> _onRetry;
        private readonly Action _onAttempt;

        /// <param name="pace">The account's shared limiter (<see cref="ApiPace"/>), or null for no pacing; not owned.</param>
        public ResiliencePolicy(RateLimiter? pace, int maxRetries, TimeSpan requestTimeout, TimeSpan retryBaseDelay,
            Action<RetryNotice> onRetry, Action onAttempt, Random? jitter = null)
        {
            _onRetry = onRetry;
            _onAttempt = onAttempt;
            _limiter = pace;
            var random = jitter ?? new Random();

            var builder = new ResiliencePipelineBuilder()
                .AddRetry(new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder()
                        .Handle<AutopilotApiException>(e => e.IsTransient)
                        .Handle<TimeoutRejectedException>(),
                    MaxRetryAttempts = Math.Max(0, maxRetries),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = retryBaseDelay,
                    MaxDelay = TimeSpan.FromSeconds(30),
                    DelayGenerator = args =>
                    {
                        // The server said when: wait that long, plus a little jitter so senders do not return together.
                        if (args.Outcome.Exception is AutopilotApiException api && api.RetryAfter is TimeSpan ra)
                        {
                            double spread;
                            lock (random) spread = random.NextDouble();
                            return new ValueTask<TimeSpan?>(ra + TimeSpan.FromMilliseconds(50 + spread * 250));
                        }
                        return new ValueTask<TimeSpan?>((TimeSpan?)null);
                    },
                    OnRetry = args =>
                    {
                        var op = args.Context.Properties.TryGetValue(OperationKey, out var name) ? name : "request";
                        _onRetry(new RetryNotice(op, args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception));
                        return default;
                    },
                })
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions
                {
                    // Only what says "the service is down" opens it; 429 is pacing, 4xx is the payload.
                    ShouldHandle = new PredicateBuilder()
                        .Handle<AutopilotApiException>(e => e.StatusCode == 0 || e.StatusCode >= 500)
                        .Handle<TimeoutRejectedException>(),
                    // Counted over two minutes and from eight calls on: a caller backing off exponentially
                    // makes few calls per window, and an outage must still trip the breaker within about a
                    // minute (8 attempts at the default 0.5 s base delay), while scattered faults never do.
                    FailureRatio = 0.8,
                    MinimumThroughput = 8,
                    SamplingDuration = TimeSpan.FromMinutes(2),
                    BreakDuration = TimeSpan.FromSeconds(30),
                });
            if (_limiter == null)
            {
                // Unpaced: the per-attempt timeout is the pipeline's innermost strategy, one pipeline per call.
                _pipeline = builder.AddTimeout(requestTimeout).Build();
                _timeout = null;
            }
            else
            {
                // Paced: the timeout must start once the pace lets the attempt go, so it runs inside the lease.
                _pipeline = builder.Build();
                _timeout = new ResiliencePipelineBuilder().AddTimeout(requestTimeout).Build();
            }
        }

        internal static readonly ResiliencePropertyKey<string> OperationKey = new ResiliencePropertyKey<string>("AutopilotExport.Operation");

        /// <summary>Runs <paramref name="call"/> with pacing, timeout, circuit breaker and retries.</summary>
        public async Task<T> ExecuteAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(OperationKey, operation);
            try
            {
                if (_timeout == null)
                {
                    return await _pipeline.ExecuteAsync(static (ctx, state) =>
                    {
                        state.Self._onAttempt();
                        return new ValueTask<T>(state.Call(ctx.CancellationToken));
                    }, context, (Self: this, Call: call)).ConfigureAwait(false);
                }
                return await _pipeline.ExecuteAsync(async ctx =>
                {
                    // The lease is held until the answer is in: the pace counts a request's place in the window
                    // from when it was surely seen by the API (see StrictWindowRateLimiter).
                    using var lease = await _limiter!.AcquireAsync(1, ctx.CancellationToken).ConfigureAwait(false);
                    if (!lease.IsAcquired) throw new InvalidOperationException("The client-side rate limiter refused a permit.");
                    _onAttempt();
                    return await _timeout.ExecuteAsync(async ct => await call(ct).ConfigureAwait(false), ctx.CancellationToken).ConfigureAwait(false);
                }, context).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        // The limiter is shared by every run on the account (ApiPace) and outlives this policy.
        public void Dispose() { }
    }
}
