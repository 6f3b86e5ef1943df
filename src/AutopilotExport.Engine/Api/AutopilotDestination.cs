using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Api
{
    /// <summary>Autopilot REST API v1 as a destination: POST /contacts with <c>_autopilot_list</c> in each contact.</summary>
    public sealed class AutopilotDestination : IContactDestination
    {
        /// <summary>The API's bulk limit (contract: more than 100 is a 400).</summary>
        public const int BulkLimit = 100;

        /// <summary>The contract's safe bound for one bulk body (Ortto documents 2 MB per 100 people).</summary>
        public const int SafeBodyBytes = 2 * 1024 * 1024;

        private static readonly Regex IndexInMessage = new Regex(@"contacts\[(\d+)\]|index (\d+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private readonly AutopilotApiClient _client;

        public AutopilotDestination(AutopilotApiClient client, int maxBatchBytes = SafeBodyBytes)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            if (maxBatchBytes < 1024) throw new ArgumentOutOfRangeException(nameof(maxBatchBytes), "The batch byte bound must be at least 1024.");
            MaxBatchBytes = maxBatchBytes;
        }

        public AutopilotApiClient Client => _client;
        public string Endpoint => _client.Endpoint;
        public string AccountFingerprint => _client.AccountFingerprint;
        public int MaxBatchContacts => BulkLimit;
        public int MaxBatchBytes { get; }
        public int BatchOverheadBytes => ContactJson.EnvelopeBytes;
        public int ContactOverheadBytes => ContactJson.ListReferenceBytes;

        public byte[] EncodeContact(MappedProfile profile) => ContactJson.Encode(profile);

        // Bodies are rented from the shared pool: once a bulk call has returned (answered, failed or timed out), the
        // HTTP handler has finished writing its body, so the array can serve the next call.
        public ArraySegment<byte> BuildPayload(IReadOnlyList<OutgoingContact> contacts) => ContactJson.Payload(contacts, ArrayPool<byte>.Shared);

        public void ReturnPayload(ArraySegment<byte> payload)
        {
            if (payload.Array != null) ArrayPool<byte>.Shared.Return(payload.Array);
        }

        public Task<BulkUpsertResult> SendBatchAsync(ArraySegment<byte> payload, CancellationToken cancellationToken) =>
            _client.UpsertContactsAsync(payload, cancellationToken);

        public Task<IReadOnlyList<ListInfo>> GetListsAsync(CancellationToken cancellationToken) => _client.GetListsAsync(cancellationToken);

        public Task<string> CreateListAsync(string name, CancellationToken cancellationToken) => _client.CreateListAsync(name, cancellationToken);

        public Task<bool> RemoveFromListAsync(string listId, string email, CancellationToken cancellationToken) =>
            _client.RemoveFromListAsync(listId, email, cancellationToken);

        /// <summary>The contract: a rejected bulk call names the offending index ("contacts[17]: …").</summary>
        public int? RejectedIndex(AutopilotApiException rejection, int batchCount)
        {
            var m = IndexInMessage.Match(rejection.ApiMessage ?? rejection.Message);
            if (m.Success && int.TryParse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index >= 0 && index < batchCount)
                return index;
            return null;
        }

        public string RejectionReason(AutopilotApiException rejection)
        {
            var detail = rejection.ApiMessage ?? rejection.Message;
            // A rejected bulk call lists each bad item ("contacts[3]: …; contacts[9]: …"): the first one speaks for the call.
            var next = detail.IndexOf("; contacts[", StringComparison.Ordinal);
            if (next > 0) detail = detail.Substring(0, next);
            return rejection.StatusCode.ToString(CultureInfo.InvariantCulture) + " " + IndexInMessage.Replace(detail, "#");
        }

        public void Dispose() => _client.Dispose();
    }
}
