using System.Net.Http.Json;
using System.Text.Json;
using AutopilotEmulator;

namespace AutopilotExport.Engine.Tests.Export;

/// <summary>Reads what the emulator stored through its inspection API, as the assertions need it.</summary>
public static class EmulatorView
{
    private static readonly HttpClient Http = new();

    public sealed record StoredContact(string Email, Dictionary<string, JsonElement> Fields, Dictionary<string, JsonElement> Custom, string[] Lists);

    public static async Task<List<StoredContact>> ContactsAsync(EmulatorHost emu)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri(emu.RootUri, "__emulator/contacts")));
        var result = new List<StoredContact>();
        foreach (var c in doc.RootElement.GetProperty("contacts").EnumerateArray())
        {
            var fields = new Dictionary<string, JsonElement>();
            var custom = new Dictionary<string, JsonElement>();
            string[] lists = Array.Empty<string>();
            foreach (var p in c.EnumerateObject())
            {
                if (p.Name == "custom") foreach (var f in p.Value.EnumerateObject()) custom[f.Name] = f.Value.Clone();
                else if (p.Name == "lists") lists = p.Value.EnumerateArray().Select(x => x.GetString()!).ToArray();
                else if (p.Name != "contact_id" && p.Value.ValueKind != JsonValueKind.Null) fields[p.Name] = p.Value.Clone();
            }
            result.Add(new StoredContact(c.GetProperty("Email").GetString()!, fields, custom, lists));
        }
        return result;
    }

    /// <summary>title -> list id.</summary>
    public static async Task<Dictionary<string, string>> ListsAsync(EmulatorHost emu)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri(emu.RootUri, "__emulator/lists")));
        return doc.RootElement.GetProperty("lists").EnumerateArray()
            .ToDictionary(l => l.GetProperty("title").GetString()!, l => l.GetProperty("list_id").GetString()!);
    }

    /// <summary>Count of requests by "METHOD /route status" from the stats route.</summary>
    public static async Task<Dictionary<string, long>> RequestsAsync(EmulatorHost emu)
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri(emu.RootUri, "__emulator/stats")));
        var result = new Dictionary<string, long>();
        foreach (var r in doc.RootElement.GetProperty("requests").EnumerateArray())
        {
            var key = r.GetProperty("route").GetString() + " " + r.GetProperty("status").GetInt32();
            result[key] = result.GetValueOrDefault(key) + r.GetProperty("count").GetInt64();
        }
        return result;
    }

    public static long Sum(this Dictionary<string, long> requests, string prefix) =>
        requests.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(kv => kv.Value);
}
