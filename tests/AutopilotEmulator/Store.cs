using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;

namespace AutopilotEmulator;

/// <summary>The contract's standard contact fields (PascalCase plus owner_name); <c>unsubscribed</c> is kept apart.</summary>
internal static class StandardFields
{
    public static readonly string[] Names =
    {
        "Email", "FirstName", "LastName", "Salutation", "Title", "Company", "NumberOfEmployees", "Industry",
        "Phone", "MobilePhone", "Fax", "Website", "Twitter", "LinkedIn", "MailingStreet", "MailingCity",
        "MailingState", "MailingPostalCode", "MailingCountry", "LeadSource", "Status", "owner_name",
    };
    public const int Email = 0;
    public const int NumberOfEmployees = 6;
    public const string Unsubscribed = "unsubscribed";

    private static readonly Dictionary<string, int> Index = Build();
    private static Dictionary<string, int> Build()
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Names.Length; i++) d[Names[i]] = i;
        return d;
    }
    public static int IndexOf(string name) => Index.TryGetValue(name, out var i) ? i : -1;
}

internal sealed class CustomFieldDef
{
    public CustomFieldDef(string name, string type, long seq)
    {
        Name = name; Type = type; Seq = seq;
        TypedKey = type + "--" + name.Replace(" ", "--");
    }
    public string Name { get; }
    public string Type { get; }
    public string TypedKey { get; }
    public long Seq { get; }
}

internal sealed class ContactRecord
{
    public ContactRecord(string id, string email, DateTimeOffset now)
    {
        Id = id; Email = email; CreatedAt = now; UpdatedAt = now;
    }
    public readonly string Id;
    public readonly DateTimeOffset CreatedAt;
    // Everything below is guarded by lock(this).
    public string Email;
    public DateTimeOffset UpdatedAt;
    public readonly object?[] Std = new object?[StandardFields.Names.Length];
    public bool Unsubscribed;
    public Dictionary<string, (CustomFieldDef Def, object Value)>? Custom;
    public List<ListRecord>? Lists;
    public bool Deleted;

    public EmulatorContact Snapshot()
    {
        lock (this)
        {
            var fields = new Dictionary<string, object>(StringComparer.Ordinal);
            for (int i = 0; i < Std.Length; i++)
                if (Std[i] is { } v) fields[StandardFields.Names[i]] = v;
            var custom = new Dictionary<string, object>(StringComparer.Ordinal);
            if (Custom != null) foreach (var kv in Custom) custom[kv.Key] = kv.Value.Value;
            var lists = new List<string>();
            if (Lists != null) foreach (var l in Lists) lists.Add(l.Id);
            return new EmulatorContact
            {
                ContactId = Id, Email = Email, Fields = fields, Custom = custom, Unsubscribed = Unsubscribed,
                Lists = lists, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
            };
        }
    }
}

internal sealed class ListRecord
{
    public ListRecord(string id, string title, long seq) { Id = id; Title = title; Seq = seq; }
    public string Id { get; }
    public string Title { get; }
    public long Seq { get; }
    public readonly OrderedIndex Members = new();
}

/// <summary>
/// An insertion-ordered set of contacts with stable sequence numbers, for paging with bookmarks
/// ("everything after sequence N"). Removal leaves a tombstone; tombstones are compacted away.
/// </summary>
internal sealed class OrderedIndex
{
    private readonly object _gate = new();
    private List<(long Seq, ContactRecord? Rec)> _entries = new();
    private readonly Dictionary<ContactRecord, int> _pos = new();
    private long _nextSeq;

    public int Count { get { lock (_gate) return _pos.Count; } }

    public bool Add(ContactRecord rec)
    {
        lock (_gate)
        {
            if (_pos.ContainsKey(rec)) return false;
            _pos[rec] = _entries.Count;
            _entries.Add((++_nextSeq, rec));
            return true;
        }
    }

    public bool Remove(ContactRecord rec)
    {
        lock (_gate)
        {
            if (!_pos.Remove(rec, out var i)) return false;
            _entries[i] = (_entries[i].Seq, null);
            if (_entries.Count > 64 && _pos.Count < _entries.Count / 2) Compact();
            return true;
        }
    }

    public bool Contains(ContactRecord rec) { lock (_gate) return _pos.ContainsKey(rec); }

    private void Compact()
    {
        var fresh = new List<(long, ContactRecord?)>(_pos.Count + 16);
        foreach (var e in _entries)
        {
            if (e.Rec == null) continue;
            _pos[e.Rec] = fresh.Count;
            fresh.Add(e);
        }
        _entries = fresh;
    }

    /// <summary>Up to <paramref name="take"/> members with sequence above <paramref name="after"/>; <paramref name="more"/> tells whether others follow.</summary>
    public List<ContactRecord> Page(long after, int take, out bool more, out long lastSeq, out int total)
    {
        var result = new List<ContactRecord>(Math.Min(take, 128));
        lock (_gate)
        {
            total = _pos.Count;
            int lo = 0, hi = _entries.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_entries[mid].Seq <= after) lo = mid + 1; else hi = mid;
            }
            lastSeq = after;
            more = false;
            for (int i = lo; i < _entries.Count; i++)
            {
                var e = _entries[i];
                if (e.Rec == null) continue;
                if (result.Count == take) { more = true; break; }
                result.Add(e.Rec);
                lastSeq = e.Seq;
            }
        }
        return result;
    }

    public List<ContactRecord> All()
    {
        lock (_gate)
        {
            var result = new List<ContactRecord>(_pos.Count);
            foreach (var e in _entries) if (e.Rec != null) result.Add(e.Rec);
            return result;
        }
    }
}

internal enum WriteOutcome { Written, EmailConflict }

/// <summary>In-memory data of one emulator instance: contacts, lists, custom fields. Replaced wholesale by a reset.</summary>
internal sealed class EmulatorStore
{
    private readonly ConcurrentDictionary<string, ContactRecord> _byEmail = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, ContactRecord> _byId = new(StringComparer.Ordinal);
    private readonly OrderedIndex _all = new();
    private readonly ConcurrentDictionary<string, ListRecord> _listsById = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ListRecord> _listsByTitle = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CustomFieldDef> _custom = new(StringComparer.OrdinalIgnoreCase);
    private long _seq;

    public OrderedIndex All => _all;
    public int ContactCount => _byId.Count;

    public static string NewContactId() => "person_" + Guid.NewGuid().ToString("D").ToUpperInvariant();
    public static string NewListId() => "contactlist_" + Guid.NewGuid().ToString("D").ToUpperInvariant();

    // ---------- lookups ----------

    public ContactRecord? Find(string idOrEmail)
    {
        if (idOrEmail.IndexOf('@') < 0 && _byId.TryGetValue(idOrEmail, out var r)) return r;
        if (_byEmail.TryGetValue(idOrEmail, out r)) return r;
        return _byId.TryGetValue(idOrEmail, out r) ? r : null;
    }

    public ContactRecord? FindByEmail(string email) => _byEmail.TryGetValue(email, out var r) ? r : null;

    public ListRecord? FindList(string listId) => _listsById.TryGetValue(listId, out var l) ? l : null;

    public List<ListRecord> Lists()
    {
        var lists = new List<ListRecord>(_listsById.Values);
        lists.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return lists;
    }

    // ---------- lists ----------

    /// <summary>Creates a list; null when a list with that title (case-insensitive) exists.</summary>
    public ListRecord? CreateList(string title)
    {
        var list = new ListRecord(NewListId(), title, Interlocked.Increment(ref _seq));
        if (!_listsByTitle.TryAdd(title, list)) return null;
        _listsById[list.Id] = list;
        return list;
    }

    public bool AddToList(ContactRecord rec, ListRecord list)
    {
        lock (rec)
        {
            if (rec.Deleted) return false;
            rec.Lists ??= new List<ListRecord>(2);
            if (!rec.Lists.Contains(list)) rec.Lists.Add(list);
            list.Members.Add(rec);
            return true;
        }
    }

    public void RemoveFromList(ContactRecord rec, ListRecord list)
    {
        lock (rec)
        {
            rec.Lists?.Remove(list);
            list.Members.Remove(rec);
        }
    }

    // ---------- custom fields ----------

    public CustomFieldDef? FindCustom(string name) => _custom.TryGetValue(name, out var d) ? d : null;

    /// <summary>Registers a field (first use creates it); returns the definition that won (may differ from the one asked for).</summary>
    public CustomFieldDef RegisterCustom(string name, string type) =>
        _custom.GetOrAdd(name, static (n, t) => new CustomFieldDef(n, t.Type, Interlocked.Increment(ref t.Store._seq)), (Type: type, Store: this));

    public List<CustomFieldDef> CustomFields()
    {
        var defs = new List<CustomFieldDef>(_custom.Values);
        defs.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return defs;
    }

    // ---------- contacts ----------

    /// <summary>Upserts by email (case-insensitive). Custom field definitions must already be registered.</summary>
    public WriteOutcome Upsert(ContactInput input, ListRecord? list, out ContactRecord rec)
    {
        while (true)
        {
            rec = _byEmail.TryGetValue(input.Email, out var found) ? found : CreateOrGet(input.Email);
            lock (rec)
            {
                // Re-check under the lock: the contact may have been deleted or renamed meanwhile.
                if (rec.Deleted || !_byEmail.TryGetValue(input.Email, out var current) || !ReferenceEquals(current, rec)) continue;

                string email = input.Email;
                if (input.NewEmail != null && !string.Equals(input.NewEmail, input.Email, StringComparison.OrdinalIgnoreCase))
                {
                    if (!_byEmail.TryAdd(input.NewEmail, rec))
                    {
                        if (!_byEmail.TryGetValue(input.NewEmail, out var other) || !ReferenceEquals(other, rec)) return WriteOutcome.EmailConflict;
                    }
                    _byEmail.TryRemove(new KeyValuePair<string, ContactRecord>(input.Email, rec));
                    email = input.NewEmail;
                }
                else if (input.NewEmail != null) email = input.NewEmail;

                // Values equal to the stored ones are not replaced: re-sending the same profile then leaves
                // no new objects referenced from old records (keeps gen0 collections cheap under load).
                if (!string.Equals(rec.Email, email, StringComparison.Ordinal))
                {
                    rec.Email = email;                   // latest spelling wins
                    rec.Std[StandardFields.Email] = email;
                }
                foreach (var (index, value) in input.Std)
                    if (index != StandardFields.Email && !Equals(rec.Std[index], value)) rec.Std[index] = value;
                if (input.Unsubscribed is bool u) rec.Unsubscribed = u;   // absent: unchanged (sticky)
                if (input.Custom != null)
                {
                    rec.Custom ??= new Dictionary<string, (CustomFieldDef, object)>(StringComparer.Ordinal);
                    foreach (var c in input.Custom)
                    {
                        var key = c.Def!.TypedKey;
                        if (!rec.Custom.TryGetValue(key, out var old) || !Equals(old.Value, c.Value)) rec.Custom[key] = (c.Def, c.Value);
                    }
                }
                if (list != null)
                {
                    rec.Lists ??= new List<ListRecord>(2);
                    if (!rec.Lists.Contains(list)) rec.Lists.Add(list);
                    list.Members.Add(rec);
                }
                rec.UpdatedAt = DateTimeOffset.UtcNow;
                return WriteOutcome.Written;
            }
        }
    }

    private ContactRecord CreateOrGet(string email)
    {
        var candidate = new ContactRecord(NewContactId(), email, DateTimeOffset.UtcNow);
        candidate.Std[StandardFields.Email] = email;
        var rec = _byEmail.GetOrAdd(email, candidate);
        if (ReferenceEquals(rec, candidate))
        {
            _byId[rec.Id] = rec;
            _all.Add(rec);
        }
        return rec;
    }

    /// <summary>True when <paramref name="newEmail"/> belongs to a contact other than the one keyed by <paramref name="email"/>.</summary>
    public bool NewEmailConflicts(string email, string newEmail)
    {
        if (!_byEmail.TryGetValue(newEmail, out var other)) return false;
        return !(_byEmail.TryGetValue(email, out var self) && ReferenceEquals(self, other));
    }

    public bool Delete(ContactRecord rec)
    {
        lock (rec)
        {
            if (rec.Deleted) return false;
            rec.Deleted = true;
            _byEmail.TryRemove(new KeyValuePair<string, ContactRecord>(rec.Email, rec));
            _byId.TryRemove(rec.Id, out _);
            if (rec.Lists != null) foreach (var l in rec.Lists) l.Members.Remove(rec);
            _all.Remove(rec);
            return true;
        }
    }

    public void Unsubscribe(ContactRecord rec)
    {
        lock (rec)
        {
            rec.Unsubscribed = true;
            rec.UpdatedAt = DateTimeOffset.UtcNow;
        }
    }
}
