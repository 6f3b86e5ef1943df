using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AutopilotEmulator;

internal sealed class CustomValue
{
    public required string Key { get; init; }     // as sent: "integer--Order--Count"
    public required string Name { get; init; }    // "Order Count"
    public required string Type { get; init; }    // string | integer | float | boolean | date
    public required object Value { get; init; }   // string | long | double | bool
    public CustomFieldDef? Def { get; set; }      // resolved against the registry before writing
}

/// <summary>One validated contact object of a request.</summary>
internal sealed class ContactInput
{
    public string Email = "";
    public string? NewEmail;
    public string? ListId;
    public bool? Unsubscribed;
    public readonly List<(int Index, object? Value)> Std = new(8);
    public List<CustomValue>? Custom;
}

/// <summary>Validation of contact objects (the contract's keys and value types; unknown keys are refused).</summary>
internal static partial class ContactParser
{
    public static readonly string[] CustomTypes = { "string", "integer", "float", "boolean", "date" };

    // Property codes: 0..21 standard fields, then the special keys.
    private const int CodeUnsubscribed = 100, CodeCustom = 101, CodeList = 102, CodeNotify = 103, CodeNewEmail = 104, CodeSessionId = 105;

    private static readonly Dictionary<string, int> Codes = BuildCodes();
    private static readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> CodeLookup = Codes.GetAlternateLookup<ReadOnlySpan<char>>();

    private static Dictionary<string, int> BuildCodes()
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < StandardFields.Names.Length; i++) d[StandardFields.Names[i]] = i;
        d[StandardFields.Unsubscribed] = CodeUnsubscribed;
        d["custom"] = CodeCustom;
        d["_autopilot_list"] = CodeList;
        d["notify"] = CodeNotify;
        d["_NewEmail"] = CodeNewEmail;
        d["_autopilot_session_id"] = CodeSessionId;
        return d;
    }

    /// <summary>Code of the property name the reader is on (-1 = unknown), without allocating for known names.</summary>
    private static int PropertyCode(ref Utf8JsonReader r)
    {
        if (!r.ValueIsEscaped && !r.HasValueSequence && r.ValueSpan.Length <= 64)
        {
            Span<char> chars = stackalloc char[64];
            int n = Encoding.UTF8.GetChars(r.ValueSpan, chars);
            return CodeLookup.TryGetValue(chars.Slice(0, n), out var c) ? c : -1;
        }
        return Codes.TryGetValue(r.GetString()!, out var code) ? code : -1;
    }

    /// <summary>
    /// Parses one contact; the reader is on the item's first token and is left on its last token
    /// (the closing brace of an object), also when the item is invalid. Null when valid, else the reason.
    /// </summary>
    public static string? Parse(ref Utf8JsonReader r, out ContactInput input)
    {
        input = new ContactInput();
        if (r.TokenType != JsonTokenType.StartObject)
        {
            var kind = Kind(ref r);
            r.Skip();
            return $"a contact must be a JSON object, not {kind}";
        }
        string? error = null;
        bool hasEmail = false;
        while (r.Read() && r.TokenType != JsonTokenType.EndObject)
        {
            if (error != null) { r.Skip(); continue; }          // on a property name: skips its value
            int code = PropertyCode(ref r);
            string? unknown = code < 0 ? r.GetString() : null;
            r.Read();
            error = ReadProperty(ref r, code, unknown, input, ref hasEmail);
            if (error != null && r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
        }
        if (error == null && !hasEmail) error = "Email is required";
        return error;
    }

    private static string? ReadProperty(ref Utf8JsonReader r, int code, string? unknown, ContactInput input, ref bool hasEmail)
    {
        var t = r.TokenType;
        switch (code)
        {
            case StandardFields.Email:
            {
                if (t != JsonTokenType.String) return $"'Email' must be a string, not {Kind(ref r)}";
                var email = r.GetString()!;
                if (CheckEmail(email) is { } why) return $"invalid email '{Clip(email)}' ({why})";
                input.Email = email;
                hasEmail = true;
                return null;
            }
            case StandardFields.NumberOfEmployees:
                if (t == JsonTokenType.String) input.Std.Add((code, r.GetString()));
                else if (t == JsonTokenType.Null) input.Std.Add((code, null));
                else if (t == JsonTokenType.Number && r.TryGetInt64(out var n)) input.Std.Add((code, n));
                else return $"'NumberOfEmployees' must be a string or a whole number, not {Kind(ref r)}";
                return null;
            case >= 0 and < 100:
                if (t == JsonTokenType.String) input.Std.Add((code, r.GetString()));
                else if (t == JsonTokenType.Null) input.Std.Add((code, null));
                else return $"'{StandardFields.Names[code]}' must be a string, not {Kind(ref r)}";
                return null;
            case CodeUnsubscribed:
                if (t == JsonTokenType.True) input.Unsubscribed = true;
                else if (t == JsonTokenType.False) input.Unsubscribed = false;
                else return $"'unsubscribed' must be true or false, not {Kind(ref r)}";
                return null;
            case CodeCustom:
                return ParseCustom(ref r, input);
            case CodeList:
                if (t != JsonTokenType.String) return $"'_autopilot_list' must be a list id string, not {Kind(ref r)}";
                var list = r.GetString()!;
                if (string.IsNullOrWhiteSpace(list)) return "'_autopilot_list' must be a list id string, not \"\"";
                input.ListId = list;
                return null;
            case CodeNotify:
                if (t != JsonTokenType.True && t != JsonTokenType.False) return $"'notify' must be true or false, not {Kind(ref r)}";
                return null;
            case CodeNewEmail:
            {
                if (t != JsonTokenType.String) return $"'_NewEmail' must be a string, not {Kind(ref r)}";
                var ne = r.GetString()!;
                if (CheckEmail(ne) is { } why) return $"invalid _NewEmail '{Clip(ne)}' ({why})";
                input.NewEmail = ne;
                return null;
            }
            case CodeSessionId:
                if (t != JsonTokenType.String) return $"'_autopilot_session_id' must be a string, not {Kind(ref r)}";
                return null;
            default:
                return $"unknown key '{Clip(unknown ?? "")}' (not a standard field, special key or 'custom')";
        }
    }

    /// <summary>Reads the "custom" object; the reader is left on its closing brace (or on the offending non-object value).</summary>
    private static string? ParseCustom(ref Utf8JsonReader r, ContactInput input)
    {
        if (r.TokenType != JsonTokenType.StartObject) return $"'custom' must be a JSON object, not {Kind(ref r)}";
        string? error = null;
        while (r.Read() && r.TokenType != JsonTokenType.EndObject)
        {
            if (error != null) { r.Skip(); continue; }
            var info = CustomKey(ref r, out var keyError);
            r.Read();
            if (info == null) error = keyError;
            else error = CustomValueOf(ref r, info, input);
            if (error != null && r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
        }
        return error;
    }

    private static string? CustomValueOf(ref Utf8JsonReader r, CustomKeyInfo info, ContactInput input)
    {
        var t = r.TokenType;
        object value;
        switch (info.Type)
        {
            case "string":
                if (t != JsonTokenType.String) return $"custom key '{Clip(info.Key)}' must hold a string, not {Kind(ref r)}";
                value = r.GetString()!;
                break;
            case "integer":
                // TryGetInt64 consumes the whole token or fails, so 3.0 and 3e2 are refused as integers.
                if (t != JsonTokenType.Number || !r.TryGetInt64(out var n)) return $"custom key '{Clip(info.Key)}' must hold a JSON integer, not {Kind(ref r)}";
                value = n;
                break;
            case "float":
                if (t != JsonTokenType.Number || !r.TryGetDouble(out var d) || !double.IsFinite(d))
                    return $"custom key '{Clip(info.Key)}' must hold a number, not {Kind(ref r)}";
                value = d;
                break;
            case "boolean":
                if (t == JsonTokenType.True) value = true;
                else if (t == JsonTokenType.False) value = false;
                else return $"custom key '{Clip(info.Key)}' must hold true or false, not {Kind(ref r)}";
                break;
            default: // date
                string? s = t == JsonTokenType.String ? r.GetString() : null;
                if (s == null || !IsIsoDate(s))
                    return $"custom key '{Clip(info.Key)}' must hold an ISO-8601 date string (2026-11-23 or 2026-11-23T10:00:00Z), not {Kind(ref r)}";
                value = s;
                break;
        }
        input.Custom ??= new List<CustomValue>(4);
        input.Custom.Add(new CustomValue { Key = info.Key, Name = info.Name, Type = info.Type, Value = value });
        return null;
    }

    internal sealed record CustomKeyInfo(string Key, string Type, string Name);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, CustomKeyInfo> KeyCache = new(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, CustomKeyInfo>.AlternateLookup<ReadOnlySpan<char>> KeyCacheLookup =
        KeyCache.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The typed custom key the reader's property name holds (cached), or null with the reason.</summary>
    private static CustomKeyInfo? CustomKey(ref Utf8JsonReader r, out string? error)
    {
        error = null;
        if (!r.ValueIsEscaped && !r.HasValueSequence && r.ValueSpan.Length <= 256)
        {
            Span<char> chars = stackalloc char[256];
            int n = Encoding.UTF8.GetChars(r.ValueSpan, chars);
            if (KeyCacheLookup.TryGetValue(chars.Slice(0, n), out var hit)) return hit;
        }
        var key = r.GetString()!;
        if (KeyCache.TryGetValue(key, out var found)) return found;
        error = ParseCustomKey(key, out var type, out var name);
        if (error != null) return null;
        var info = new CustomKeyInfo(key, type, name);
        if (KeyCache.Count < 10_000) KeyCache.TryAdd(key, info);
        return info;
    }

    /// <summary>"type--Name--With--Spaces" → type, "Name With Spaces"; null when valid, else the reason.</summary>
    public static string? ParseCustomKey(string key, out string type, out string name)
    {
        type = ""; name = "";
        int sep = key.IndexOf("--", StringComparison.Ordinal);
        if (sep <= 0) return $"custom key '{Clip(key)}' must look like <type>--<Name> with each space written as -- (types: string, integer, float, boolean, date)";
        type = key.Substring(0, sep);
        if (Array.IndexOf(CustomTypes, type) < 0)
            return $"custom key '{Clip(key)}' has unknown type '{Clip(type)}' (string, integer, float, boolean, date)";
        var rest = key.Substring(sep + 2);
        if (rest.Length == 0) return $"custom key '{Clip(key)}' has no field name";
        foreach (char c in rest)
            if (char.IsWhiteSpace(c) || char.IsControl(c)) return $"custom key '{Clip(key)}' contains white space; write each space as --";
        name = rest.Replace("--", " ");
        if (name.Trim().Length != name.Length || name.Length == 0) return $"custom key '{Clip(key)}' gives a field name that starts or ends with a space";
        return null;
    }

    /// <summary>The emulator's email rule: exactly one @, non-empty local part, a dot in the domain, no white space, at most 254 characters.</summary>
    public static string? CheckEmail(string email)
    {
        if (email.Length == 0) return "empty";
        if (email.Length > 254) return "longer than 254 characters";
        int at = -1;
        for (int i = 0; i < email.Length; i++)
        {
            char c = email[i];
            if (char.IsWhiteSpace(c) || char.IsControl(c)) return "contains white space";
            if (c == '@')
            {
                if (at >= 0) return "more than one '@'";
                at = i;
            }
        }
        if (at < 0) return "no '@'";
        if (at == 0) return "empty local part";
        if (email.IndexOf('.', at + 1) < 0) return "no dot in the domain";
        // RFC 2606 reserves .invalid: such an address can never exist. It stands in for the real API's own
        // address rules (unknown, and possibly stricter than the client's), so tests can make the API refuse
        // an address the client accepts: the case that needs batch splitting and email_contact_map checks.
        if (email.EndsWith(".invalid", StringComparison.OrdinalIgnoreCase)) return "reserved domain .invalid";
        return null;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    public static bool IsIsoDate(string s)
    {
        if (!IsoDate().IsMatch(s)) return false;
        if (!DateTime.TryParseExact(s.Substring(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) return false;
        if (s.Length > 10)
        {
            int hh = int.Parse(s.AsSpan(11, 2), CultureInfo.InvariantCulture);
            int mm = int.Parse(s.AsSpan(14, 2), CultureInfo.InvariantCulture);
            int ss = s.Length >= 19 && s[16] == ':' ? int.Parse(s.AsSpan(17, 2), CultureInfo.InvariantCulture) : 0;
            if (hh > 23 || mm > 59 || ss > 59) return false;
        }
        return true;
    }

    internal static string Kind(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.String => "\"" + Clip(r.GetString()!) + "\"",
        JsonTokenType.Number => Clip(Encoding.UTF8.GetString(r.ValueSpan)),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => r.TokenType.ToString(),
    };

    internal static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "\"" + Clip(v.GetString()!) + "\"",
        JsonValueKind.Number => Clip(v.GetRawText()),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => v.ValueKind.ToString(),
    };

    internal static string Clip(string s) => s.Length <= 60 ? s : s.Substring(0, 57) + "...";
}
