using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace AutopilotExport.Engine.Api
{
    public sealed class AutopilotClientOptions
    {
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
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

    /// <summary>
    /// The Autopilot REST API v1 over HttpClient from IHttpClientFactory. Holds the key in memory only and
    /// never puts it into an exception, a message or a log line.
    /// </summary>
    public sealed partial class AutopilotApiClient : IDisposable
    {
        public AutopilotApiClient(Uri baseUri, string apiKey, AutopilotClientOptions? options = null)
        {
            throw new NotImplementedException();
        }

        public Uri BaseUri => throw new NotImplementedException();

        /// <summary>GET /account. Throws <see cref="AutopilotApiException"/> (StatusCode 401 for a wrong key).</summary>
        public Task<AccountInfo> GetAccountAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

        public Task<IReadOnlyList<ListInfo>> GetListsAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

        public Task<string> CreateListAsync(string name, CancellationToken cancellationToken) => throw new NotImplementedException();

        public void Dispose() { }
    }

    /// <summary>A non-success answer (or an unusable one) from the API. Message never contains the key.</summary>
    public sealed class AutopilotApiException : Exception
    {
        public AutopilotApiException(int statusCode, string message, string? apiError = null, TimeSpan? retryAfter = null, Exception? inner = null)
            : base(message, inner)
        {
            StatusCode = statusCode; ApiError = apiError; RetryAfter = retryAfter;
        }

        /// <summary>HTTP status; 0 when no answer arrived (connection fault, timeout, malformed body).</summary>
        public int StatusCode { get; }
        public string? ApiError { get; }
        public TimeSpan? RetryAfter { get; }
        public bool IsAuthFailure => StatusCode == 401 || StatusCode == 403;
        public bool IsTransient => StatusCode == 0 || StatusCode == 408 || StatusCode == 429 || StatusCode >= 500;
    }
}
