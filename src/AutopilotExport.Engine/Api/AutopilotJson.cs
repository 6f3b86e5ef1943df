using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutopilotExport.Engine.Api
{
    // Wire shapes of the Autopilot API v1 (see the contract). Responses are read with source-generated
    // metadata; the bulk contact payload is written by ContactJson, and its answer read by BulkAnswer.Read, for speed.

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
    [JsonSerializable(typeof(ErrorResponse))]
    internal sealed partial class AutopilotJsonContext : JsonSerializerContext
    {
    }
}
