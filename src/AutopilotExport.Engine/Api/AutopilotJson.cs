using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutopilotExport.Engine.Api
{
    // Wire shapes of the Autopilot API v1 (see the contract). Responses are read with source-generated
    // metadata; the bulk contact payload is written by ContactJson for speed.

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
        /// <summary>Only counted: the ids are in email_contact_map too, and a fast run reads a thousand answers a second.</summary>
        [JsonPropertyName("contact_ids"), JsonConverter(typeof(ArrayLengthConverter))] public int ContactIdCount { get; set; }
        [JsonPropertyName("email_contact_map")] public Dictionary<string, string>? EmailContactMap { get; set; }
    }

    internal sealed class ErrorResponse
    {
        [JsonPropertyName("error")] public string? Error { get; set; }
        [JsonPropertyName("message")] public string? Message { get; set; }
    }

    /// <summary>Reads a JSON array as its number of items (null as 0) without materialising them.</summary>
    internal sealed class ArrayLengthConverter : JsonConverter<int>
    {
        public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) return 0;
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("Expected an array.");
            int count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                count++;
                reader.Skip();
            }
            return count;
        }

        public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) =>
            throw new NotSupportedException("Only read.");
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
