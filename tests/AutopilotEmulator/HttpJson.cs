using System;
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace AutopilotEmulator;

/// <summary>Response writing and body reading without reflection: Utf8JsonWriter into a buffer, one write.</summary>
internal static class HttpJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Utf8JsonWriter NewWriter(out ArrayBufferWriter<byte> buffer, int initial = 512)
    {
        buffer = new ArrayBufferWriter<byte>(initial);
        return new Utf8JsonWriter(buffer, WriterOptions);
    }

    public static Task SendAsync(HttpContext ctx, int status, Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer)
    {
        writer.Flush();
        writer.Dispose();
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = buffer.WrittenCount;
        return ctx.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>200 with an empty body (the API's answer to add-to-list, delete, unsubscribe…).</summary>
    public static Task EmptyAsync(HttpContext ctx, int status = StatusCodes.Status200OK)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>The contract's error body: {"error":"&lt;reason phrase&gt;","message":"…"}.</summary>
    public static Task ErrorAsync(HttpContext ctx, int status, string message)
    {
        var w = NewWriter(out var buf, 256);
        w.WriteStartObject();
        w.WriteString("error", ReasonPhrases.GetReasonPhrase(status));
        w.WriteString("message", message);
        w.WriteEndObject();
        return SendAsync(ctx, status, w, buf);
    }

    /// <summary>True for application/json (charset, when given, must be utf-8).</summary>
    public static bool IsJsonContentType(HttpContext ctx)
    {
        var ct = ctx.Request.ContentType;
        if (string.IsNullOrEmpty(ct) || !MediaTypeHeaderValue.TryParse(ct, out var mt)) return false;
        if (!mt.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return false;
        var charset = mt.Charset;
        return !charset.HasValue || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A request body in a pooled array; dispose to return it.</summary>
    public sealed class Body : IDisposable
    {
        public byte[] Array = System.Array.Empty<byte>();
        public int Length;
        public ReadOnlyMemory<byte> Memory => new(Array, 0, Length);
        public void Dispose()
        {
            if (Array.Length > 0) ArrayPool<byte>.Shared.Return(Array);
            Array = System.Array.Empty<byte>();
        }
    }

    /// <summary>Reads the whole body; null (after answering 413) when it is larger than <paramref name="maxBodyBytes"/>.</summary>
    public static async Task<Body?> ReadBodyAsync(HttpContext ctx, int maxBodyBytes)
    {
        var body = new Body();
        long? declared = ctx.Request.ContentLength;
        if (declared > maxBodyBytes)
        {
            await ErrorAsync(ctx, StatusCodes.Status413PayloadTooLarge, $"The body is larger than {maxBodyBytes} bytes.");
            return null;
        }
        body.Array = ArrayPool<byte>.Shared.Rent(declared is long n && n > 0 ? (int)n + 1 : 16 * 1024);
        var stream = ctx.Request.Body;
        while (true)
        {
            if (body.Length == body.Array.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(body.Array.Length * 2);
                Buffer.BlockCopy(body.Array, 0, bigger, 0, body.Length);
                ArrayPool<byte>.Shared.Return(body.Array);
                body.Array = bigger;
            }
            int read = await stream.ReadAsync(body.Array.AsMemory(body.Length, body.Array.Length - body.Length), ctx.RequestAborted);
            if (read == 0) break;
            body.Length += read;
            if (body.Length > maxBodyBytes)
            {
                // A body without Content-Length (chunked) is measured as it arrives.
                body.Dispose();
                await ErrorAsync(ctx, StatusCodes.Status413PayloadTooLarge, $"The body is larger than {maxBodyBytes} bytes.");
                return null;
            }
        }
        return body;
    }

    public static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case long l: w.WriteNumberValue(l); break;
            case double d: w.WriteNumberValue(d); break;
            case bool b: w.WriteBooleanValue(b); break;
            default: w.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
        }
    }
}

internal static class HttpJsonExtensions
{
    public static Task SendBufferAsync(this HttpContext ctx, int status, ArrayBufferWriter<byte> buffer)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.ContentLength = buffer.WrittenCount;
        return ctx.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }
}
