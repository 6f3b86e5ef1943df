using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Api
{
    /// <summary>
    /// Everything about a run that depends on where the contacts go: how big a batch may be, what one
    /// contact costs in a payload, the bulk call and the check of its answer, the lists a segment maps to,
    /// and how a rejection names its row. Intake, senders and tally know only this seam, so a second
    /// destination (Ortto, say) is a second implementation, not a change to them.
    /// </summary>
    public interface IContactDestination : IDisposable
    {
        /// <summary>Host and port only: what messages may say about where requests go.</summary>
        string Endpoint { get; }

        /// <summary>Tells accounts apart (for a shared pace) without holding the key.</summary>
        string AccountFingerprint { get; }

        /// <summary>Most contacts one bulk call takes.</summary>
        int MaxBatchContacts { get; }

        /// <summary>Largest bulk request body that is safe to send, in bytes.</summary>
        int MaxBatchBytes { get; }

        /// <summary>Bytes the batch adds around its contacts, whatever their number.</summary>
        int BatchOverheadBytes { get; }

        /// <summary>Most a contact adds to a bulk request body beyond its encoded bytes (its list reference, a separator).</summary>
        int ContactOverheadBytes { get; }

        /// <summary>One contact exactly as a bulk call carries it, without the list reference. Written once per
        /// contact, on the pipeline thread: its length bounds the batch, an incremental run hashes it to tell
        /// whether the destination already holds it so, and <see cref="BuildPayload"/> sends it as it is.</summary>
        byte[] EncodeContact(MappedProfile profile);

        /// <summary>One bulk call's body from encoded contacts and their lists. Its array may be pooled: the caller
        /// hands it back with <see cref="ReturnPayload"/> once no call (retries included) reads it any more.</summary>
        ArraySegment<byte> BuildPayload(IReadOnlyList<OutgoingContact> contacts);

        /// <summary>Takes back a body <see cref="BuildPayload"/> made; the caller does not touch it afterwards.</summary>
        void ReturnPayload(ArraySegment<byte> payload);

        /// <summary>Sends one bulk call; the answer tells which emails were stored.</summary>
        Task<BulkUpsertResult> SendBatchAsync(ArraySegment<byte> payload, CancellationToken cancellationToken);

        /// <summary>The destination's lists (list membership is by list id).</summary>
        Task<IReadOnlyList<ListInfo>> GetListsAsync(CancellationToken cancellationToken);

        Task<string> CreateListAsync(string name, CancellationToken cancellationToken);

        /// <summary>Takes a contact off a list (Mirror); never deletes or unsubscribes it. True: removed; false: it
        /// was not on the list (or the list is gone), which leaves the same state.</summary>
        Task<bool> RemoveFromListAsync(string listId, string email, CancellationToken cancellationToken);

        /// <summary>The position in the batch a rejection names, or null when it names none.</summary>
        int? RejectedIndex(AutopilotApiException rejection, int batchCount);

        /// <summary>The rejection's reason with the row's position taken out: two rows refused for one
        /// reason (a field name the destination does not take) give the same text.</summary>
        string RejectionReason(AutopilotApiException rejection);
    }
}
