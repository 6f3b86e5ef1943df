using System;
using System.Globalization;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AutopilotEmulator;

/// <summary>/__emulator routes: no key, loopback only, never rate limited or faulted, not counted.</summary>
internal static class InspectionHandlers
{
    /// <summary>The inspection view of a contact: every stored field, typed custom keys, unsubscribed, list ids. Call under lock(rec).</summary>
    internal static void WriteInspectionContact(Utf8JsonWriter w, ContactRecord rec)
    {
        ApiHandlers.WriteContactStart(w, rec);
        w.WriteStartObject("custom");
        if (rec.Custom != null)
            foreach (var kv in rec.Custom)
            {
                w.WritePropertyName(kv.Key);
                HttpJson.WriteValue(w, kv.Value.Value);
            }
        w.WriteEndObject();
        w.WriteBoolean("unsubscribed", rec.Unsubscribed);
        ApiHandlers.WriteListIds(w, rec);
        w.WriteEndObject();
    }

    public static Task Contacts(HttpContext ctx, EmulatorState st)
    {
        var all = st.Store.All.All();
        var w = HttpJson.NewWriter(out var buf, 400 * all.Count + 64);
        w.WriteStartObject();
        w.WriteNumber("total", all.Count);
        w.WriteStartArray("contacts");
        foreach (var rec in all)
            lock (rec)
                if (!rec.Deleted) WriteInspectionContact(w, rec);
        w.WriteEndArray();
        w.WriteEndObject();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    public static Task Lists(HttpContext ctx, EmulatorState st) => ApiHandlers.WriteLists(ctx, st, withMemberCounts: true);

    public static Task Stats(HttpContext ctx, EmulatorState st)
    {
        var s = st.Stats.Snapshot();
        var w = HttpJson.NewWriter(out var buf, 1024);
        w.WriteStartObject();
        w.WriteNumber("totalRequests", s.TotalRequests);
        w.WriteStartArray("requests");
        foreach (var r in s.Requests)
        {
            w.WriteStartObject();
            w.WriteString("route", r.Route);
            w.WriteNumber("status", r.Status);
            w.WriteNumber("count", r.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("throttled", s.Throttled);
        w.WriteStartObject("faultsInjected");
        w.WriteNumber("error500", s.FaultsInjected.Error500);
        w.WriteNumber("error503", s.FaultsInjected.Error503);
        w.WriteNumber("reset", s.FaultsInjected.Reset);
        w.WriteNumber("acceptThenFail", s.FaultsInjected.AcceptThenFail);
        w.WriteNumber("malformed", s.FaultsInjected.Malformed);
        w.WriteNumber("latency", s.FaultsInjected.Latency);
        w.WriteEndObject();
        w.WriteNumber("contactsWritten", s.ContactsWritten);
        w.WriteNumber("bulkContactsMax", s.BulkContactsMax);
        // The emulator's own process, for benchmarks that need to tell its cost from the client's.
        w.WriteStartObject("process");
        w.WriteNumber("gcPauseMs", Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds));
        w.WriteNumber("gen0", GC.CollectionCount(0));
        w.WriteNumber("gen1", GC.CollectionCount(1));
        w.WriteNumber("gen2", GC.CollectionCount(2));
        w.WriteNumber("allocatedMb", Math.Round(GC.GetTotalAllocatedBytes() / 1048576.0));
        w.WriteEndObject();
        w.WriteEndObject();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    /// <summary>GET /__emulator/requests[?last=N]: the request log, oldest first.</summary>
    public static Task Requests(HttpContext ctx, EmulatorState st)
    {
        var list = st.Stats.Requests(out long total);
        int skip = 0;
        if (ctx.Request.Query.TryGetValue("last", out var lastText))
        {
            if (!int.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out int last))
                return HttpJson.ErrorAsync(ctx, 400, "'last' must be a whole number.");
            skip = Math.Max(0, list.Count - last);
        }
        var w = HttpJson.NewWriter(out var buf, 160 * (list.Count - skip) + 64);
        w.WriteStartObject();
        w.WriteNumber("total", total);
        w.WriteNumber("capacity", StatsCollector.LogCapacity);
        w.WriteStartArray("requests");
        for (int i = skip; i < list.Count; i++)
        {
            var r = list[i];
            w.WriteStartObject();
            w.WriteString("time", r.Time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteString("method", r.Method);
            w.WriteString("path", r.Path);
            w.WriteString("route", r.Route);
            w.WriteNumber("status", r.Status);
            if (r.ContactCount is int n) w.WriteNumber("contactCount", n);
            if (r.Fault != null) w.WriteString("fault", r.Fault);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    public static Task Reset(HttpContext ctx, EmulatorState st)
    {
        st.Reset();
        var w = HttpJson.NewWriter(out var buf, 64);
        w.WriteStartObject();
        w.WriteBoolean("reset", true);
        w.WriteEndObject();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    private static void WriteConfig(Utf8JsonWriter w, EmulatorState st)
    {
        w.WriteStartObject();
        w.WriteNumber("rateLimit", st.Limiter.Rate);
        w.WriteBoolean("sendRetryAfter", st.SendRetryAfter);
        w.WriteString("bulkInvalid", st.BulkInvalid == BulkInvalidMode.Reject ? "reject" : "skip");
        if (st.Seed is int seed) w.WriteNumber("seed", seed); else w.WriteNull("seed");
        w.WritePropertyName("faults");
        if (st.Faults.Profile is { } p) w.WriteRawValue(p.ToJson()); else w.WriteNullValue();
        w.WriteEndObject();
    }

    public static Task GetConfig(HttpContext ctx, EmulatorState st)
    {
        var w = HttpJson.NewWriter(out var buf);
        WriteConfig(w, st);
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    /// <summary>POST /__emulator/config {"rateLimit":N,"sendRetryAfter":bool,"bulkInvalid":"reject|skip","faults":{…}|null}: any subset.</summary>
    public static async Task PostConfig(HttpContext ctx, EmulatorState st)
    {
        using var body = await HttpJson.ReadBodyAsync(ctx, st.MaxBodyBytes);
        if (body == null) return;
        try
        {
            using var doc = JsonDocument.Parse(body.Memory);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ArgumentException("The body must be a JSON object.");
            double? rate = null; bool? retry = null; BulkInvalidMode? mode = null; bool setFaults = false; FaultProfile? faults = null;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "rateLimit":
                        if (p.Value.ValueKind != JsonValueKind.Number || p.Value.GetDouble() < 0) throw new ArgumentException("'rateLimit' must be a number >= 0.");
                        rate = p.Value.GetDouble(); break;
                    case "sendRetryAfter":
                        if (p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new ArgumentException("'sendRetryAfter' must be true or false.");
                        retry = p.Value.GetBoolean(); break;
                    case "bulkInvalid":
                        mode = p.Value.ValueKind == JsonValueKind.String ? ParseMode(p.Value.GetString()!) : null;
                        if (mode == null) throw new ArgumentException("'bulkInvalid' must be \"reject\" or \"skip\".");
                        break;
                    case "faults":
                        setFaults = true;
                        faults = p.Value.ValueKind == JsonValueKind.Null ? null : FaultProfile.Parse(p.Value.GetRawText());
                        break;
                    default: throw new ArgumentException($"Unknown setting '{p.Name}' (rateLimit, sendRetryAfter, bulkInvalid, faults).");
                }
            }
            if (rate is double r) st.Limiter.Configure(r);
            if (retry is bool b) st.SendRetryAfter = b;
            if (mode is BulkInvalidMode m) st.BulkInvalid = m;
            if (setFaults) st.Faults.Set(faults);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            await HttpJson.ErrorAsync(ctx, 400, e.Message);
            return;
        }
        await GetConfig(ctx, st);
    }

    internal static BulkInvalidMode? ParseMode(string s) => s.ToLowerInvariant() switch
    {
        "reject" => BulkInvalidMode.Reject,
        "skip" => BulkInvalidMode.Skip,
        _ => null,
    };
}
