using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace AutopilotExport.Engine.Api
{
    // Wire shapes of the Autopilot API v1 (see the contract). Responses are read with source-generated
    // metadata; the bulk contact payload is written by ContactBatchWriter for speed.

    internal sealed class AccountResponse
    {
        [JsonPropertyName("instanceId")] public string? InstanceId { get; set; }
        [JsonPropertyName("name")] public string? Name { get; set; }
    }

    internal sealed class ListEntry
    {
        [JsonPropertyName("list_id")] public string? ListId { get; set; }
        [JsonPropertyName("title")] public string? Title { get; set; }
    }

    internal sealed class ListsResponse
    {
        [JsonPropertyName("lists")] public List<ListEntry>? Lists { get; set; }
    }

    internal sealed class CreateListRequest
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";
    }

    internal sealed class CreateListResponse
    {
        [JsonPropertyName("list_id")] public string? ListId { get; set; }
    }

    internal sealed class BulkUpsertResponse
    {
        [JsonPropertyName("contact_ids")] public List<string>? ContactIds { get; set; }
        [JsonPropertyName("email_contact_map")] public Dictionary<string, string>? EmailContactMap { get; set; }
    }

    internal sealed class ErrorResponse
    {
        [JsonPropertyName("error")] public string? Error { get; set; }
        [JsonPropertyName("message")] public string? Message { get; set; }
    }

    [JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonSerializable(typeof(AccountResponse))]
    [JsonSerializable(typeof(ListsResponse))]
    [JsonSerializable(typeof(CreateListRequest))]
    [JsonSerializable(typeof(CreateListResponse))]
    [JsonSerializable(typeof(BulkUpsertResponse))]
    [JsonSerializable(typeof(ErrorResponse))]
    internal sealed partial class AutopilotJsonContext : JsonSerializerContext
    {
    }
}
