using System;
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

        // {"contacts":[ ... ]} and the commas between contacts are counted per contact.
        private const int EnvelopeBytes = 16;
        // {"Email":"", "custom":{}, "_autopilot_list":"<id>" and the comma before the contact; list ids are
        // "contactlist_" and a UUID (48 characters), 128 leaves room for any id the API hands out.
        private const int ContactOverheadBytes = 12 + 12 + 20 + 128 + 1;
        // "name": and a comma around each field; numbers and booleans take at most 24 bytes.
        private const int FieldOverheadBytes = 4;
        private const int NumberBytes = 24;

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
        public int BatchOverheadBytes => EnvelopeBytes;

        public int EstimateBytes(MappedProfile profile)
        {
            long bytes = ContactOverheadBytes + JsonBytes(profile.Email);
            foreach (var f in profile.Fields) bytes += FieldOverheadBytes + JsonBytes(f.Key) + ValueBytes(f.Value);
            foreach (var c in profile.Custom) bytes += FieldOverheadBytes + JsonBytes(c.Key) + ValueBytes(c.Value);
            return bytes > int.MaxValue ? int.MaxValue : (int)bytes;
        }

        private static long ValueBytes(FieldValue v) =>
            v.Kind == FieldValueKind.String || v.Kind == FieldValueKind.Date ? JsonBytes(v.Text ?? "") : NumberBytes;

        /// <summary>UTF-8 length in a JSON string with quotes, counting each character that may be escaped
        /// (quote, backslash, control characters) at its longest form, \uXXXX.</summary>
        private static long JsonBytes(string s)
        {
            long n = 2;
            foreach (var c in s)
            {
                if (c < 0x20 || c == '"' || c == '\\') n += 6;
                else if (c < 0x80) n += 1;
                else if (c < 0x800 || char.IsSurrogate(c)) n += 2; // a surrogate pair is 4 bytes: 2 per half
                else n += 3;
            }
            return n;
        }

        public ArraySegment<byte> ContactBytes(MappedProfile profile) => AutopilotApiClient.SerializeContactSegment(profile);

        public ArraySegment<byte> BuildPayload(IReadOnlyList<OutgoingContact> contacts) => AutopilotApiClient.SerializeContactsSegment(contacts);

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
