using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Mapping;
using Microsoft.Extensions.DependencyInjection;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Api
{
    public sealed class AutopilotClientOptions
    {
        /// <summary>Most connections the client opens to the API host at once.</summary>
        public int MaxConnections { get; set; } = 16;
    }

    public sealed class AccountInfo
    {
        public string InstanceId { get; set; } = "";
        public string? Name { get; set; }
    }

    public sealed class ListInfo
    {
        public string ListId { get; set; } = "";
        public string Title { get; set; } = "";
    }

    /// <summary>What a 200 to a bulk upsert said: the emails the API confirmed, with their contact ids.</summary>
    /// <summary>
    /// The Autopilot REST API v1 over an HttpClient from IHttpClientFactory. One attempt per call: pacing and
    /// retries are the caller's (see ResiliencePolicy). Holds the key in memory only, sets it per request, and
    /// never puts it into an exception, a message or a log line.
    /// </summary>
    public sealed class AutopilotApiClient : IDisposable
    {
        private const string HttpClientName = "AutopilotExport.Api";
        private const string KeyHeader = "autopilotapikey";
        private const string ContactsPath = "/contacts";
        // One factory for the process: IHttpClientFactory pools and recycles handlers, so many runs (and many
        // clients) share connections without socket exhaustion or stale DNS.
        private static readonly Lazy<IHttpClientFactory> Factory = new Lazy<IHttpClientFactory>(CreateFactory);

        private readonly HttpClient _http;
        private readonly string _apiKey;
        private readonly string _base;
        private readonly Uri _contactsUri;

        public AutopilotApiClient(Uri baseUri, string apiKey, AutopilotClientOptions? options = null)
        {
            if (baseUri == null) throw new ArgumentNullException(nameof(baseUri));
            // The last line of defence: whoever builds a client, the key never goes where the policy forbids.
            BaseUriPolicy.Require(baseUri);
            if (string.IsNullOrWhiteSpace(apiKey)) throw new ArgumentException("The API key is empty.", nameof(apiKey));
            BaseUri = baseUri;
            _base = baseUri.ToString().TrimEnd('/');
            _apiKey = apiKey.Trim();
            AccountFingerprint = _base + "|" + Fingerprint(_apiKey);
            _contactsUri = new Uri(_base + ContactsPath);
            _http = Factory.Value.CreateClient(HttpClientName);
            // Per-attempt timeouts come from the resilience pipeline's token, not from HttpClient.
            _http.Timeout = Timeout.InfiniteTimeSpan;
        }

        public Uri BaseUri { get; }

        /// <summary>Endpoint plus a one-way hash of the key: tells accounts apart (e.g. to share a pace)
        /// without keeping the key anywhere else.</summary>
        internal string AccountFingerprint { get; }

        private static string Fingerprint(string key)
        {
            using var sha = System.Security.Cryptography.SHA256.Create();
            var hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(key));
            return BitConverter.ToString(hash, 0, 16).Replace("-", "");
        }

        /// <summary>Host and port only: what messages may say about where requests go.</summary>
        public string Endpoint => BaseUri.IsDefaultPort ? BaseUri.Host : BaseUri.Host + ":" + BaseUri.Port.ToString(CultureInfo.InvariantCulture);

        private static IHttpClientFactory CreateFactory()
        {
            var services = new ServiceCollection();
            services.AddHttpClient(HttpClientName)
                .ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler
                {
                    MaxConnectionsPerServer = 32,
                    // No Accept-Encoding: the answers are a few kilobytes, and the decompression layer cost every
                    // request an extra handler (docs/PERFORMANCE.md). The API contract names no compression.
                    AutomaticDecompression = DecompressionMethods.None,
                    UseCookies = false,
                    AllowAutoRedirect = false,
                })
                .SetHandlerLifetime(TimeSpan.FromMinutes(5))
                // No logger is ever registered: without this the factory still wraps every request in two
                // logging handlers and a log scope, a cost paid a thousand times a second in a fast run.
                .RemoveAllLoggers();
            return services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
        }

        /// <summary>GET /account. A wrong key is an <see cref="AutopilotApiException"/> with StatusCode 401.</summary>
        public async Task<AccountInfo> GetAccountAsync(CancellationToken cancellationToken)
        {
            var body = await SendAsync(HttpMethod.Get, "/account", null, cancellationToken).ConfigureAwait(false);
            var account = Parse(body, AutopilotJsonContext.Default.AccountResponse, "GET /account");
            if (string.IsNullOrEmpty(account.InstanceId))
                throw new AutopilotApiException(200, "GET /account answered without an instanceId: the key was not accepted as an account key.");
            return new AccountInfo { InstanceId = account.InstanceId!, Name = account.Name };
        }

        public async Task<IReadOnlyList<ListInfo>> GetListsAsync(CancellationToken cancellationToken)
        {
            var body = await SendAsync(HttpMethod.Get, "/lists", null, cancellationToken).ConfigureAwait(false);
            var lists = Parse(body, AutopilotJsonContext.Default.ListsResponse, "GET /lists");
            return (lists.Lists ?? new List<ListEntry>())
                .Where(l => !string.IsNullOrEmpty(l.ListId))
                .Select(l => new ListInfo { ListId = l.ListId!, Title = l.Title ?? "" })
                .ToList();
        }

        public async Task<string> CreateListAsync(string name, CancellationToken cancellationToken)
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(new CreateListRequest { Name = name }, AutopilotJsonContext.Default.CreateListRequest);
            var body = await SendAsync(HttpMethod.Post, "/list", new ArraySegment<byte>(payload), cancellationToken).ConfigureAwait(false);
            var created = Parse(body, AutopilotJsonContext.Default.CreateListResponse, "POST /list");
            if (string.IsNullOrEmpty(created.ListId))
                throw new AutopilotApiException(0, "POST /list answered without a list_id.", malformed: true);
            return created.ListId!;
        }

        /// <summary>
        /// DELETE /list/{listId}/contact/{email}: takes the contact off the list, never deletes it (contract). True when
        /// removed; false on 404 (not on the list, or no such list): the same end state, so not an error.
        /// </summary>
        public async Task<bool> RemoveFromListAsync(string listId, string email, CancellationToken cancellationToken)
        {
            try
            {
                await SendAsync(HttpMethod.Delete, "/list/" + Uri.EscapeDataString(listId) + "/contact/" + Uri.EscapeDataString(email), null, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (AutopilotApiException ex) when (ex.StatusCode == 404)
            {
                return false;
            }
        }

        /// <summary>POST /contacts with an already serialised payload; the caller reconciles the answer.</summary>
        public async Task<BulkUpsertResult> UpsertContactsAsync(ArraySegment<byte> payload, CancellationToken cancellationToken)
        {
            var body = await SendAsync(HttpMethod.Post, ContactsPath, payload, cancellationToken).ConfigureAwait(false);
            return BulkAnswer.Read(body);
        }

        private async Task<byte[]> SendAsync(HttpMethod method, string path, ArraySegment<byte>? payload, CancellationToken cancellationToken)
        {
            // The bulk call's address is parsed once per client; the headers go in as text, unparsed: they are
            // constants, and a parsed media type cost every request a parse and a format (docs/PERFORMANCE.md).
            using var request = new HttpRequestMessage(method, path == ContactsPath ? _contactsUri : new Uri(_base + path));
            request.Headers.TryAddWithoutValidation(KeyHeader, _apiKey);
            request.Headers.TryAddWithoutValidation("Accept", "application/json");
            if (payload != null)
            {
                request.Content = new ByteArrayContent(payload.Value.Array!, payload.Value.Offset, payload.Value.Count);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-8");
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is IOException || ex is OperationCanceledException)
            {
                // Connection refused/reset, or the handler gave up: no answer, worth another attempt.
                throw new AutopilotApiException(0, $"{method} {path}: no answer from {Endpoint} ({Flatten(ex)})", inner: ex);
            }

            using (response)
            {
                byte[] body;
                try
                {
                    body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException || ex is IOException)
                {
                    throw new AutopilotApiException(0, $"{method} {path}: the answer from {Endpoint} broke off ({Flatten(ex)})", inner: ex);
                }
                int status = (int)response.StatusCode;
                if (status >= 200 && status < 300) return body;

                string? error = null, message = null;
                try
                {
                    var parsed = JsonSerializer.Deserialize(body, AutopilotJsonContext.Default.ErrorResponse);
                    error = parsed?.Error; message = parsed?.Message;
                }
                catch (JsonException) { /* not the documented error shape; the status says enough */ }
                var detail = message ?? error ?? response.ReasonPhrase ?? "";
                throw new AutopilotApiException(status, $"{method} {path}: {status} {response.ReasonPhrase}{(detail.Length > 0 ? ": " + detail : "")}",
                    apiError: error, apiMessage: message, retryAfter: ReadRetryAfter(response));
            }
        }

        private static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
        {
            var ra = response.Headers.RetryAfter;
            if (ra == null) return null;
            if (ra.Delta.HasValue) return ra.Delta.Value < TimeSpan.Zero ? TimeSpan.Zero : ra.Delta.Value;
            if (ra.Date.HasValue)
            {
                var wait = ra.Date.Value - DateTimeOffset.UtcNow;
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
            return null;
        }

        private static T Parse<T>(byte[] body, JsonTypeInfo<T> type, string what) where T : class
        {
            try
            {
                return JsonSerializer.Deserialize(body, type)
                    ?? throw new AutopilotApiException(0, $"{what} answered 200 with an empty body.", malformed: true);
            }
            catch (JsonException ex)
            {
                // A truncated or garbled 200: the write may have landed; upserts are idempotent, so it is retried.
                throw new AutopilotApiException(0, $"{what} answered 200 with a body that is not valid JSON ({ex.Message})", malformed: true, inner: ex);
            }
        }

        private static string Flatten(Exception ex)
        {
            var parts = new List<string>();
            for (var e = ex; e != null && parts.Count < 3; e = e.InnerException) parts.Add(e.Message);
            return string.Join(" -> ", parts);
        }

        public void Dispose() => _http.Dispose();
    }

    /// <summary>A non-success answer (or an unusable one) from the API. Message never contains the key.</summary>
    public sealed class AutopilotApiException : Exception
    {
        public AutopilotApiException(int statusCode, string message, string? apiError = null, TimeSpan? retryAfter = null,
            Exception? inner = null, bool malformed = false, string? apiMessage = null)
            : base(message, inner)
        {
            StatusCode = statusCode; ApiError = apiError; RetryAfter = retryAfter; Malformed = malformed; ApiMessage = apiMessage;
        }

        /// <summary>HTTP status; 0 when no usable answer arrived (connection fault, timeout, malformed body).</summary>
        public int StatusCode { get; }
        public string? ApiError { get; }
        /// <summary>The "message" of the API's error body, e.g. "contacts[17]: invalid email".</summary>
        public string? ApiMessage { get; }
        public TimeSpan? RetryAfter { get; }
        public bool Malformed { get; }
        public bool IsAuthFailure => StatusCode == 401 || StatusCode == 403;
        public bool IsThrottled => StatusCode == 429;
        public bool IsTransient => StatusCode == 0 || StatusCode == 408 || StatusCode == 429 || StatusCode >= 500;
    }
}
