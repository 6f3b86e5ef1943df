using System.Management.Automation;
using System.Text.RegularExpressions;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;
using static AutopilotExport.Module.Tests.Infrastructure.ExportResults;

namespace AutopilotExport.Module.Tests;

/// <summary>
/// Hostile input through the real module: every case pipes a valid row, the hostile row(s) and another valid row
/// into Start-AutopilotExport in one runspace shared by the class, and asserts either the exact payload the emulator
/// stored or one non-terminating error per bad row (exact FullyQualifiedErrorId, the input row as TargetObject),
/// that both valid rows still landed, that no terminating error escaped and that the result's counts are exact.
/// </summary>
[Collection(ModuleCollection.Name)]
public sealed class HostileInputTests : IClassFixture<HostileInputTests.SharedSession>, IDisposable
{
    private const string DefaultMap =
        "@{ Email = 'Email'; FirstName = 'FirstName'; LastName = 'LastName'; Company = 'Company'; NumberOfEmployees = 'Employees'; Custom = @{ V = 'V' } }";

    private readonly EmulatorFixture _emulator;
    private readonly SharedSession _shared;
    private readonly string? _savedHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_HOME");
    private readonly string? _savedKeyHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME");

    public HostileInputTests(EmulatorFixture emulator, SharedSession shared)
    {
        _emulator = emulator;
        _shared = shared;
        emulator.ResetForTest();
        shared.Ensure(emulator);
        emulator.Host.Reset();
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", _savedHome);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", _savedKeyHome);
    }

    /// <summary>One runspace with the module imported and connection 'Emu' saved, for every case of the class.</summary>
    public sealed class SharedSession : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "apx-module-tests", Guid.NewGuid().ToString("N"));
        private ModuleSession? _session;

        public ModuleSession Session => _session ?? throw new InvalidOperationException("Ensure was not called.");

        public void Ensure(EmulatorFixture emulator)
        {
            Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", Path.Combine(_root, "state"));
            Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", Path.Combine(_root, "keys"));
            if (_session != null) return;
            Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", null);
            _session = new ModuleSession();
            _session.SetVariable("ApiKey", ModuleSession.Secure(EmulatorFixture.ApiKey));
            _session.SetVariable("BaseUri", emulator.Host.BaseUri.ToString().TrimEnd('/'));
            _session.RunClean("New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy | Out-Null");
        }

        public void Dispose()
        {
            _session?.Dispose();
            try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    // ------------------------------------------------------------------ the case model

    /// <summary>What one hostile row must end as: a contact exactly so, or an error with this id.</summary>
    public sealed record Outcome(string? ErrorId, string? Email, Dictionary<string, string> Fields, Dictionary<string, object> Custom, string List);

    /// <summary>
    /// <paramref name="Script"/> adds the hostile rows to <c>$hostile</c> (a List[object]); it may change
    /// [cultureinfo]::CurrentCulture, which is restored afterwards. <paramref name="Map"/> is the -FieldMap
    /// expression ("$null" for the automatic matching); <paramref name="Extra"/> more parameters.
    /// </summary>
    public sealed record Case(string Name, string Script, Outcome[] Outcomes, string Map = DefaultMap, string Extra = "", string? Culture = null);

    private static Outcome Lands(string email, Dictionary<string, string>? fields = null, Dictionary<string, object>? custom = null, string list = "Hostile") =>
        new(null, email, fields ?? new(), custom ?? new(), list);

    private static Outcome Error(string id) => new(id, null, new(), new(), "");

    private static Dictionary<string, string> F(params (string Field, string Value)[] f) => f.ToDictionary(x => x.Field, x => x.Value);
    private static Dictionary<string, object> C(params (string Key, object Value)[] c) => c.ToDictionary(x => x.Key, x => x.Value);

    private static readonly string[] InvalidIds = { "MissingEmail", "InvalidEmail", "InvalidFieldValue", "MissingSegment", "NullRow", "InvalidSegmentName", "AmbiguousProperty" };

    /// <summary>A row with Email and the given extra properties, as PowerShell source.</summary>
    private static string Row(string email, string props = "") => $"$hostile.Add([pscustomobject]@{{ Email = '{email}'; {props} }})";

    /// <summary>A row whose Email is the given PowerShell expression.</summary>
    private static string EmailRow(string expression) => $"$hostile.Add([pscustomobject]@{{ Email = {expression} }})";

    private static IEnumerable<Case> AllCases()
    {
        // ---- missing, empty and invalid addresses: (case, the Email value as a PowerShell expression, error id)
        yield return new("email-property-missing", "$hostile.Add([pscustomobject]@{ FirstName = 'NoMail' })", new[] { Error("MissingEmail") });
        var refused = new (string Name, string Value, string Id)[]
        {
            ("email-null", "$null", "MissingEmail"), ("email-empty", "''", "MissingEmail"), ("email-blank", "'    '", "MissingEmail"),
            ("email-whitespace-controls", "\"`t`r`n \"", "MissingEmail"), ("email-dbnull", "[DBNull]::Value", "MissingEmail"),
            ("email-no-at", "'no-at-sign.example.com'", "InvalidEmail"), ("email-two-at", "'two@at@example.com'", "InvalidEmail"),
            ("email-double-at", "'double@@example.com'", "InvalidEmail"), ("email-inner-space", "'john smith@example.com'", "InvalidEmail"),
            ("email-trailing-dot", "'user@example.com.'", "InvalidEmail"), ("email-leading-dot", "'.user@example.com'", "InvalidEmail"),
            ("email-no-local-part", "'@example.com'", "InvalidEmail"), ("email-no-domain", "'user@'", "InvalidEmail"),
            ("email-domain-without-dot", "'user@localhost'", "InvalidEmail"), ("email-display-name", "'Ada <ada@example.com>'", "InvalidEmail"),
            ("email-quoted-local-part", "'\"john smith\"@example.com'", "InvalidEmail"), ("email-ip-literal", "'user@[127.0.0.1]'", "InvalidEmail"),
            ("email-numeric-tld", "'user@example.123'", "InvalidEmail"), ("email-bell-character", "\"a`ab@example.com\"", "InvalidEmail"),
            ("email-local-part-65", "('l' * 65) + '@example.com'", "InvalidEmail"),
            ("email-domain-over-255", "'u@' + ((1..5 | ForEach-Object { 'a' * 60 }) -join '.') + '.com'", "InvalidEmail"),
            ("email-1MB", "('e' * 1MB) + '@example.com'", "InvalidEmail"), ("email-is-a-number", "42", "InvalidEmail"),
            ("email-is-an-array", "@('a1@example.com', 'a2@example.com')", "InvalidEmail"),
            ("email-is-a-hashtable", "@{ Address = 'h@example.com' }", "InvalidEmail"),
            ("email-lone-surrogate", "\"ab$([char]0xD800)@example.com\"", "InvalidEmail"),
            // Invisible tag characters (hidden text) and marks with nothing to combine with: look-alikes of a real address.
            ("email-tag-characters-hidden-text", "\"ada`u{E0041}`u{E0042}@example.com\"", "InvalidEmail"),
            ("email-language-tag-at-start", "\"`u{E0001}ada@example.com\"", "InvalidEmail"),
            ("email-cancel-tag-at-end", "\"ada@example.com`u{E007F}\"", "InvalidEmail"),
            ("email-tag-space-in-domain", "\"ada@exam`u{E0020}ple.com\"", "InvalidEmail"),
            ("email-variation-selector-supplement", "\"ada`u{E0100}@example.com\"", "InvalidEmail"),
            ("email-leading-combining-mark", "\"`u{0301}ada@example.com\"", "InvalidEmail"),
            ("email-leading-enclosing-mark", "\"`u{20DD}ada@example.com\"", "InvalidEmail"),
            ("email-combining-mark-after-dot", "\"ada.`u{0301}b@example.com\"", "InvalidEmail"),
            ("email-domain-starts-with-combining-mark", "\"ada@`u{0301}example.com\"", "InvalidEmail"),
            // Accepted by the client, refused by the API: only that row fails.
            ("email-refused-by-the-api", "'refused@example.invalid'", "RejectedByApi"),
        };
        foreach (var (name, value, id) in refused) yield return new(name, EmailRow(value), new[] { Error(id) });

        // ---- addresses that are accepted, and sent exactly as spelled (trimmed): (case, Email expression, stored email)
        var domain189 = new string('b', 63) + "." + new string('c', 63) + "." + new string('d', 57) + ".com";
        var accepted = new (string Name, string Value, string Stored)[]
        {
            ("email-local-part-64", "('l' * 64) + '@example.com'", new string('l', 64) + "@example.com"),
            ("email-254-characters", $"('l' * 64) + '@{domain189}'", new string('l', 64) + "@" + domain189),
            ("email-padded", "'   padded@example.com  '", "padded@example.com"),
            ("email-mixed-case-kept", "'MiXeD.Case@Example.COM'", "MiXeD.Case@Example.COM"),
            ("email-plus-tag", "'user+tag@example.com'", "user+tag@example.com"),
            ("email-idn-domain", "'user@bücher.de'", "user@bücher.de"),
            ("email-unicode-local-part", "'josé.müller@example.com'", "josé.müller@example.com"),
            ("email-cyrillic", "'пользователь@пример.рф'", "пользователь@пример.рф"),
            ("email-cjk", "'用户@例子.中国'", "用户@例子.中国"),
            ("email-emoji-surrogate-pair", "\"smile`u{1F600}@example.com\"", "smile\U0001F600@example.com"),
            ("email-combining-mark-after-its-letter", "\"jose`u{0301}@example.com\"", "jose\u0301@example.com"),
        };
        foreach (var (name, value, stored) in accepted) yield return new(name, EmailRow(value), new[] { Lands(stored) });

        // ---- duplicates
        yield return new("duplicate-case-and-whitespace",
            Row("Dup@Example.com", "FirstName = 'First'") + "\n" + Row("dup@example.com", "FirstName = 'Second'") + "\n" + Row("  DUP@EXAMPLE.COM  ", "FirstName = 'Third'"),
            new[] { Lands("Dup@Example.com", F(("FirstName", "First"))), Error("DuplicateEmail"), Error("DuplicateEmail") });
        yield return new("duplicate-of-a-valid-row", Row("BEFORE@example.com", "FirstName = 'Again'"), new[] { Error("DuplicateEmail") });
        yield return new("same-email-300-times", "1..300 | ForEach-Object { $hostile.Add([pscustomobject]@{ Email = 'same@example.com'; FirstName = \"Same$_\" }) }",
            new[] { Lands("same@example.com", F(("FirstName", "Same1"))) }.Concat(Enumerable.Repeat(Error("DuplicateEmail"), 299)).ToArray());

        // ---- rows that are not records
        yield return new("null-row", "$hostile.Add($null)", new[] { Error("NullRow") });
        yield return new("null-rows-around-a-valid-row", "$hostile.Add($null)\n" + Row("middle@example.com") + "\n$hostile.Add($null); $hostile.Add($null)",
            new[] { Error("NullRow"), Lands("middle@example.com"), Error("NullRow"), Error("NullRow") });
        yield return new("row-is-a-string", "$hostile.Add('plain@example.com')", new[] { Error("MissingEmail") });
        yield return new("row-is-a-number", "$hostile.Add(12345)", new[] { Error("MissingEmail") });
        yield return new("row-is-an-empty-hashtable", "$hostile.Add(@{})", new[] { Error("MissingEmail") });
        yield return new("row-is-an-array", "$hostile.Add(@('x@example.com', 'y@example.com'))", new[] { Error("MissingEmail") });
        yield return new("row-is-a-hashtable", "$hostile.Add(@{ email = 'hash@example.com'; FIRSTNAME = 'Hash' })",
            new[] { Lands("hash@example.com", F(("FirstName", "Hash"))) });

        // ---- names: control characters, scripts, long values, formulas (all data, sent verbatim but trimmed)
        yield return new("name-nul", Row("nul@example.com", "FirstName = \"A`0B\""), new[] { Lands("nul@example.com", F(("FirstName", "A\0B"))) });
        yield return new("name-bell", Row("bell@example.com", "FirstName = \"Bell`a\""), new[] { Lands("bell@example.com", F(("FirstName", "Bell\a"))) });
        yield return new("name-crlf", Row("crlf@example.com", "FirstName = \"Line1`r`nLine2\""), new[] { Lands("crlf@example.com", F(("FirstName", "Line1\r\nLine2"))) });
        yield return new("name-tabs-trimmed", Row("tab@example.com", "FirstName = \"`tTab`tbed`t\""), new[] { Lands("tab@example.com", F(("FirstName", "Tab\tbed"))) });
        yield return new("name-blank-left-out", Row("blankname@example.com", "FirstName = '   '; LastName = \"`t\""), new[] { Lands("blankname@example.com") });
        yield return new("name-emoji", Row("emoji@example.com", "FirstName = \"Zo`u{00EB} `u{1F469}`u{200D}`u{1F4BB}\""),
            new[] { Lands("emoji@example.com", F(("FirstName", "Zo\u00EB \U0001F469\u200D\U0001F4BB"))) });
        yield return new("name-rtl", Row("rtl@example.com", "FirstName = 'محمد'; LastName = \"`u{200F}כהן\""),
            new[] { Lands("rtl@example.com", F(("FirstName", "محمد"), ("LastName", "\u200Fכהן"))) });
        yield return new("name-lone-high-surrogate", Row("lone1@example.com", "FirstName = \"Bad$([char]0xD800)Name\""), new[] { Error("InvalidFieldValue") });
        yield return new("name-lone-low-surrogate-at-end", Row("lone2@example.com", "LastName = \"Tail$([char]0xDC00)\""), new[] { Error("InvalidFieldValue") });
        yield return new("custom-lone-surrogate", Row("lone3@example.com", "V = \"x$([char]0xDBFF)\""), new[] { Error("InvalidFieldValue") });
        yield return new("name-4000-characters", Row("long4000@example.com", "FirstName = 'n' * 4000"),
            new[] { Lands("long4000@example.com", F(("FirstName", new string('n', 4000)))) });
        yield return new("name-4001-characters", Row("long4001@example.com", "FirstName = 'n' * 4001"), new[] { Error("InvalidFieldValue") });
        yield return new("name-1MB", Row("mega@example.com", "FirstName = 'm' * 1MB"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-1MB", Row("megacustom@example.com", "V = 'm' * 1MB"), new[] { Error("InvalidFieldValue") });
        yield return new("formula-cmd", Row("formula1@example.com", "FirstName = '=cmd|'' /C calc''!A0'"),
            new[] { Lands("formula1@example.com", F(("FirstName", "=cmd|' /C calc'!A0"))) });
        yield return new("formula-plus", Row("formula2@example.com", "V = '+1'"), new[] { Lands("formula2@example.com", custom: C(("string--V", "+1"))) });
        yield return new("formula-minus", Row("formula3@example.com", "LastName = '-1'"), new[] { Lands("formula3@example.com", F(("LastName", "-1"))) });
        yield return new("formula-at", Row("formula4@example.com", "Company = '@SUM(A1:A2)'"), new[] { Lands("formula4@example.com", F(("Company", "@SUM(A1:A2)"))) });

        // ---- values that are not single values
        yield return new("name-array", Row("arr@example.com", "FirstName = @('a', 'b')"), new[] { Error("InvalidFieldValue") });
        yield return new("name-hashtable", Row("ht@example.com", "FirstName = @{ a = 1 }"), new[] { Error("InvalidFieldValue") });
        yield return new("company-nested-object", Row("nested@example.com", "Company = [pscustomobject]@{ Name = 'Inner' }"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-array", Row("carr@example.com", "V = @(1, 2, 3)"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-byte-array", Row("bytes@example.com", "V = [byte[]](1, 2, 3)"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-scriptblock", Row("sb@example.com", "V = { 'code' }"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-bigint", Row("bigint@example.com", "V = [bigint]::Parse('123456789012345678901234567890')"), new[] { Error("InvalidFieldValue") });

        // ---- typed custom values (the type is inferred from the value: every case is its own run)
        yield return new("custom-int", Row("int@example.com", "V = 42"), new[] { Lands("int@example.com", custom: C(("integer--V", 42L))) });
        yield return new("custom-zero-is-not-empty", Row("zero@example.com", "V = 0"), new[] { Lands("zero@example.com", custom: C(("integer--V", 0L))) });
        yield return new("custom-long-beyond-double", Row("long@example.com", "V = [long]9007199254740993"),
            new[] { Lands("long@example.com", custom: C(("integer--V", 9007199254740993L))) });
        yield return new("custom-long-max", Row("longmax@example.com", "V = [long]::MaxValue"), new[] { Lands("longmax@example.com", custom: C(("integer--V", long.MaxValue))) });
        yield return new("custom-uint64-too-big", Row("ulong@example.com", "V = [uint64]::MaxValue"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-decimal", Row("dec@example.com", "V = [decimal]'0.1'"), new[] { Lands("dec@example.com", custom: C(("float--V", 0.1))) });
        yield return new("custom-decimal-max", Row("decmax@example.com", "V = [decimal]::MaxValue"),
            new[] { Lands("decmax@example.com", custom: C(("float--V", (double)decimal.MaxValue))) });
        yield return new("custom-double", Row("dbl@example.com", "V = 1234.5"), new[] { Lands("dbl@example.com", custom: C(("float--V", 1234.5))) });
        yield return new("custom-single", Row("single@example.com", "V = [single]19.99"), new[] { Lands("single@example.com", custom: C(("float--V", 19.99))) });
        yield return new("custom-nan", Row("nan@example.com", "V = [double]::NaN"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-positive-infinity", Row("pinf@example.com", "V = [double]::PositiveInfinity"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-negative-infinity", Row("ninf@example.com", "V = [double]::NegativeInfinity"), new[] { Error("InvalidFieldValue") });
        yield return new("custom-true", Row("true@example.com", "V = $true"), new[] { Lands("true@example.com", custom: C(("boolean--V", true))) });
        yield return new("custom-false-is-not-empty", Row("false@example.com", "V = $false"), new[] { Lands("false@example.com", custom: C(("boolean--V", false))) });
        yield return new("custom-datetime-utc-milliseconds-dropped", Row("dtutc@example.com", "V = [datetime]::new(2024, 2, 29, 13, 45, 30, 123, [DateTimeKind]::Utc)"),
            new[] { Lands("dtutc@example.com", custom: C(("date--V", "2024-02-29T13:45:30Z"))) });
        yield return new("custom-datetime-unspecified-is-utc", Row("dtsql@example.com", "V = [datetime]::new(1999, 12, 31)"),
            new[] { Lands("dtsql@example.com", custom: C(("date--V", "1999-12-31T00:00:00Z"))) });
        yield return new("custom-datetime-min", Row("dtmin@example.com", "V = [datetime]::MinValue"),
            new[] { Lands("dtmin@example.com", custom: C(("date--V", "0001-01-01T00:00:00Z"))) });
        yield return new("custom-datetimeoffset-to-utc", Row("dto@example.com", "V = [datetimeoffset]::new(2024, 2, 29, 1, 30, 0, [timespan]::FromHours(2))"),
            new[] { Lands("dto@example.com", custom: C(("date--V", "2024-02-28T23:30:00Z"))) });
        yield return new("custom-guid", Row("guid@example.com", "V = [guid]'0F8FAD5B-D9CB-469F-A165-70867728950E'"),
            new[] { Lands("guid@example.com", custom: C(("string--V", "0f8fad5b-d9cb-469f-a165-70867728950e"))) });
        yield return new("custom-enum", Row("enum@example.com", "V = [DayOfWeek]::Friday"), new[] { Lands("enum@example.com", custom: C(("string--V", "Friday"))) });
        yield return new("custom-char", Row("char@example.com", "V = [char]'x'"), new[] { Lands("char@example.com", custom: C(("string--V", "x"))) });
        yield return new("custom-timespan", Row("ts@example.com", "V = [timespan]::FromMinutes(90)"), new[] { Lands("ts@example.com", custom: C(("string--V", "01:30:00"))) });
        yield return new("custom-psobject-wrapped", Row("wrapped@example.com", "FirstName = [psobject]::AsPSObject('Wrapped'); V = [psobject]::AsPSObject(7)"),
            new[] { Lands("wrapped@example.com", F(("FirstName", "Wrapped")), C(("integer--V", 7L))) });
        yield return new("custom-dbnull-left-out", Row("dbnull@example.com", "FirstName = [DBNull]::Value; V = [DBNull]::Value"), new[] { Lands("dbnull@example.com") });
        yield return new("sql-datarow-with-nulls", """
            $t = [System.Data.DataTable]::new()
            $null = $t.Columns.Add('Email'); $null = $t.Columns.Add('FirstName'); $null = $t.Columns.Add('V', [int])
            $r = $t.NewRow(); $r['Email'] = 'sql@example.com'; $r['FirstName'] = [DBNull]::Value; $r['V'] = 7; $t.Rows.Add($r)
            $r = $t.NewRow(); $r['Email'] = 'sql2@example.com'; $r['FirstName'] = 'Sequel'; $r['V'] = [DBNull]::Value; $t.Rows.Add($r)
            $hostile.Add($t.Rows[0]); $hostile.Add($t.Rows[1])
            """, new[] { Lands("sql@example.com", custom: C(("integer--V", 7L))), Lands("sql2@example.com", F(("FirstName", "Sequel"))) });
        yield return new("standard-fields-from-numbers-and-dates",
            Row("numbers@example.com", "Company = 1234.5; Employees = 1234567; LastName = [datetime]::new(2020, 1, 2, 3, 4, 5, [DateTimeKind]::Utc)"),
            new[] { Lands("numbers@example.com", F(("Company", "1234.5"), ("NumberOfEmployees", "1234567"), ("LastName", "2020-01-02T03:04:05Z"))) });

        // ---- text given a type by the map
        const string TypedMap = "@{ Email = 'Email'; FirstName = 'FirstName'; Custom = @{ I = @{ Property = 'I'; Type = 'integer' }; D = @{ Property = 'D'; Type = 'float' }; B = @{ Property = 'B'; Type = 'boolean' }; T = @{ Property = 'T'; Type = 'date' } } }";
        yield return new("typed-text-accepted", Row("typed@example.com", "I = ' 42 '; D = '-0.5e3'; B = 'Yes'; T = '2024-02-29'"),
            new[] { Lands("typed@example.com", custom: C(("integer--I", 42L), ("float--D", -500.0), ("boolean--B", true), ("date--T", "2024-02-29T00:00:00Z"))) }, TypedMap);
        yield return new("typed-integer-with-thousands-separator", Row("typed1@example.com", "I = '1,234'"), new[] { Error("InvalidFieldValue") }, TypedMap);
        yield return new("typed-float-with-decimal-comma", Row("typed2@example.com", "D = '1234,5'"), new[] { Error("InvalidFieldValue") }, TypedMap);
        yield return new("typed-boolean-maybe", Row("typed3@example.com", "B = 'maybe'"), new[] { Error("InvalidFieldValue") }, TypedMap);
        yield return new("typed-date-not-iso", Row("typed4@example.com", "T = '31.12.2024'"), new[] { Error("InvalidFieldValue") }, TypedMap);
        yield return new("typed-integer-from-enum", Row("typed5@example.com", "I = [DayOfWeek]::Friday"), new[] { Error("InvalidFieldValue") }, TypedMap);

        // ---- the same numbers and dates under other cultures: the payload is culture-invariant
        foreach (var culture in new[] { "de-DE", "fr-FR", "ar-SA", "th-TH", "ja-JP", "fa-IR", "tr-TR" })
        {
            var script = $"[cultureinfo]::CurrentCulture = [cultureinfo]::GetCultureInfo('{culture}')\n" +
                Row($"culture.{culture.ToLowerInvariant()}@example.com",
                    "Company = 1234.5; Employees = 1234567; Amount = 1234.5; Ratio = [decimal]'0.25'; Typed = '1234.5'; Flag = $true; " +
                    "Since = [datetime]::new(2024, 2, 29, 13, 45, 30, [DateTimeKind]::Utc); Offset = [datetimeoffset]::new(2024, 2, 29, 13, 45, 30, [timespan]::FromHours(-5))") + "\n" +
                Row($"comma.{culture.ToLowerInvariant()}@example.com", "Typed = '1234,5'") + "\n" +
                // Turkish dotted/dotless i must not split one address in two.
                Row($"INFO.{culture.ToUpperInvariant()}@EXAMPLE.COM") + "\n" + Row($"info.{culture.ToLowerInvariant()}@example.com");
            yield return new($"culture-{culture}", script, new[]
            {
                Lands($"culture.{culture.ToLowerInvariant()}@example.com", F(("Company", "1234.5"), ("NumberOfEmployees", "1234567")), C(
                    ("float--Amount", 1234.5), ("float--Ratio", 0.25), ("float--Typed", 1234.5), ("boolean--Flag", true),
                    ("date--Since", "2024-02-29T13:45:30Z"), ("date--Offset", "2024-02-29T18:45:30Z"))),
                Error("InvalidFieldValue"),
                Lands($"INFO.{culture.ToUpperInvariant()}@EXAMPLE.COM"),
                Error("DuplicateEmail"),
            }, "@{ Email = 'Email'; FirstName = 'FirstName'; Company = 'Company'; NumberOfEmployees = 'Employees'; Custom = @{ Amount = 'Amount'; Ratio = 'Ratio'; Typed = @{ Property = 'Typed'; Type = 'float' }; Flag = 'Flag'; Since = 'Since'; Offset = 'Offset' } }",
                Culture: culture);
        }

        // ---- property names that differ only in case (a case-sensitive dictionary can hold both)
        const string CaseKeys = "$d = [System.Collections.Specialized.OrderedDictionary]::new([StringComparer]::Ordinal); $d['email'] = 'lower@example.com'; $d['EMAIL'] = 'upper@example.com'; $d['firstname'] = 'Lower'; $hostile.Add($d)";
        yield return new("case-keys-exact-match-wins-upper", CaseKeys, new[] { Lands("upper@example.com", F(("FirstName", "Lower"))) }, "@{ Email = 'EMAIL'; FirstName = 'FirstName' }");
        yield return new("case-keys-exact-match-wins-lower", CaseKeys, new[] { Lands("lower@example.com", F(("FirstName", "Lower"))) }, "@{ Email = 'email'; FirstName = 'FirstName' }");
        yield return new("case-keys-otherwise-first-in-order", CaseKeys, new[] { Lands("lower@example.com", F(("FirstName", "Lower"))) }, "@{ Email = 'Email'; FirstName = 'FirstName' }");
        yield return new("case-keys-automatic-matching", CaseKeys, new[] { Lands("lower@example.com", F(("FirstName", "Lower"))) }, "$null");

        // ---- very wide rows: only what the map names is sent (there is no automatic custom-field mapping)
        const string Wide = "$h = [ordered]@{ Email = 'wide@example.com' }; 1..10000 | ForEach-Object { $h[\"P$_\"] = \"v$_\" }";
        yield return new("wide-hashtable-10000-properties-map-picks-five", Wide + "; $h['FirstName'] = 'WideFirst'; $hostile.Add($h)",
            new[] { Lands("wide@example.com", F(("FirstName", "WideFirst"), ("LastName", "v17")), C(("string--A", "v1"), ("string--B", "v5000"), ("string--C", "v10000"))) },
            "@{ Email = 'Email'; FirstName = 'FirstName'; LastName = 'P17'; Custom = @{ A = 'P1'; B = 'P5000'; C = 'P10000' } }");
        yield return new("wide-object-10000-properties-automatic", Wide + "; $h['GivenName'] = 'Wide'; $hostile.Add([pscustomobject]$h)",
            new[] { Lands("wide@example.com", F(("FirstName", "Wide"))) }, "$null");

        // ---- hostile segment values
        yield return new("segment-array", Row("segarr@example.com", "Team = @('Red', 'Blue')"), new[] { Error("InvalidFieldValue") }, Extra: "-SegmentProperty Team");
        yield return new("segment-dbnull-falls-back", Row("segnull@example.com", "Team = [DBNull]::Value"), new[] { Lands("segnull@example.com") }, Extra: "-SegmentProperty Team");
        yield return new("segment-padded", Row("segpad@example.com", "Team = '  Red Team  '"), new[] { Lands("segpad@example.com", list: "Red Team") }, Extra: "-SegmentProperty Team");
        // Issue 11: a segment value that cannot be a list name is its row's InvalidSegmentName (it was InvalidFieldValue
        // for a lone surrogate, and a CR/LF or a no-break space made a list of its own).
        yield return new("segment-lone-surrogate", Row("segsur@example.com", "Team = \"Red$([char]0xD800)\""), new[] { Error("InvalidSegmentName") }, Extra: "-SegmentProperty Team");
        var badSegments = new (string Name, string Value)[]
        {
            ("crlf", "\"Red`r`nTeam\""), ("tab", "\"Red`tTeam\""), ("nul", "\"Red`0Team\""), ("escape", "\"Red`eTeam\""),
            ("no-break-space", "\"Red`u{00A0}Team\""), ("narrow-no-break-space", "\"Red`u{202F}Team\""), ("ideographic-space", "\"Red`u{3000}Team\""),
            ("line-separator", "\"Red`u{2028}Team\""), ("zero-width-space", "\"Red`u{200B}Team\""), ("bidi-override", "\"Red`u{202E}maeT\""),
            ("byte-order-mark", "\"`u{FEFF}RedTeam\""), ("tag-character", "\"Red`u{E0041}Team\""),
        };
        foreach (var (name, value) in badSegments)
            yield return new($"segment-{name}", Row($"seg.{name}@example.com", "Team = " + value), new[] { Error("InvalidSegmentName") }, Extra: "-SegmentProperty Team");
        yield return new("segment-bad-and-email-bad-one-error", Row("not-an-address", "Team = \"Red`nTeam\""), new[] { Error("InvalidEmail") }, Extra: "-SegmentProperty Team");
        yield return new("segment-emoji-accepted", Row("segemoji@example.com", "Team = \"Team `u{1F680}\""), new[] { Lands("segemoji@example.com", list: "Team \U0001F680") }, Extra: "-SegmentProperty Team");
        yield return new("segment-accented-accepted", Row("segaccent@example.com", "Team = 'Équipe Rouge'"), new[] { Lands("segaccent@example.com", list: "Équipe Rouge") }, Extra: "-SegmentProperty Team");

        // ---- numbers as booleans: one rule for every numeric type (0 false, 1 true, anything else refused)
        foreach (var (type, value, flag) in new (string, string, bool?)[]
        {
            ("byte-1", "[byte]1", true), ("sbyte-0", "[sbyte]0", false), ("int16-1", "[int16]1", true), ("uint32-0", "[uint32]0", false),
            ("uint64-1", "[uint64]1", true), ("decimal-0", "[decimal]0", false), ("double-1", "[double]1", true), ("single-0", "[single]0", false),
            ("bigint-1", "[bigint]1", true), ("int-2", "2", null), ("long-minus-1", "[long]-1", null), ("decimal-half", "[decimal]0.5", null),
            ("double-nan", "[double]::NaN", null), ("byte-255", "[byte]255", null),
        })
        {
            var email = $"bool.{type}@example.com";
            yield return new($"boolean-from-{type}", Row(email, "B = " + value),
                new[] { flag is bool b ? Lands(email, custom: C(("boolean--B", b))) : Error("InvalidFieldValue") }, TypedMap);
        }

        // ---- integers at and beyond the 64-bit edges: refused, never clamped to 9223372036854775807
        foreach (var (name, value, stored) in new (string, string, long?)[]
        {
            ("double-2-pow-63", "[math]::Pow(2, 63)", null), ("decimal-2-pow-63", "[decimal]'9223372036854775808'", null),
            ("decimal-below-min", "[decimal]'-9223372036854775809'", null), ("bigint-2-pow-64", "[bigint]::Pow(2, 64)", null),
            ("uint64-max", "[uint64]::MaxValue", null), ("text-2-pow-63", "'9223372036854775808'", null),
            ("long-max", "[long]::MaxValue", long.MaxValue), ("long-min", "[long]::MinValue", long.MinValue), ("bigint-small", "[bigint]42", 42L),
        })
        {
            var email = $"int.{name}@example.com";
            yield return new($"integer-{name}", Row(email, "I = " + value),
                new[] { stored is long l ? Lands(email, custom: C(("integer--I", l))) : Error("InvalidFieldValue") }, TypedMap);
        }

        // ---- several bad fields in one row: one error, every field named (the message is checked below)
        yield return new("several-bad-fields-one-error", Row("several@example.com", "I = 'x'; D = 'y'; B = 'maybe'; T = 'soon'"), new[] { Error("InvalidFieldValue") }, TypedMap);
        yield return new("bad-email-and-bad-fields-one-error", Row("not.an.address", "I = 'x'; B = 'maybe'"), new[] { Error("InvalidEmail") }, TypedMap);

        // ---- property names with surrounding spaces (a CSV header ' Email '): matched, the exact name preferred
        yield return new("header-spaces-mapped", "$hostile.Add([pscustomobject]@{ ' Email ' = 'hdr@example.com'; 'FirstName  ' = 'Spaced'; ' Company' = 'Org' })",
            new[] { Lands("hdr@example.com", F(("FirstName", "Spaced"), ("Company", "Org"))) });
        yield return new("header-spaces-automatic", "$hostile.Add([pscustomobject]@{ ' Email ' = 'hdrauto@example.com'; ' GivenName ' = 'Auto' })",
            new[] { Lands("hdrauto@example.com", F(("FirstName", "Auto"))) }, "$null");
        yield return new("header-spaces-hashtable", "$hostile.Add(@{ \"Email`t\" = 'hdrtab@example.com' })", new[] { Lands("hdrtab@example.com") });
        yield return new("header-exact-name-wins", "$hostile.Add([pscustomobject]@{ ' Email' = 'spaced.loser@example.com'; Email = 'exact.winner@example.com' })",
            new[] { Lands("exact.winner@example.com") });
        yield return new("header-two-spaced-names-ambiguous", "$hostile.Add([pscustomobject]@{ ' Email' = 'amb1@example.com'; 'Email ' = 'amb2@example.com' })",
            new[] { Error("AmbiguousProperty") });

        // ---- members added to a hashtable row (what Add-Member does; the hosted runspace has no Add-Member, the
        // Pester suite runs the cmdlet itself) are read with its keys
        yield return new("hashtable-added-note-property-email", "$h = @{ FirstName = 'Added' }; $h.PSObject.Properties.Add([psnoteproperty]::new('Email', 'addmember@example.com')); $hostile.Add($h)",
            new[] { Lands("addmember@example.com", F(("FirstName", "Added"))) });
        yield return new("hashtable-wrapped-added-note-property", "$w = [psobject]@{ Email = 'addpass@example.com' }; $w.PSObject.Properties.Add([psnoteproperty]::new('Company', 'Org')); $hostile.Add($w)",
            new[] { Lands("addpass@example.com", F(("Company", "Org"))) });
        yield return new("hashtable-key-wins-over-added-member", "$h = @{ Email = 'key@example.com'; FirstName = 'Key' }; $h.PSObject.Properties.Add([psnoteproperty]::new('firstname', 'Member')); $hostile.Add($h)",
            new[] { Lands("key@example.com", F(("FirstName", "Key"))) });
        yield return new("ordered-dictionary-added-script-property", "$h = [ordered]@{ Email = 'scriptprop@example.com' }; $h.PSObject.Properties.Add([psscriptproperty]::new('LastName', { 'Scripted' })); $hostile.Add($h)",
            new[] { Lands("scriptprop@example.com", F(("LastName", "Scripted"))) });

        // ---- a property name held in a wrapped string is still a property name
        yield return new("map-value-wrapped-string", Row("wrapped@example.com", "Company = 'Wrapped'"), new[] { Lands("wrapped@example.com", F(("Company", "Wrapped"))) },
            "@{ Email = 'Email'; FirstName = 'FirstName'; Company = ([psobject]'Company') }");
    }

    private static readonly Dictionary<string, Case> Cases = AllCases().ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(k => new object[] { k });

    // ------------------------------------------------------------------ the test

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Hostile_row_is_exported_exactly_or_reported_alone(string name)
    {
        var c = Cases[name];
        var session = _shared.Session;
        var script = $$"""
            $global:hostile = [System.Collections.Generic.List[object]]::new()
            $global:rows = [System.Collections.Generic.List[object]]::new()
            $global:cultureSeen = $null
            $savedCulture = [cultureinfo]::CurrentCulture
            try {
            {{c.Script}}
                $rows.Add([pscustomobject]@{ Email = 'before@example.com'; FirstName = 'Before' })
                foreach ($h in $hostile) { $rows.Add($h) }
                $rows.Add([pscustomobject]@{ Email = 'after@example.com'; FirstName = 'After' })
                $global:cultureSeen = [cultureinfo]::CurrentCulture.Name
                $rows | Start-AutopilotExport -Connection Emu -Segment Hostile -FieldMap ({{c.Map}}) -RequestsPerSecond 0 {{c.Extra}}
            }
            finally { [cultureinfo]::CurrentCulture = $savedCulture }
            """;
        var r = session.Run(script);

        // The run and the host survived: no terminating error, exactly one result.
        Assert.True(r.Thrown == null, $"{name}: terminating error {r.Thrown}");
        if (c.Culture != null) Assert.Equal(c.Culture, session.GetVariable("cultureSeen"));
        Assert.True(r.Output.Count(o => IsResult(o)) == 1, $"{name}: no single result\n{r.AllText()}");
        var result = Assert.Single(r.Output, o => IsResult(o));
        var rows = ((System.Collections.IList)session.GetVariable("rows")!).Cast<object?>().ToList();
        Assert.Equal(c.Outcomes.Length + 2, rows.Count);

        // Exact counts and status.
        long invalid = c.Outcomes.Count(o => o.ErrorId != null && InvalidIds.Contains(o.ErrorId));
        long duplicate = c.Outcomes.Count(o => o.ErrorId == "DuplicateEmail");
        long failed = c.Outcomes.Count(o => o.ErrorId != null) - invalid - duplicate;
        long exported = 2 + c.Outcomes.Count(o => o.ErrorId == null);
        Assert.Equal(((long)rows.Count, exported, invalid, duplicate, failed), Counts(result));
        Assert.Equal(invalid + failed > 0 ? "CompletedWithErrors" : "Succeeded", Prop<string>(result, "Status"));

        // One error per bad row: exact id, the row's number in the message, the input row as TargetObject.
        var expectedErrors = c.Outcomes.Select((o, i) => (Row: i + 2, o.ErrorId)).Where(x => x.ErrorId != null).Select(x => (x.Row, Id: x.ErrorId + ErrorIdSuffix)).ToList();
        var actualErrors = r.Errors.Select(e => (Row: RowNumber(e), Id: e.FullyQualifiedErrorId)).OrderBy(x => x.Row).ToList();
        Assert.Equal(expectedErrors, actualErrors);
        foreach (var e in r.Errors) AssertSameRow(rows[RowNumber(e) - 1], e.TargetObject);

        // The emulator holds exactly the two valid rows and the expected contacts, field for field.
        var contacts = _emulator.Host.Contacts();
        var landed = c.Outcomes.Where(o => o.ErrorId == null).ToList();
        Assert.Equal(new[] { "after@example.com", "before@example.com" }.Concat(landed.Select(o => o.Email!)).OrderBy(e => e, StringComparer.Ordinal),
            contacts.Select(x => x.Email).OrderBy(e => e, StringComparer.Ordinal));
        var hostileList = ListId("Hostile");
        foreach (var (email, first) in new[] { ("before@example.com", "Before"), ("after@example.com", "After") })
        {
            var valid = _emulator.Host.Contact(email)!;
            Assert.Equal(new Dictionary<string, string> { ["FirstName"] = first }, StandardFields(valid));
            Assert.Empty(valid.Custom);
            Assert.Equal(new[] { hostileList }, valid.Lists);
        }
        foreach (var o in landed)
        {
            var stored = contacts.Single(x => x.Email == o.Email);
            Assert.Equal(o.Fields, StandardFields(stored));
            Assert.Equal(o.Custom.OrderBy(kv => kv.Key, StringComparer.Ordinal), stored.Custom.OrderBy(kv => kv.Key, StringComparer.Ordinal));
            Assert.Equal(new[] { ListId(o.List) }, stored.Lists);
            Assert.False(stored.Unsubscribed);
        }
    }

    // ------------------------------------------------------------------ refused before the first request

    /// <summary>(case, the Start-AutopilotExport parameters after -Connection Emu, error id, text the message must hold)</summary>
    public static IEnumerable<object[]> RefusedRuns() => new[]
    {
        new object[] { "map-standard-hashtable", "-Segment S -FieldMap @{ Email = 'Email'; FirstName = @{ a = 1 } }", "InvalidFieldMap", "'FirstName' holds a hashtable" },
        new object[] { "map-standard-array", "-Segment S -FieldMap @{ Email = 'Email'; FirstName = @('Given', 'First') }", "InvalidFieldMap", "'FirstName' holds a list" },
        new object[] { "map-standard-scriptblock", "-Segment S -FieldMap @{ Email = 'Email'; FirstName = { $_.Given } }", "InvalidFieldMap", "'FirstName' holds a script block" },
        new object[] { "map-standard-null", "-Segment S -FieldMap @{ Email = 'Email'; Company = $null }", "InvalidFieldMap", "'Company' holds $null" },
        new object[] { "map-standard-number", "-Segment S -FieldMap @{ Email = 'Email'; Company = 7 }", "InvalidFieldMap", "'Company' holds the number 7" },
        new object[] { "map-standard-object", "-Segment S -FieldMap @{ Email = 'Email'; Company = [pscustomobject]@{ Name = 'Org' } }", "InvalidFieldMap", "'Company' holds an object" },
        new object[] { "map-email-hashtable", "-Segment S -FieldMap @{ Email = @{ Property = 'Mail' } }", "InvalidFieldMap", "'Email' holds a hashtable" },
        new object[] { "map-custom-array", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ Tier = @('A', 'B') } }", "InvalidFieldMap", "Custom field 'Tier' holds a list" },
        new object[] { "map-custom-property-scriptblock", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ Tier = @{ Property = { 1 } } } }", "InvalidFieldMap", "Custom field 'Tier' holds a script block" },
        new object[] { "map-custom-type-array", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ Tier = @{ Property = 'T'; Type = @('integer') } } }", "InvalidFieldMap", "Type holds a list" },
        new object[] { "map-custom-names-meet-once-encoded", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ 'a -b' = 'A'; 'a- b' = 'B' } }", "InvalidFieldMap", "same Autopilot field ('a---b')" },
        new object[] { "map-custom-names-differ-in-case", "-Segment S -FieldMap @{ Email = 'Email'; Custom = $($c = [System.Collections.Specialized.OrderedDictionary]::new(); $c['Tier'] = 'A'; $c['TIER'] = 'B'; $c) }", "InvalidFieldMap", "'TIER' is given twice" },
        new object[] { "map-custom-name-crlf", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ \"Loyalty`r`nTier\" = 'T' } }", "InvalidFieldMap", "Loyalty\\u000D\\u000ATier" },
        new object[] { "map-custom-name-tab", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ \"Loyalty`tTier\" = 'T' } }", "InvalidFieldMap", "U+0009" },
        new object[] { "map-custom-name-no-break-space", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ \"Loyalty`u{00A0}Tier\" = 'T' } }", "InvalidFieldMap", "U+00A0" },
        new object[] { "map-custom-name-zero-width-space", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ \"Loyalty`u{200B}Tier\" = 'T' } }", "InvalidFieldMap", "U+200B" },
        new object[] { "map-custom-name-lone-surrogate", "-Segment S -FieldMap @{ Email = 'Email'; Custom = @{ \"Tier$([char]0xDC00)\" = 'T' } }", "InvalidFieldMap", "surrogate" },
        new object[] { "segment-parameter-crlf", "-Segment \"Red`r`nTeam\"", "InvalidSegmentName", "Red\\u000D\\u000ATeam" },
        new object[] { "segment-parameter-no-break-space", "-Segment Blue, \"Red`u{00A0}Team\"", "InvalidSegmentName", "U+00A0" },
        new object[] { "segment-parameter-bidi-override", "-Segment \"`u{202E}maeT\"", "InvalidSegmentName", "U+202E" },
        new object[] { "segment-parameter-lone-surrogate", "-Segment \"Red$([char]0xD800)\"", "InvalidSegmentName", "surrogate" },
    };

    [Theory]
    [MemberData(nameof(RefusedRuns))]
    public void Hostile_field_map_or_segment_is_refused_before_the_first_request(string name, string parameters, string errorId, string said)
    {
        // A run refused before it starts: its Failed result (Received 0, the id), then exactly one error with that id.
        var r = _shared.Session.Run($"@{{ Email = 'refused.run@example.com' }} | Start-AutopilotExport -Connection Emu {parameters} -RequestsPerSecond 0");
        Assert.True(r.Thrown == null, $"{name}: {r.Thrown}");
        var (result, error) = FailedRun(r, errorId);
        Assert.Single(r.Errors);
        Assert.Equal(0L, Counts(result).Received);
        Assert.Contains(said, error.Exception.Message);
        Assert.DoesNotContain("System.Collections.Hashtable'", error.Exception.Message);
        Assert.Equal(0, _emulator.Host.Stats().TotalRequests);
    }

    [Fact]
    public void Saving_a_hostile_field_map_or_segment_is_refused_by_the_same_rules()
    {
        string Id(string script) => Assert.IsType<ErrorRecord>(Assert.Single(_shared.Session.Run($"try {{ {script} }} catch {{ $_ }}").Output).BaseObject).FullyQualifiedErrorId;
        Assert.StartsWith("InvalidFieldMap,", Id("New-AutopilotExport -Name H1 -Connection Emu -Segment S -FieldMap @{ Email = 'Email'; FirstName = @{ a = 1 } }"));
        Assert.StartsWith("InvalidSegmentName,", Id("New-AutopilotExport -Name H1 -Connection Emu -Segment \"Red`nTeam\""));
        _shared.Session.RunClean("$null = New-AutopilotExport -Name H1 -Connection Emu -Segment S -Force");
        Assert.StartsWith("InvalidSegmentName,", Id("Set-AutopilotExport -Name H1 -Segment \"Red`u{00A0}Team\""));
        Assert.StartsWith("InvalidFieldMap,", Id("Set-AutopilotFieldMap -Export H1 -Email Email -Field @{ Company = @('a', 'b') }"));
        Assert.StartsWith("InvalidFieldMap,", Id("Set-AutopilotFieldMap -Export H1 -Email Email -CustomField @{ 'a -b' = 'A'; 'a- b' = 'B' }"));
        Assert.StartsWith("InvalidFieldMap,", Id("Set-AutopilotFieldMap -Export H1 -Email Email -CustomField @{ \"T`u{2028}x\" = 'A' }"));
        Assert.StartsWith("InvalidFieldMap,", Id("Set-AutopilotFieldMap -Export H1 -Email Email -FirstName Given -Field @{ FirstName = 'First' }"));
        // A wrapped string is a property name; the stored map says so.
        _shared.Session.RunClean("$p = [psobject]'Org'; Set-AutopilotFieldMap -Export H1 -Email Email -Field @{ Company = $p } -CustomField @{ Tier = @{ Property = [psobject]'T'; Type = [psobject]'string' } }");
        var map = PSObject.AsPSObject(Prop<object>(_shared.Session.RunClean("Get-AutopilotExport H1").Output.Single(), "FieldMap"));
        Assert.Contains("Org", map.ToString() + string.Join(",", map.Properties.Select(p => Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture))));
        _shared.Session.RunClean("Remove-AutopilotExport -Name H1 -Confirm:$false");
        Assert.Equal(0, _emulator.Host.Stats().TotalRequests);
    }

    [Fact]
    public void A_row_with_several_bad_fields_gets_one_error_naming_each_and_one_report_line()
    {
        var report = Path.Combine(Path.GetTempPath(), "apx-hostile-" + Guid.NewGuid().ToString("N") + ".jsonl");
        try
        {
            var r = _shared.Session.Run($$"""
                [pscustomobject]@{ Email = "bad`u{0001}address"; Team = 'Blue'; I = 'x'; B = 'maybe' },
                [pscustomobject]@{ Email = 'good@example.com'; Team = 'Blue'; I = 'y'; D = 'z' },
                [pscustomobject]@{ Email = 'fine@example.com'; Team = 'Blue' } |
                    Start-AutopilotExport -Connection Emu -Segment Hostile -SegmentProperty Team -RequestsPerSecond 0 -ReportPath '{{report}}' -FieldMap @{ Email = 'Email'; Custom = @{ I = @{ Property = 'I'; Type = 'integer' }; D = @{ Property = 'D'; Type = 'float' }; B = @{ Property = 'B'; Type = 'boolean' } } }
                """);
            Assert.Null(r.Thrown);
            Assert.Equal(new[] { "InvalidEmail" + ErrorIdSuffix, "InvalidFieldValue" + ErrorIdSuffix }, r.Errors.Select(e => e.FullyQualifiedErrorId));
            var first = r.Errors[0].Exception.Message;
            Assert.StartsWith("Row 1: 3 problems: 'bad?address' in property 'Email' is not an email address", first);
            Assert.Contains("property 'I' (custom field 'I', integer) holds 'x'", first);
            Assert.Contains("property 'B' (custom field 'B', boolean) holds 'maybe'", first);
            var second = r.Errors[1].Exception.Message;
            Assert.StartsWith("Row 2 (good@example.com): 2 problems: ", second);
            Assert.Contains("property 'D' (custom field 'D', float)", second);

            var lines = File.ReadAllLines(report).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
            var line1 = lines.Single(l => l.TryGetProperty("row", out var n) && n.GetInt64() == 1);
            Assert.Equal("bad\u0001address", line1.GetProperty("email").GetString());
            Assert.Equal("Blue", line1.GetProperty("segment").GetString());
            Assert.Contains("3 problems", line1.GetProperty("reason").GetString());
            Assert.Contains("\"email\":\"bad\\u0001address\"", File.ReadAllText(report));
            var line2 = lines.Single(l => l.TryGetProperty("row", out var n) && n.GetInt64() == 2);
            Assert.Equal(("good@example.com", "Blue"), (line2.GetProperty("email").GetString(), line2.GetProperty("segment").GetString()));
            Assert.Equal(new[] { "fine@example.com" }, _emulator.Host.Contacts().Select(c => c.Email));
        }
        finally { File.Delete(report); }
    }

    [Fact]
    public void A_mapped_property_no_row_has_is_one_warning_with_the_rows_counted()
    {
        var r = _shared.Session.Run("""
            1..1200 | ForEach-Object { [pscustomobject]@{ Email = "typo$_@example.com"; FirstName = 'Ada'; Tier = 'gold' } } |
                Start-AutopilotExport -Connection Emu -Segment Hostile -RequestsPerSecond 0 -FieldMap @{ Email = 'Email'; FirstName = 'FirstNmae'; Custom = @{ Tier = 'Tier'; Level = 'Lvl' } }
            """);
        Assert.Null(r.Thrown);
        Assert.Empty(r.Errors);
        Assert.Equal(new[]
        {
            "Property 'FirstNmae' (mapped to FirstName) was not found on any of the 1,200 rows: check its spelling against the input's properties.",
            "Property 'Lvl' (mapped to custom field 'Level') was not found on any of the 1,200 rows: check its spelling against the input's properties.",
        }, r.Warnings.Where(w => w.StartsWith("Property ", StringComparison.Ordinal)).OrderBy(w => w, StringComparer.Ordinal));
        Assert.Equal(1200L, Prop<long>(Assert.Single(r.Output, o => IsResult(o)), "Exported"));
    }

    [Fact]
    public void A_PowerShell_object_keeps_only_one_of_two_property_names_that_differ_only_in_case()
    {
        // PowerShell's members are case-insensitive: adding 'EMAIL' replaces 'email', and casting a case-sensitive
        // dictionary keeps the first spelling with the last value. So an object row always has one such property,
        // and only a case-sensitive dictionary (the case-keys-* rows above) reaches the cmdlet with both.
        var r = _shared.Session.Run("""
            $o = [pscustomobject]@{ email = 'lower@example.com' }
            $o.PSObject.Properties.Add([psnoteproperty]::new('EMAIL', 'upper@example.com'))
            ($o.PSObject.Properties | ForEach-Object { $_.Name + '=' + $_.Value }) -join ';'
            $d = [System.Collections.Specialized.OrderedDictionary]::new([StringComparer]::Ordinal)
            $d['email'] = 'lower2@example.com'; $d['EMAIL'] = 'upper2@example.com'
            $p = [pscustomobject]$d
            ($p.PSObject.Properties | ForEach-Object { $_.Name + '=' + $_.Value }) -join ';'
            $o, $p | Start-AutopilotExport -Connection Emu -Segment Hostile -FieldMap @{ Email = 'email' } -RequestsPerSecond 0
            """);
        Assert.Null(r.Thrown);
        Assert.Empty(r.Errors);
        Assert.Equal(new object[] { "EMAIL=upper@example.com", "email=upper2@example.com" }, r.Output.Take(2).Select(o => o.BaseObject));
        Assert.Equal(2L, Prop<long>(r.Output[2], "Exported"));
        Assert.Equal(new[] { "upper2@example.com", "upper@example.com" }, _emulator.Host.Contacts().Select(x => x.Email).OrderBy(e => e, StringComparer.Ordinal));
    }

    // ------------------------------------------------------------------ helpers

    private static readonly Regex RowPrefix = new(@"^Row (\d+)\b", RegexOptions.CultureInvariant);

    private static int RowNumber(ErrorRecord e)
    {
        var m = RowPrefix.Match(e.Exception.Message);
        Assert.True(m.Success, $"error message does not start with the row number: {e.Exception.Message}");
        return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void AssertSameRow(object? expected, object? actual)
    {
        static object? Base(object? o) => o is PSObject p ? p.BaseObject : o;
        var e = Base(expected);
        var a = Base(actual);
        if (e == null || e is string || e.GetType().IsValueType) Assert.Equal(e, a);
        else Assert.Same(e, a);
    }

    private static Dictionary<string, string> StandardFields(AutopilotEmulator.EmulatorContact c) =>
        c.Fields.Where(kv => kv.Key != "Email").ToDictionary(kv => kv.Key, kv => Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture)!);

    private string? ListId(string title) => _emulator.Host.Lists().FirstOrDefault(l => l.Title == title)?.ListId;
}
