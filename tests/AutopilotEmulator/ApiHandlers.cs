using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AutopilotEmulator;

/// <summary>The /v1 routes. Handlers take HttpContext directly (no model binding) and parse with JsonDocument.</summary>
internal static class ApiHandlers
{
    public const int BulkMax = 100;
    public const int PageSize = 100;

    /// <summary>Result of a synchronous processing step: either an error or a ready JSON body.</summary>
    private readonly record struct Reply(int Status, string? Error, ArrayBufferWriter<byte>? Buffer)
    {
        public static Reply Fail(int status, string message) => new(status, message, null);
        public Task SendAsync(HttpContext ctx) =>
            Error != null ? HttpJson.ErrorAsync(ctx, Status, Error)
            : Buffer != null ? ctx.SendBufferAsync(Status, Buffer)
            : HttpJson.EmptyAsync(ctx, Status);
    }

    private static string? Route(HttpContext ctx, string name) => ctx.Request.RouteValues[name] as string;

    // ---------------- account ----------------

    public static Task Account(HttpContext ctx, EmulatorState st)
    {
        var w = HttpJson.NewWriter(out var buf);
        w.WriteStartObject();
        w.WriteString("instanceId", st.InstanceId);
        w.WriteString("name", "Autopilot API emulator");
        w.WriteString("apiVersion", "v1");
        w.WriteEndObject();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    // ---------------- contacts: writes ----------------

    private static async Task WithJsonBody(HttpContext ctx, EmulatorState st, Func<ReadOnlyMemory<byte>, Reply> process)
    {
        if (!HttpJson.IsJsonContentType(ctx))
        {
            await HttpJson.ErrorAsync(ctx, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type must be application/json (got '{ctx.Request.ContentType ?? "none"}').");
            return;
        }
        using var body = await HttpJson.ReadBodyAsync(ctx, st.MaxBodyBytes);
        if (body == null) return;
        var reply = process(body.Memory);
        await reply.SendAsync(ctx);
    }

    public static Task PostContact(HttpContext ctx, EmulatorState st) => WithJsonBody(ctx, st, mem => ProcessSingle(st, mem));

    public static Task PostContacts(HttpContext ctx, EmulatorState st) =>
        WithJsonBody(ctx, st, mem => ProcessBulk(st, mem, ctx.Features.Get<RequestInfo>()));

    private static JsonDocument? ParseDocument(ReadOnlyMemory<byte> mem, out string? error)
    {
        error = null;
        if (mem.Length == 0) { error = "Malformed JSON: the body is empty."; return null; }
        try { return JsonDocument.Parse(mem); }
        catch (JsonException e) { error = "Malformed JSON: " + e.Message; return null; }
    }

    /// <summary>Checks the envelope {"key": …}; <c>_autopilot_list</c> at the top level is ignored, like the real service; any other key is refused.</summary>
    private static string? Envelope(JsonElement root, string key, out JsonElement value)
    {
        value = default;
        if (root.ValueKind != JsonValueKind.Object) return $"The body must be a JSON object {{\"{key}\": …}}, not {ContactParser.Kind(root)}.";
        bool found = false;
        foreach (var p in root.EnumerateObject())
        {
            if (p.NameEquals(key)) { value = p.Value; found = true; }
            else if (p.NameEquals("_autopilot_list")) { /* ignored at the top level (contract) */ }
            else return $"unknown top-level key '{ContactParser.Clip(p.Name)}'; the body must be {{\"{key}\": …}}.";
        }
        return found ? null : $"The body must be {{\"{key}\": …}}; '{key}' is missing.";
    }

    /// <summary>Checks custom keys against the registry and the fields first used earlier in the same call.</summary>
    internal static string? CheckCustom(EmulatorStore store, ContactInput input, Dictionary<string, (string Name, string Type)> pending)
    {
        if (input.Custom == null) return null;
        Dictionary<string, (string Name, string Type)>? local = null;
        foreach (var c in input.Custom)
        {
            (string Name, string Type) existing;
            if (store.FindCustom(c.Name) is { } def) existing = (def.Name, def.Type);
            else if (pending.TryGetValue(c.Name, out var p)) existing = p;
            else if (local != null && local.TryGetValue(c.Name, out var q)) existing = q;
            else
            {
                (local ??= new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase))[c.Name] = (c.Name, c.Type);
                continue;
            }
            if (existing.Type != c.Type)
                return $"custom key '{ContactParser.Clip(c.Key)}': the field '{existing.Name}' was created as {existing.Type}, not {c.Type}";
            if (!string.Equals(existing.Name, c.Name, StringComparison.Ordinal))
                return $"custom key '{ContactParser.Clip(c.Key)}': the field name differs only in case from the existing field '{existing.Name}'";
        }
        if (local != null) foreach (var kv in local) pending[kv.Key] = kv.Value;
        return null;
    }

    /// <summary>Creates the custom fields first used by <paramref name="input"/>; an error when a concurrent call created one with another type.</summary>
    internal static string? Register(EmulatorStore store, ContactInput input)
    {
        if (input.Custom == null) return null;
        foreach (var c in input.Custom)
        {
            var def = store.RegisterCustom(c.Name, c.Type);
            if (def.Type != c.Type || !string.Equals(def.Name, c.Name, StringComparison.Ordinal))
                return $"custom key '{ContactParser.Clip(c.Key)}': the field '{def.Name}' was created as {def.Type}";
            c.Def = def;
        }
        return null;
    }

    private delegate string? EnvelopeValueReader(ref Utf8JsonReader reader);

    /// <summary>
    /// Reads the body {"key": …} with Utf8JsonReader: <c>_autopilot_list</c> at the top level is ignored (as the
    /// real service does), any other key is refused. <paramref name="onValue"/> gets the reader on the value's
    /// first token and must leave it on the value's last token. Malformed JSON wins over every other error.
    /// </summary>
    private static string? ReadEnvelope(ReadOnlySpan<byte> body, string key, EnvelopeValueReader onValue)
    {
        if (body.IsEmpty) return "Malformed JSON: the body is empty.";
        var r = new Utf8JsonReader(body);
        string? error = null;
        bool found = false;
        try
        {
            r.Read();
            if (r.TokenType != JsonTokenType.StartObject)
            {
                error = $"The body must be a JSON object {{\"{key}\": …}}, not {ContactParser.Kind(ref r)}.";
                r.Skip();
            }
            else
            {
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    if (r.ValueTextEquals(key))
                    {
                        r.Read();
                        if (found) { error ??= $"'{key}' is given twice."; r.Skip(); continue; }
                        found = true;
                        if (error == null) error = onValue(ref r); else r.Skip();
                    }
                    else if (r.ValueTextEquals("_autopilot_list"u8))
                    {
                        r.Read();
                        r.Skip();
                    }
                    else
                    {
                        error ??= $"unknown top-level key '{ContactParser.Clip(r.GetString()!)}'; the body must be {{\"{key}\": …}}.";
                        r.Read();
                        r.Skip();
                    }
                }
            }
            while (r.Read()) { }   // anything after the root value is malformed (throws)
        }
        catch (JsonException e) { return "Malformed JSON: " + e.Message; }
        catch (InvalidOperationException e) { return "Malformed JSON: " + e.Message; }
        if (error == null && !found) error = $"The body must be {{\"{key}\": …}}; '{key}' is missing.";
        return error;
    }

    private static Reply ProcessSingle(EmulatorState st, ReadOnlyMemory<byte> mem)
    {
        var store = st.Store;
        ContactInput? input = null;
        string? err = null;
        var envError = ReadEnvelope(mem.Span, "contact", (ref Utf8JsonReader r) =>
        {
            err = ContactParser.Parse(ref r, out var parsed);
            input = parsed;
            return null;
        });
        if (envError != null) return Reply.Fail(400, envError);
        if (err != null || input == null) return Reply.Fail(400, "contact: " + err);
        ListRecord? list = null;
        if (input.ListId != null && (list = store.FindList(input.ListId)) == null)
            return Reply.Fail(404, $"contact: list '{ContactParser.Clip(input.ListId)}' could not be found.");
        if (CheckCustom(store, input, new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase)) is { } customError)
            return Reply.Fail(400, "contact: " + customError);
        if (input.NewEmail != null && store.NewEmailConflicts(input.Email, input.NewEmail))
            return Reply.Fail(409, $"contact: _NewEmail '{ContactParser.Clip(input.NewEmail)}' already belongs to another contact.");
        if (Register(store, input) is { } regError) return Reply.Fail(400, "contact: " + regError);
        if (store.Upsert(input, list, out var rec) == WriteOutcome.EmailConflict)
            return Reply.Fail(409, $"contact: _NewEmail '{ContactParser.Clip(input.NewEmail!)}' already belongs to another contact.");
        st.Stats.ContactsWritten(1);
        var w = HttpJson.NewWriter(out var buf, 128);
        w.WriteStartObject();
        w.WriteString("contact_id", rec.Id);
        w.WriteEndObject();
        w.Flush(); w.Dispose();
        return new Reply(200, null, buf);
    }

    private static Reply ProcessBulk(EmulatorState st, ReadOnlyMemory<byte> mem, RequestInfo? info)
    {
        var store = st.Store;
        var parsed = new List<(ContactInput Input, string? Error)>(BulkMax);
        int n = 0;
        var envError = ReadEnvelope(mem.Span, "contacts", (ref Utf8JsonReader r) =>
        {
            if (r.TokenType != JsonTokenType.StartArray)
            {
                var kind = ContactParser.Kind(ref r);
                r.Skip();
                return $"'contacts' must be an array, not {kind}.";
            }
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                n++;
                if (n > BulkMax) { r.Skip(); continue; }      // only counted
                var error = ContactParser.Parse(ref r, out var input);
                parsed.Add((input, error));
            }
            return null;
        });
        if (envError != null) return Reply.Fail(400, envError);
        if (info != null) info.ContactCount = n;
        st.Stats.BulkReceived(n);
        if (n == 0) return Reply.Fail(400, "'contacts' is empty; send 1 to 100 contacts per call.");
        if (n > BulkMax) return Reply.Fail(400, $"At most {BulkMax} contacts per call; this call holds {n}.");

        var inputs = new ContactInput?[n];
        var lists = new ListRecord?[n];
        var pending = new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase);
        List<string>? errors = null;
        int firstStatus = 400;
        string? listError = null;
        for (int i = 0; i < n; i++)
        {
            var (input, err) = parsed[i];
            int status = 400;
            if (err == null && input.ListId != null && (lists[i] = store.FindList(input.ListId)) == null)
                listError ??= $"contacts[{i}]: list '{ContactParser.Clip(input.ListId)}' could not be found.";
            if (err == null) err = CheckCustom(store, input, pending);
            if (err == null && input.NewEmail != null && store.NewEmailConflicts(input.Email, input.NewEmail))
            {
                err = $"_NewEmail '{ContactParser.Clip(input.NewEmail)}' already belongs to another contact";
                status = 409;
            }
            if (err != null)
            {
                errors ??= new List<string>();
                if (errors.Count == 0) firstStatus = status;
                errors.Add($"contacts[{i}]: {err}");
            }
            else inputs[i] = input;
        }
        // An unknown list fails the whole call in both modes: never silent.
        if (listError != null) return Reply.Fail(404, listError);
        bool reject = st.BulkInvalid == BulkInvalidMode.Reject;
        if (errors != null && reject) return Reply.Fail(firstStatus, JoinErrors(errors));

        for (int i = 0; i < n; i++)
        {
            if (inputs[i] is not { } input) continue;
            if (Register(store, input) is { } regError)
            {
                if (reject) return Reply.Fail(400, $"contacts[{i}]: {regError}");
                inputs[i] = null;
            }
        }

        var ids = new string?[n];
        int written = 0;
        for (int i = 0; i < n; i++)
        {
            if (inputs[i] is not { } input) continue;
            if (store.Upsert(input, lists[i], out var rec) == WriteOutcome.Written)
            {
                ids[i] = rec.Id;
                written++;
            }
        }
        st.Stats.ContactsWritten(written);

        var w = HttpJson.NewWriter(out var buf, 110 * n + 64);
        w.WriteStartObject();
        w.WriteStartArray("contact_ids");
        for (int i = 0; i < n; i++) if (ids[i] != null) w.WriteStringValue(ids[i]);
        w.WriteEndArray();
        w.WriteStartObject("email_contact_map");
        HashSet<string>? seen = null;
        for (int i = 0; i < n; i++)
        {
            if (ids[i] == null) continue;
            var email = inputs[i]!.Email;
            seen ??= new HashSet<string>(StringComparer.Ordinal);
            if (!seen.Add(email)) continue;
            w.WriteString(email, ids[i]);
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush(); w.Dispose();
        return new Reply(200, null, buf);
    }

    private static string JoinErrors(List<string> errors)
    {
        const int Max = 10;
        if (errors.Count == 1) return errors[0];
        var sb = new StringBuilder();
        for (int i = 0; i < errors.Count && i < Max; i++)
        {
            if (i > 0) sb.Append("; ");
            sb.Append(errors[i]);
        }
        if (errors.Count > Max) sb.Append("; and ").Append(errors.Count - Max).Append(" more");
        return sb.ToString();
    }

    // ---------------- single contact ----------------

    private const string ContactNotFound = "Contact could not be found.";
    private const string ListNotFound = "List could not be found.";

    public static Task GetContact(HttpContext ctx, EmulatorState st)
    {
        var rec = st.Store.Find(Route(ctx, "idOrEmail") ?? "");
        if (rec == null) return HttpJson.ErrorAsync(ctx, 404, ContactNotFound);
        var w = HttpJson.NewWriter(out var buf, 1024);
        lock (rec) WriteApiContact(w, rec);
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    public static Task DeleteContact(HttpContext ctx, EmulatorState st)
    {
        var store = st.Store;
        var rec = store.Find(Route(ctx, "idOrEmail") ?? "");
        if (rec == null || !store.Delete(rec)) return HttpJson.ErrorAsync(ctx, 404, ContactNotFound);
        return HttpJson.EmptyAsync(ctx);
    }

    public static Task Unsubscribe(HttpContext ctx, EmulatorState st)
    {
        var store = st.Store;
        var rec = store.Find(Route(ctx, "idOrEmail") ?? "");
        if (rec == null) return HttpJson.ErrorAsync(ctx, 404, ContactNotFound);
        store.Unsubscribe(rec);
        return HttpJson.EmptyAsync(ctx);
    }

    /// <summary>Opens a contact object with its id and every stored standard field (the start both the API's and
    /// the inspection view share). Call under lock(rec).</summary>
    internal static void WriteContactStart(Utf8JsonWriter w, ContactRecord rec)
    {
        w.WriteStartObject();
        w.WriteString("contact_id", rec.Id);
        for (int i = 0; i < rec.Std.Length; i++)
        {
            if (rec.Std[i] is not { } v) continue;
            w.WritePropertyName(StandardFields.Names[i]);
            HttpJson.WriteValue(w, v);
        }
    }

    /// <summary>"lists": the ids of the lists the contact is on, in joining order. Call under lock(rec).</summary>
    internal static void WriteListIds(Utf8JsonWriter w, ContactRecord rec)
    {
        w.WriteStartArray("lists");
        if (rec.Lists != null) foreach (var l in rec.Lists) w.WriteStringValue(l.Id);
        w.WriteEndArray();
    }

    /// <summary>The API's view of a contact (as GET /contact answers it). Call under lock(rec).</summary>
    internal static void WriteApiContact(Utf8JsonWriter w, ContactRecord rec)
    {
        WriteContactStart(w, rec);
        w.WriteBoolean("unsubscribed", rec.Unsubscribed);
        WriteListIds(w, rec);
        w.WriteStartArray("custom_fields");
        if (rec.Custom != null)
        {
            foreach (var (def, value) in rec.Custom.Values)
            {
                w.WriteStartObject();
                w.WriteString("kind", def.Name);
                w.WritePropertyName("value");
                HttpJson.WriteValue(w, value);
                w.WriteString("fieldType", def.Type);
                w.WriteBoolean("deleted", false);
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
        w.WriteString("created_at", rec.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        w.WriteString("updated_at", rec.UpdatedAt.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    // ---------------- paging ----------------

    private const string AllScope = "contacts";

    internal static string EncodeBookmark(string scope, long seq) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(scope + "|" + seq.ToString(CultureInfo.InvariantCulture)));

    internal static bool TryDecodeBookmark(string bookmark, string scope, out long seq)
    {
        seq = 0;
        try
        {
            if (bookmark.Length > 512) return false;
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(bookmark));
            int bar = text.LastIndexOf('|');
            return bar > 0 && text.AsSpan(0, bar).SequenceEqual(scope)
                && long.TryParse(text.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
        }
        catch (FormatException) { return false; }
    }

    private static Task Page(HttpContext ctx, OrderedIndex index, string scope)
    {
        long after = 0;
        var bookmark = Route(ctx, "bookmark");
        if (bookmark != null && !TryDecodeBookmark(bookmark, scope, out after))
            return HttpJson.ErrorAsync(ctx, 400, "Invalid bookmark.");
        var page = index.Page(after, PageSize, out bool more, out long last, out int total);
        var w = HttpJson.NewWriter(out var buf, 600 * page.Count + 128);
        w.WriteStartObject();
        w.WriteStartArray("contacts");
        foreach (var rec in page)
            lock (rec)
                if (!rec.Deleted) WriteApiContact(w, rec);
        w.WriteEndArray();
        w.WriteNumber("total_contacts", total);
        if (more) w.WriteString("bookmark", EncodeBookmark(scope, last));
        w.WriteEndObject();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    public static Task GetContacts(HttpContext ctx, EmulatorState st) => Page(ctx, st.Store.All, AllScope);

    public static Task GetListContacts(HttpContext ctx, EmulatorState st)
    {
        var list = st.Store.FindList(Route(ctx, "listId") ?? "");
        if (list == null) return HttpJson.ErrorAsync(ctx, 404, ListNotFound);
        return Page(ctx, list.Members, list.Id);
    }

    // ---------------- custom fields ----------------

    public static Task GetCustomFields(HttpContext ctx, EmulatorState st)
    {
        var w = HttpJson.NewWriter(out var buf);
        w.WriteStartArray();
        foreach (var def in st.Store.CustomFields())
        {
            w.WriteStartObject();
            w.WriteString("name", def.Name);
            w.WriteString("fieldType", def.Type);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    // ---------------- lists ----------------

    public static Task GetLists(HttpContext ctx, EmulatorState st) => WriteLists(ctx, st, withMemberCounts: false);

    /// <summary>{"lists":[{"list_id","title"}]}: the API's shape; the inspection route adds each list's member count.</summary>
    internal static Task WriteLists(HttpContext ctx, EmulatorState st, bool withMemberCounts)
    {
        var w = HttpJson.NewWriter(out var buf);
        w.WriteStartObject();
        w.WriteStartArray("lists");
        foreach (var l in st.Store.Lists())
        {
            w.WriteStartObject();
            w.WriteString("list_id", l.Id);
            w.WriteString("title", l.Title);
            if (withMemberCounts) w.WriteNumber("contacts", l.Members.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        return HttpJson.SendAsync(ctx, 200, w, buf);
    }

    public static Task PostList(HttpContext ctx, EmulatorState st) => WithJsonBody(ctx, st, mem =>
    {
        using var doc = ParseDocument(mem, out var parseError);
        if (doc == null) return Reply.Fail(400, parseError!);
        if (Envelope(doc.RootElement, "name", out var el) is { } envError) return Reply.Fail(400, envError);
        if (el.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(el.GetString()))
            return Reply.Fail(400, $"'name' must be a non-empty string, not {ContactParser.Kind(el)}.");
        var name = el.GetString()!;
        var list = st.Store.CreateList(name);
        if (list == null) return Reply.Fail(409, $"A list named '{ContactParser.Clip(name)}' already exists.");
        var w = HttpJson.NewWriter(out var buf, 128);
        w.WriteStartObject();
        w.WriteString("list_id", list.Id);
        w.WriteEndObject();
        w.Flush(); w.Dispose();
        return new Reply(200, null, buf);
    });

    private static bool ListAndContact(HttpContext ctx, EmulatorState st, out ListRecord list, out ContactRecord rec, out Task error)
    {
        list = null!; rec = null!; error = Task.CompletedTask;
        var l = st.Store.FindList(Route(ctx, "listId") ?? "");
        if (l == null) { error = HttpJson.ErrorAsync(ctx, 404, ListNotFound); return false; }
        var r = st.Store.Find(Route(ctx, "idOrEmail") ?? "");
        if (r == null) { error = HttpJson.ErrorAsync(ctx, 404, ContactNotFound); return false; }
        list = l; rec = r;
        return true;
    }

    public static Task ListHasContact(HttpContext ctx, EmulatorState st)
    {
        if (!ListAndContact(ctx, st, out var list, out var rec, out var error)) return error;
        return list.Members.Contains(rec) ? HttpJson.EmptyAsync(ctx) : HttpJson.ErrorAsync(ctx, 404, "Contact is not on the list.");
    }

    public static Task AddToList(HttpContext ctx, EmulatorState st)
    {
        if (!ListAndContact(ctx, st, out var list, out var rec, out var error)) return error;
        return st.Store.AddToList(rec, list) ? HttpJson.EmptyAsync(ctx) : HttpJson.ErrorAsync(ctx, 404, ContactNotFound);
    }

    public static Task RemoveFromList(HttpContext ctx, EmulatorState st)
    {
        if (!ListAndContact(ctx, st, out var list, out var rec, out var error)) return error;
        st.Store.RemoveFromList(rec, list);
        return HttpJson.EmptyAsync(ctx);
    }
}
