using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine;

namespace AutopilotExport.Engine.Api
{
    /// <summary>One contact of a bulk call: the contact as <see cref="ContactJson.Encode"/> wrote it, and the list it joins.</summary>
    public readonly struct OutgoingContact
    {
        public OutgoingContact(byte[] contact, string? listId)
        {
            Contact = contact ?? throw new ArgumentNullException(nameof(contact)); ListId = listId;
        }
        public byte[] Contact { get; }
        public string? ListId { get; }
    }

    /// <summary>
    /// The bulk payload, <c>{"contacts":[…]}</c>, with <c>_autopilot_list</c> inside each contact (the contract: it is
    /// ignored at the top level). Each contact is written once, on the pipeline thread, into a byte array of its
    /// own: its length bounds the batch exactly, an incremental run hashes it, and the senders splice the arrays
    /// into the body with each contact's list reference instead of writing the contacts again. The contact objects
    /// are open-ended (any standard field, typed custom keys), so they are written straight to a Utf8JsonWriter;
    /// a generated serializer would need a dictionary per contact.
    /// </summary>
    public static class ContactJson
    {
        internal static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions
        {
            // Payloads go to an API, not into HTML: keep accented and CJK names as UTF-8 instead of \u escapes.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = true,
        };

        private static readonly JsonEncodedText EmailProp = JsonEncodedText.Encode("Email", WriterOptions.Encoder);
        private static readonly JsonEncodedText CustomProp = JsonEncodedText.Encode("custom", WriterOptions.Encoder);
        private static readonly byte[] Head = { (byte)'{', (byte)'"', (byte)'c', (byte)'o', (byte)'n', (byte)'t', (byte)'a', (byte)'c', (byte)'t', (byte)'s', (byte)'"', (byte)':', (byte)'[' };
        private static readonly byte[] ListKey = System.Text.Encoding.UTF8.GetBytes(",\"_autopilot_list\":\"");

        /// <summary>Bytes a payload adds around its contacts: <c>{"contacts":[</c> and <c>]}</c>.</summary>
        public const int EnvelopeBytes = 13 + 2;

        /// <summary>Most a contact adds to a payload beyond its own bytes: the comma before it and its list
        /// reference. List ids are "contactlist_" and a UUID (48 characters); 128 leaves room for any id.</summary>
        public const int ListReferenceBytes = 1 + 20 + 128 + 1;

        // Per thread (in practice the pipeline thread): the writer, its buffer and the encoded field names.
        [ThreadStatic] private static Encoder? _encoder;

        /// <summary>One contact object without its list reference: exactly as a bulk call carries it, and what
        /// an incremental run hashes to tell whether the destination already holds it so.</summary>
        public static byte[] Encode(MappedProfile profile)
        {
            if (profile == null) throw new ArgumentNullException(nameof(profile));
            return (_encoder ??= new Encoder()).Encode(profile);
        }

        /// <summary>The bulk body for these contacts, in an array of its exact size.</summary>
        public static ArraySegment<byte> Payload(IReadOnlyList<OutgoingContact> contacts) => Payload(contacts, null);

        /// <summary>The bulk body for these contacts; with a pool, in an array rented from it (the caller returns it
        /// once the call is over: a fast run sends a thousand 40 KB bodies a second, a tenth of all it allocates).</summary>
        [MethodImpl(HotPath.Optimize)]
        public static ArraySegment<byte> Payload(IReadOnlyList<OutgoingContact> contacts, ArrayPool<byte>? pool)
        {
            if (contacts == null) throw new ArgumentNullException(nameof(contacts));
            // Each list id is escaped once per payload (a batch usually has one list).
            string? lastId = null;
            byte[]? lastEncoded = null;
            int size = EnvelopeBytes;
            var ids = new byte[]?[contacts.Count];
            for (int i = 0; i < contacts.Count; i++)
            {
                var c = contacts[i];
                size += c.Contact.Length + (i > 0 ? 1 : 0);
                if (c.ListId == null) continue;
                if (!ReferenceEquals(c.ListId, lastId) && c.ListId != lastId)
                {
                    lastId = c.ListId;
                    lastEncoded = JsonEncodedText.Encode(c.ListId, WriterOptions.Encoder).EncodedUtf8Bytes.ToArray();
                }
                ids[i] = lastEncoded;
                size += ListKey.Length + lastEncoded!.Length + 1;
            }

            var body = pool != null ? pool.Rent(size) : new byte[size];
            int at = 0;
            Put(Head, body, ref at);
            for (int i = 0; i < contacts.Count; i++)
            {
                if (i > 0) body[at++] = (byte)',';
                var contact = contacts[i].Contact;
                if (ids[i] is byte[] id)
                {
                    // The contact's own closing brace comes after its list reference.
                    Buffer.BlockCopy(contact, 0, body, at, contact.Length - 1);
                    at += contact.Length - 1;
                    Put(ListKey, body, ref at);
                    Put(id, body, ref at);
                    body[at++] = (byte)'"';
                    body[at++] = (byte)'}';
                }
                else Put(contact, body, ref at);
            }
            body[at++] = (byte)']';
            body[at++] = (byte)'}';
            return new ArraySegment<byte>(body, 0, at);
        }

        private static void Put(byte[] bytes, byte[] to, ref int at)
        {
            Buffer.BlockCopy(bytes, 0, to, at, bytes.Length);
            at += bytes.Length;
        }

        private sealed class Encoder
        {
            // Field names are the mapper's own string instances, in the same order on every row but for fields a
            // row leaves empty: the escaped form of each position's name is kept, and reused while the same
            // instance comes at that position again; other names are found by instance. Bounded, should a caller
            // hand in new strings every time.
            private const int MaxNames = 1024;
            private JsonEncodedText[] _names = new JsonEncodedText[16];
            private string?[] _nameOf = new string?[16];
            private readonly Dictionary<string, JsonEncodedText> _byInstance = new Dictionary<string, JsonEncodedText>(ByInstance.Comparer);
            private readonly PayloadBuffer _buffer = new PayloadBuffer(1024);
            private readonly Utf8JsonWriter _writer;

            public Encoder() { _writer = new Utf8JsonWriter(_buffer, WriterOptions); }

            [MethodImpl(HotPath.Optimize)]
            public byte[] Encode(MappedProfile p)
            {
                _buffer.Clear();
                _writer.Reset(_buffer);
                _writer.WriteStartObject();
                _writer.WriteString(EmailProp, p.Email);
                int slot = 0;
                foreach (var f in p.Fields) WriteValue(slot++, f.Key, f.Value);
                if (p.Custom.Length > 0)
                {
                    _writer.WriteStartObject(CustomProp);
                    foreach (var c in p.Custom) WriteValue(slot++, c.Key, c.Value);
                    _writer.WriteEndObject();
                }
                _writer.WriteEndObject();
                _writer.Flush();
                var written = _buffer.WrittenSegment;
                var bytes = new byte[written.Count];
                Buffer.BlockCopy(written.Array!, 0, bytes, 0, written.Count);
                return bytes;
            }

            [MethodImpl(HotPath.Optimize)]
            private void WriteValue(int slot, string name, FieldValue v)
            {
                var key = Name(slot, name);
                switch (v.Kind)
                {
                    case FieldValueKind.Integer: _writer.WriteNumber(key, v.Integer); break;
                    case FieldValueKind.Float: _writer.WriteNumber(key, v.Number); break;
                    case FieldValueKind.Boolean: _writer.WriteBoolean(key, v.Flag); break;
                    default: _writer.WriteString(key, v.Text); break;
                }
            }

            private JsonEncodedText Name(int slot, string name)
            {
                if (slot >= _nameOf.Length)
                {
                    Array.Resize(ref _nameOf, slot * 2);
                    Array.Resize(ref _names, slot * 2);
                }
                if (!ReferenceEquals(_nameOf[slot], name))
                {
                    if (!_byInstance.TryGetValue(name, out var encoded))
                    {
                        encoded = JsonEncodedText.Encode(name, WriterOptions.Encoder);
                        if (_byInstance.Count < MaxNames) _byInstance[name] = encoded;
                    }
                    _names[slot] = encoded;
                    _nameOf[slot] = name;
                }
                return _names[slot];
            }
        }

        private sealed class ByInstance : IEqualityComparer<string>
        {
            public static readonly ByInstance Comparer = new ByInstance();
            public bool Equals(string? x, string? y) => ReferenceEquals(x, y);
            public int GetHashCode(string obj) => RuntimeHelpers.GetHashCode(obj);
        }
    }
}
