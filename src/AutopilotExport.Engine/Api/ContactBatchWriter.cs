using System.Collections.Generic;
using System.Text.Json;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.Api
{
    /// <summary>One contact of a bulk call: the profile plus the list it joins.</summary>
    public readonly struct OutgoingContact
    {
        public OutgoingContact(MappedProfile profile, string? listId)
        {
            Profile = profile; ListId = listId;
        }
        public MappedProfile Profile { get; }
        public string? ListId { get; }
    }

    /// <summary>
    /// Writes <c>{"contacts":[…]}</c> straight to a Utf8JsonWriter: the contact objects are open-ended (any
    /// standard field, typed custom keys), so a generated serializer would need a dictionary per contact;
    /// this is the hot path of every export. <c>_autopilot_list</c> goes inside each contact (the contract:
    /// it is ignored at the top level).
    /// </summary>
    public static class ContactBatchWriter
    {
        private static readonly JsonEncodedText ContactsProp = JsonEncodedText.Encode("contacts");
        private static readonly JsonEncodedText EmailProp = JsonEncodedText.Encode("Email");
        private static readonly JsonEncodedText CustomProp = JsonEncodedText.Encode("custom");
        private static readonly JsonEncodedText ListProp = JsonEncodedText.Encode("_autopilot_list");

        public static void Write(Utf8JsonWriter writer, IReadOnlyList<OutgoingContact> contacts)
        {
            writer.WriteStartObject();
            writer.WriteStartArray(ContactsProp);
            for (int i = 0; i < contacts.Count; i++) WriteContact(writer, contacts[i]);
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
        }

        public static void WriteContact(Utf8JsonWriter writer, OutgoingContact contact)
        {
            var p = contact.Profile;
            writer.WriteStartObject();
            writer.WriteString(EmailProp, p.Email);
            foreach (var f in p.Fields) WriteValue(writer, f.Key, f.Value);
            if (p.Custom.Length > 0)
            {
                writer.WriteStartObject(CustomProp);
                foreach (var c in p.Custom) WriteValue(writer, c.Key, c.Value);
                writer.WriteEndObject();
            }
            if (contact.ListId != null) writer.WriteString(ListProp, contact.ListId);
            writer.WriteEndObject();
        }

        private static void WriteValue(Utf8JsonWriter writer, string name, FieldValue v)
        {
            switch (v.Kind)
            {
                case FieldValueKind.Integer: writer.WriteNumber(name, v.Integer); break;
                case FieldValueKind.Float: writer.WriteNumber(name, v.Number); break;
                case FieldValueKind.Boolean: writer.WriteBoolean(name, v.Flag); break;
                default: writer.WriteString(name, v.Text); break;
            }
        }
    }
}
