using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace AutopilotExport.Engine.Api
{
    /// <summary>What the API confirmed of a bulk call: the emails of its email_contact_map.</summary>
    public sealed class BulkUpsertResult
    {
        private readonly Dictionary<string, string> _map;
        private Dictionary<string, string>? _folded;

        public BulkUpsertResult(Dictionary<string, string> emailContactMap, int contactIdCount)
        {
            _map = emailContactMap ?? throw new ArgumentNullException(nameof(emailContactMap)); ContactIdCount = contactIdCount;
        }

        /// <summary>As the API sent it (its keys spelled as the API echoes them).</summary>
        public IReadOnlyDictionary<string, string> EmailContactMap => _map;
        public int ConfirmedCount => _map.Count;
        public int ContactIdCount { get; }

        /// <summary>Whether the API confirmed this email. Case-insensitive, as the API keys contacts; the exact
        /// spelling is tried first, and the folded copy is only built when the API changed an email's case.</summary>
        [MethodImpl(HotPath.Optimize)]
        public bool Confirms(string email)
        {
            if (_map.ContainsKey(email)) return true;
            _folded ??= new Dictionary<string, string>(_map, StringComparer.OrdinalIgnoreCase);
            return _folded.ContainsKey(email);
        }
    }

    /// <summary>Reads the answer to a bulk call (POST /contacts).</summary>
    internal static class BulkAnswer
    {
        /// <summary>
        /// The answer to a bulk call, read with a Utf8JsonReader: a fast run reads a thousand of these a second, and
        /// the serializer's dictionary converter cost more than the reading. The rules are the serializer's: property
        /// names match exactly, unknown properties are skipped, a later duplicate key wins, anything that is not
        /// JSON (or has text after the object) is malformed, and so is an answer without an email_contact_map.
        /// </summary>
        [MethodImpl(HotPath.Optimize)]
        internal static BulkUpsertResult Read(byte[] body)
        {
            const string What = "POST /contacts";
            Dictionary<string, string>? map = null;
            int ids = 0;
            try
            {
                // A UTF-8 byte order mark, as the serializer allowed.
                int skip = body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? 3 : 0;
                var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(body, skip, body.Length - skip));
                if (!reader.Read()) throw new JsonException("The input does not contain any JSON tokens.");
                if (reader.TokenType == JsonTokenType.Null) throw new AutopilotApiException(0, $"{What} answered 200 with an empty body.", malformed: true);
                if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("The answer is not a JSON object.");
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("email_contact_map"))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.Null) { map = null; continue; }
                        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("email_contact_map is not an object.");
                        map = new Dictionary<string, string>(100);
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var email = reader.GetString()!;
                            reader.Read();
                            if (reader.TokenType != JsonTokenType.String) throw new JsonException($"The contact id of '{email}' is not a string.");
                            map[email] = reader.GetString()!;
                        }
                    }
                    else if (reader.ValueTextEquals("contact_ids"))
                    {
                        reader.Read();
                        ids = 0;
                        if (reader.TokenType == JsonTokenType.Null) continue;
                        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("contact_ids is not an array.");
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            ids++;
                            reader.Skip();
                        }
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
                if (reader.Read()) throw new JsonException("There is text after the answer's object.");
            }
            catch (JsonException ex)
            {
                // A truncated or garbled 200: the write may have landed; upserts are idempotent, so it is retried.
                throw new AutopilotApiException(0, $"{What} answered 200 with a body that is not valid JSON ({ex.Message})", malformed: true, inner: ex);
            }
            if (map == null)
                throw new AutopilotApiException(0, $"{What} answered 200 without an email_contact_map.", malformed: true);
            return new BulkUpsertResult(map, ids);
        }
    }
}
