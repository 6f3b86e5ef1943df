using System;
using System.IO;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace AutopilotEmulator;

/// <summary>
/// Order for /v1: key check (400 missing / 401 wrong) → rate limit (429) → unknown route (404/405) →
/// faults (latency, then 500 / 503 / reset before the handler; acceptThenFail / malformed after it) → handler.
/// Statistics and the request log are written for every non-inspection request.
/// </summary>
internal sealed class EmulatorMiddleware
{
    public const string InspectionPrefix = "/__emulator";
    private readonly EmulatorState _st;

    public EmulatorMiddleware(EmulatorState state) => _st = state;

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        var pathString = ctx.Request.Path;
        if (pathString.StartsWithSegments(InspectionPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var remote = ctx.Connection.RemoteIpAddress;
            if (remote != null && !IPAddress.IsLoopback(remote))
            {
                await HttpJson.ErrorAsync(ctx, 403, "The inspection API answers loopback clients only.");
                return;
            }
            await next(ctx);
            return;
        }

        var st = _st;
        var info = new RequestInfo();
        ctx.Features.Set(info);
        var endpoint = ctx.GetEndpoint();
        var api = endpoint?.Metadata.GetMetadata<ApiRouteMetadata>();
        string template = api?.Template ?? "(unmatched)";
        string path = pathString.Value ?? "/";
        string? fault = null;
        bool aborted = false;
        try
        {
            if (!ctx.Request.Headers.TryGetValue("autopilotapikey", out var key) || StringValues.IsNullOrEmpty(key))
            {
                await HttpJson.ErrorAsync(ctx, 400, "The autopilotapikey header is missing.");
                return;
            }
            if (key.Count != 1 || !string.Equals(key[0], st.ApiKey, StringComparison.Ordinal))
            {
                await HttpJson.ErrorAsync(ctx, 401, "Invalid API key.");
                return;
            }
            if (!st.Limiter.TryAcquire(out int retryAfter))
            {
                st.Stats.Throttled();
                if (st.SendRetryAfter) ctx.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await HttpJson.ErrorAsync(ctx, 429, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Rate limit exceeded: at most {st.Limiter.Rate:0.###} requests per second."));
                return;
            }
            if (api == null)
            {
                if (endpoint == null) await HttpJson.ErrorAsync(ctx, 404, $"No route {ctx.Request.Method} {path}.");
                else await HttpJson.ErrorAsync(ctx, 405, $"Method {ctx.Request.Method} is not allowed on {path}.");
                return;
            }

            var decision = st.Faults.Draw(ctx.Request.Method, path);
            if (decision.DelayMs > 0)
            {
                st.Stats.Latency();
                try { await Task.Delay(decision.DelayMs, ctx.RequestAborted); }
                catch (OperationCanceledException) { aborted = true; return; }
            }
            switch (decision.Kind)
            {
                case FaultKind.Error500:
                    st.Stats.Fault(decision.Kind); fault = "error500";
                    await HttpJson.ErrorAsync(ctx, 500, "Injected fault: internal server error.");
                    return;
                case FaultKind.Error503:
                    st.Stats.Fault(decision.Kind); fault = "error503";
                    if (st.SendRetryAfter) ctx.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await HttpJson.ErrorAsync(ctx, 503, "Injected fault: service unavailable.");
                    return;
                case FaultKind.Reset:
                    st.Stats.Fault(decision.Kind); fault = "reset";
                    aborted = true;
                    ctx.Abort();
                    return;
                case FaultKind.AcceptThenFail:
                case FaultKind.Malformed:
                    st.Stats.Fault(decision.Kind);
                    fault = decision.Kind == FaultKind.Malformed ? "malformed" : "acceptThenFail";
                    await RunBuffered(ctx, next, decision.Kind);
                    aborted = decision.Kind == FaultKind.AcceptThenFail;
                    return;
            }
            await next(ctx);
        }
        catch (Exception) when (!ctx.Response.HasStarted && !ctx.RequestAborted.IsCancellationRequested)
        {
            ctx.Response.Clear();
            await HttpJson.ErrorAsync(ctx, 500, "The emulator failed to handle the request.");
        }
        catch (Exception) when (ctx.RequestAborted.IsCancellationRequested)
        {
            aborted = true;
        }
        finally
        {
            int status = aborted ? 0 : ctx.Response.StatusCode;
            st.Stats.Record(ctx.Request.Method, template, status, info.ContactCount, fault, path);
        }
    }

    /// <summary>Runs the handler into a buffer (so its write lands), then aborts or answers 200 with half the body.</summary>
    private static async Task RunBuffered(HttpContext ctx, RequestDelegate next, FaultKind kind)
    {
        var original = ctx.Features.Get<IHttpResponseBodyFeature>()!;
        var buffer = new MemoryStream();
        ctx.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer));
        try { await next(ctx); }
        finally { ctx.Features.Set(original); }

        if (kind == FaultKind.AcceptThenFail)
        {
            ctx.Abort();
            return;
        }
        var full = buffer.ToArray();
        byte[] truncated = full.Length >= 4 ? full.AsSpan(0, full.Length / 2).ToArray() : "{\"contact"u8.ToArray();
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = truncated.Length;
        ctx.Response.Headers.Remove("Retry-After");
        await ctx.Response.Body.WriteAsync(truncated);
    }
}
