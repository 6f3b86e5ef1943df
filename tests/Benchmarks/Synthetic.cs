using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace AutopilotExport.Benchmarks;

/// <summary>
/// The synthetic profiles: row i is a pure function of i, so the harness can generate a million rows lazily
/// (nothing kept in memory) and afterwards say, for every stored contact, exactly what it must hold.
/// Row i: i % 100 in {0, 1} -> invalid email (2%); i % 100 == 2 (i >= 100) -> repeats row i-50's email in upper
/// case (1% duplicates); every other row is a valid, unique profile. Names and places with accents and CJK,
/// one custom field of each type. With <see cref="RefusedByApi"/> (the faults scenario), row i % 200 == 3 (0.5%)
/// has an address in the reserved .invalid domain: valid to the module, refused by the emulator, so the API's
/// handling of bad items (reject the call, or skip the item) is part of the run.
/// </summary>
internal static class Synthetic
{
    private static readonly string[] FirstNames =
    {
        "José", "Zoë", "Søren", "François", "Łukasz", "Ångström", "Chloé", "Björn", "Ingrid", "Mateo",
        "Ada", "Grace", "Nuño", "İlkay", "Ørjan", "Daniël", "Siân", "Zoltán", "Renée", "Þórr",
        "翔太", "美咲", "伟", "芳", "민준", "서연", "Ana", "Joaquín", "Noémie", "Jürgen",
    };
    private static readonly string[] LastNames =
    {
        "Müller", "García", "Łęcki", "Ørsted", "Dvořák", "Nguyễn", "O'Brien", "Smith", "Kowalczyk", "Jäger",
        "佐藤", "鈴木", "王", "李", "김", "박", "Fernández", "Šimůnek", "Çelik", "Ślusarczyk",
        "Lovelace", "Hopper", "Ğüneş", "de la Cruz", "van der Berg", "Ōtani", "Håkansson", "Żak", "Ferré", "Núñez",
    };
    private static readonly string[] Companies = { "Acme GmbH", "Société Générale", "株式会社テスト", "Contoso Ltd", "Østfold AS", "Ñandú S.A.", "", "Fabrikam" };
    private static readonly string[] Cities = { "München", "São Paulo", "東京", "Zürich", "Kraków", "Reykjavík", "Paris", "Seoul" };
    private static readonly string[] Tiers = { "gold", "silver", "bronze", "Platinum – 白金" };
    private static readonly DateTime Epoch = new(2010, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The field map the scenarios export with (PowerShell hashtable text).</summary>
    public const string FieldMapScript = @"@{
    Email = 'Email'; FirstName = 'FirstName'; LastName = 'LastName'; Company = 'Company'; MailingCity = 'City'
    Custom = @{
        'Loyalty Tier'   = @{ Property = 'Tier';   Type = 'string' }
        'Order Count'    = @{ Property = 'Orders'; Type = 'integer' }
        'Lifetime Value' = @{ Property = 'Ltv';    Type = 'float' }
        'Opted In'       = @{ Property = 'OptIn';  Type = 'boolean' }
        'Member Since'   = @{ Property = 'Since';  Type = 'date' }
    }
}";

    /// <summary>Set per scenario before generating (the harness runs one scenario at a time).</summary>
    public static bool RefusedByApi { get; set; }

    public static bool IsInvalid(long i) => i % 100 < 2;
    public static bool IsDuplicate(long i) => i % 100 == 2 && i >= 100;
    public static bool IsRefusedByApi(long i) => RefusedByApi && i % 200 == 3;
    /// <summary>A row the emulator must store.</summary>
    public static bool IsValidUnique(long i) => !IsInvalid(i) && !IsDuplicate(i) && !IsRefusedByApi(i);

    public static string EmailOf(long i) =>
        string.Create(CultureInfo.InvariantCulture, $"user{i}.{(char)('a' + (int)(i % 26))}@example{i % 7}.{(IsRefusedByApi(i) ? "invalid" : "com")}");

    /// <summary>The row number an email of <see cref="EmailOf"/> came from, or -1.</summary>
    public static long RowOfEmail(string email)
    {
        if (!email.StartsWith("user", StringComparison.OrdinalIgnoreCase)) return -1;
        int dot = email.IndexOf('.', 4);
        return dot > 4 && long.TryParse(email.AsSpan(4, dot - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1;
    }

    private static int Hash(long i) => (int)((i * 2654435761L) & 0x7fffffff);

    public static IEnumerable<Hashtable> Generate(long n)
    {
        for (long i = 0; i < n; i++)
        {
            string email = IsInvalid(i)
                ? (i % 2 == 0 ? $"user{i}.example.com" : $"user{i} at example")
                : IsDuplicate(i) ? EmailOf(i - 50).ToUpperInvariant() : EmailOf(i);
            int h = Hash(i);
            yield return new Hashtable(10)
            {
                ["Email"] = email,
                ["FirstName"] = FirstNames[h % FirstNames.Length],
                ["LastName"] = LastNames[(h / 31) % LastNames.Length],
                ["Company"] = Companies[(h / 7) % Companies.Length],
                ["City"] = Cities[(h / 13) % Cities.Length],
                ["Tier"] = Tiers[(h / 3) % Tiers.Length],
                ["Orders"] = h % 500,
                ["Ltv"] = Math.Round((h % 1_000_000) / 100.0, 2),
                ["OptIn"] = (h & 1) == 0,
                ["Since"] = Epoch.AddMinutes(h % 8_000_000),
            };
        }
    }

    /// <summary>What the contact of valid row i must hold after the export: standard fields and typed custom keys.
    /// Blank values are not sent (Company "" is absent).</summary>
    public static (Dictionary<string, string> Fields, Dictionary<string, object> Custom) Expected(long i)
    {
        int h = Hash(i);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Email"] = EmailOf(i),
            ["FirstName"] = FirstNames[h % FirstNames.Length],
            ["LastName"] = LastNames[(h / 31) % LastNames.Length],
            ["MailingCity"] = Cities[(h / 13) % Cities.Length],
        };
        var company = Companies[(h / 7) % Companies.Length];
        if (company.Length > 0) fields["Company"] = company;
        var custom = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["string--Loyalty--Tier"] = Tiers[(h / 3) % Tiers.Length],
            ["integer--Order--Count"] = (long)(h % 500),
            ["float--Lifetime--Value"] = Math.Round((h % 1_000_000) / 100.0, 2),
            ["boolean--Opted--In"] = (h & 1) == 0,
            ["date--Member--Since"] = Epoch.AddMinutes(h % 8_000_000).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        return (fields, custom);
    }
}

/// <summary>Compares the emulator's whole store with the expected mapping, contact for contact.</summary>
internal static class StoreCheck
{
    public sealed record Outcome(long Expected, long Stored, long Missing, long Mismatched, long Unexpected, IReadOnlyList<string> Examples);

    public static Outcome Compare(byte[] contactsJson, long profiles)
    {
        var seen = new System.Collections.BitArray(checked((int)profiles));
        long stored = 0, mismatched = 0, unexpected = 0;
        var examples = new List<string>();
        var reader = new Utf8JsonReader(contactsJson);
        // Walk to the "contacts" array, then read one contact object at a time.
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("contacts")) break;
        reader.Read(); // StartArray
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            stored++;
            var c = doc.RootElement;
            var email = c.TryGetProperty("Email", out var e) ? e.GetString() ?? "" : "";
            long row = Synthetic.RowOfEmail(email);
            if (row < 0 || row >= profiles || !Synthetic.IsValidUnique(row) || seen[(int)row])
            {
                unexpected++;
                if (examples.Count < 5) examples.Add("unexpected contact " + email);
                continue;
            }
            seen[(int)row] = true;
            var problem = Difference(c, row);
            if (problem != null)
            {
                mismatched++;
                if (examples.Count < 5) examples.Add($"{email}: {problem}");
            }
        }

        long expected = 0, missing = 0;
        for (long i = 0; i < profiles; i++)
        {
            if (!Synthetic.IsValidUnique(i)) continue;
            expected++;
            if (!seen[(int)i])
            {
                missing++;
                if (examples.Count < 5) examples.Add("missing " + Synthetic.EmailOf(i));
            }
        }
        return new Outcome(expected, stored, missing, mismatched, unexpected, examples);
    }

    private static string? Difference(JsonElement c, long row)
    {
        var (fields, custom) = Synthetic.Expected(row);
        int standardSeen = 0;
        foreach (var p in c.EnumerateObject())
        {
            switch (p.Name)
            {
                case "contact_id": case "unsubscribed": case "custom": case "lists": continue;
            }
            standardSeen++;
            if (!fields.TryGetValue(p.Name, out var want)) return $"unexpected field {p.Name}";
            if (p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() != want) return $"{p.Name} is {p.Value.GetRawText()}, expected {want}";
        }
        if (standardSeen != fields.Count) return $"{standardSeen} standard fields, expected {fields.Count}";

        var stored = c.GetProperty("custom");
        int customSeen = 0;
        foreach (var p in stored.EnumerateObject())
        {
            customSeen++;
            if (!custom.TryGetValue(p.Name, out var want)) return $"unexpected custom key {p.Name}";
            bool same = want switch
            {
                string s => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == s,
                long l => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var got) && got == l,
                double d => p.Value.ValueKind == JsonValueKind.Number && p.Value.GetDouble() == d,
                bool b => p.Value.ValueKind == (b ? JsonValueKind.True : JsonValueKind.False),
                _ => false,
            };
            if (!same) return $"custom {p.Name} is {p.Value.GetRawText()}, expected {want}";
        }
        if (customSeen != custom.Count) return $"{customSeen} custom fields, expected {custom.Count}";
        if (c.GetProperty("lists").GetArrayLength() != 1) return $"on {c.GetProperty("lists").GetArrayLength()} lists, expected 1";
        return null;
    }
}
