using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Tests.Send;

/// <summary>The real Autopilot destination, passed through: tests override the calls they watch or change.</summary>
internal class ForwardingDestination : IContactDestination
{
    protected readonly AutopilotDestination Inner;

    public ForwardingDestination(AutopilotApiClient client) { Inner = new AutopilotDestination(client); }

    public string Endpoint => Inner.Endpoint;
    public string AccountFingerprint => Inner.AccountFingerprint;
    public int MaxBatchContacts => Inner.MaxBatchContacts;
    public int MaxBatchBytes => Inner.MaxBatchBytes;
    public int BatchOverheadBytes => Inner.BatchOverheadBytes;
    public int ContactOverheadBytes => Inner.ContactOverheadBytes;
    public byte[] EncodeContact(MappedProfile profile) => Inner.EncodeContact(profile);
    public virtual ArraySegment<byte> BuildPayload(IReadOnlyList<OutgoingContact> contacts) => Inner.BuildPayload(contacts);
    public virtual void ReturnPayload(ArraySegment<byte> payload) => Inner.ReturnPayload(payload);
    public virtual Task<BulkUpsertResult> SendBatchAsync(ArraySegment<byte> payload, CancellationToken cancellationToken) => Inner.SendBatchAsync(payload, cancellationToken);
    public Task<IReadOnlyList<ListInfo>> GetListsAsync(CancellationToken cancellationToken) => Inner.GetListsAsync(cancellationToken);
    public Task<string> CreateListAsync(string name, CancellationToken cancellationToken) => Inner.CreateListAsync(name, cancellationToken);
    public Task<bool> RemoveFromListAsync(string listId, string email, CancellationToken cancellationToken) => Inner.RemoveFromListAsync(listId, email, cancellationToken);
    public int? RejectedIndex(AutopilotApiException rejection, int batchCount) => Inner.RejectedIndex(rejection, batchCount);
    public string RejectionReason(AutopilotApiException rejection) => Inner.RejectionReason(rejection);
    public void Dispose() => Inner.Dispose();
}
