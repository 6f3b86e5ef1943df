using System.Management.Automation;
using System.Text.Json.Nodes;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>
/// Damaged, planted and loosened state through the real module (the reliability suite's hostile-state set): each
/// case starts from a fresh state folder holding connection 'Emu' (a stored key, the emulator as base URI) and export
/// 'Vip', damages it as an attacker or an accident would, runs one command and expects exactly one error with a
/// documented id (never a raw .NET exception), the key in no stream, and, where the key would otherwise have gone
/// out, no request at the emulator. "Another user" is a numeric uid given with chown (the tests run as root here;
/// those cases pass trivially elsewhere).
/// </summary>
[Collection(ModuleCollection.Name)]
public sealed class HostileStateTests : IClassFixture<HostileStateTests.SharedSession>, IDisposable
{
    private const int OtherUid = 12345;
    private readonly EmulatorFixture _emulator;
    private readonly SharedSession _shared;
    private readonly string? _savedHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_HOME");
    private readonly string? _savedKeyHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "apx-module-tests", Guid.NewGuid().ToString("N"));

    public HostileStateTests(EmulatorFixture emulator, SharedSession shared)
    {
        _emulator = emulator;
        _shared = shared;
        emulator.ResetForTest();
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", State);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", Keys);
        Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", null);
        shared.Ensure(emulator);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", _savedHome);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", _savedKeyHome);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>One runspace with the module imported, for every case of the class (the state folder changes per case).</summary>
    public sealed class SharedSession : IDisposable
    {
        private ModuleSession? _session;

        public ModuleSession Session => _session ?? throw new InvalidOperationException("Ensure was not called.");

        public void Ensure(EmulatorFixture emulator)
        {
            if (_session != null) return;
            _session = new ModuleSession();
            _session.SetVariable("ApiKey", ModuleSession.Secure(EmulatorFixture.ApiKey));
            _session.SetVariable("BaseUri", emulator.Host.BaseUri.ToString().TrimEnd('/'));
        }

        public void Dispose() => _session?.Dispose();
    }

    private string State => Path.Combine(_root, "state");
    private string Keys => Path.Combine(_root, "keys");
    private string ConnectionsFile => Path.Combine(State, "connections.json");
    private string ExportsFile => Path.Combine(State, "exports.json");
    private string SecretFile => Directory.GetFiles(Path.Combine(State, "secrets"), "*.bin").Single();
    private string MasterKey => Directory.GetFiles(Keys, "*.key").Single();
    private string EmulatorBase => _emulator.Host.BaseUri.ToString().TrimEnd('/');
    private int Port => _emulator.Host.BaseUri.Port;

    // ------------------------------------------------------------------ the case model

    /// <summary>A damage applied to the saved state, the command that meets it, and the one error id it must give.</summary>
    public sealed record Case(string Name, Action<HostileStateTests> Damage, string Command, string ErrorId, bool UnixOnly = true, bool RootOnly = false);

    private const string Get = "Get-AutopilotConnection";
    private const string GetExport = "Get-AutopilotExport";
    private const string Test = "Test-AutopilotConnection Emu";
    private const string Start = "[pscustomobject]@{ Email = 'row@example.com' } | Start-AutopilotExport -Name Vip -RequestsPerSecond 0";
    private const string StartAdHoc = "[pscustomobject]@{ Email = 'row@example.com' } | Start-AutopilotExport -Connection Emu -Segment Adhoc -RequestsPerSecond 0";
    private const string NewStored = "New-AutopilotConnection -Name Second -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation";
    private const string NewExport = "New-AutopilotExport -Name Other -Connection Emu -Segment Other";
    private const string SetMap = "Set-AutopilotFieldMap -Export Vip -Email Mail";

    private static IEnumerable<Case> AllCases()
    {
        // ---- base URIs edited on disk: refused before the key is read or sent, by Test- and Start- alike
        var uris = new (string Name, Func<HostileStateTests, JsonNode?> Value, string Id)[]
        {
            ("plain-http-to-a-name-that-is-not-localhost", t => $"http://localhost.:{t.Port}/v1", "InsecureBaseUri"),
            ("user-info", t => $"http://user:pw@127.0.0.1:{t.Port}/v1", "InvalidBaseUri"),
            ("user-name-only", t => $"http://someone@127.0.0.1:{t.Port}/v1", "InvalidBaseUri"),
            ("query", t => $"http://127.0.0.1:{t.Port}/v1?x=1", "InvalidBaseUri"),
            ("fragment", t => $"http://127.0.0.1:{t.Port}/v1#f", "InvalidBaseUri"),
            ("metadata-address", _ => "https://169.254.169.254/latest", "InsecureBaseUri"),
            ("metadata-address-as-one-number", _ => "http://2852039166/latest", "InsecureBaseUri"),
            ("ipv6-link-local", _ => "https://[fe80::1]/v1", "InsecureBaseUri"),
            ("plain-http-to-another-host", _ => "http://attacker.example/v1", "InsecureBaseUri"),
            ("ftp", t => $"ftp://127.0.0.1:{t.Port}/v1", "InvalidBaseUri"),
            ("not-a-uri", _ => "not a uri", "InvalidBaseUri"),
            ("relative", _ => "/v1", "InvalidBaseUri"),
            ("empty", _ => "", "InvalidBaseUri"),
            ("null", _ => null, "InvalidBaseUri"),
            ("a-number", _ => 42, "StateFileCorrupt"),
        };
        foreach (var (name, value, id) in uris)
        {
            Action<HostileStateTests> damage = t => t.EditConnection(c => c["baseUri"] = value(t));
            yield return new($"baseuri-{name}-test", damage, Test, id, UnixOnly: false);
            yield return new($"baseuri-{name}-start", damage, Start, id, UnixOnly: false);
        }

        // ---- base URIs given to New-AutopilotConnection
        foreach (var (name, uri, id) in new[]
        {
            ("user-info", "https://user:pw@api2.autopilothq.com/v1", "InvalidBaseUri"),
            ("query", "https://api2.autopilothq.com/v1?key=1", "InvalidBaseUri"),
            ("fragment", "https://api2.autopilothq.com/v1#x", "InvalidBaseUri"),
            ("metadata-address", "https://169.254.169.254/", "InsecureBaseUri"),
            ("ipv6-link-local", "https://[fe80::abcd]/v1", "InsecureBaseUri"),
            ("gce-metadata-name", "http://metadata.google.internal/computeMetadata/v1", "InsecureBaseUri"),
        })
        {
            yield return new($"new-connection-{name}", _ => { }, $"New-AutopilotConnection -Name Third -ApiKey $ApiKey -BaseUri '{uri}' -AcceptDataPrivacy", id, UnixOnly: false);
        }

        // ---- connections.json damaged
        yield return new("connections-file-is-a-folder", t => t.Replace(t.ConnectionsFile, "folder"), Get, "StateFileUnreadable", UnixOnly: false);
        yield return new("connections-file-is-a-dangling-link", t => t.Replace(t.ConnectionsFile, "dangling link"), Get, "StateFileUnreadable");
        yield return new("connections-file-is-a-link-to-a-device", t => t.Replace(t.ConnectionsFile, "link to /dev/null"), Test, "StateFileUnreadable");
        yield return new("connections-file-is-a-fifo", t => t.Replace(t.ConnectionsFile, "fifo"), Start, "StateFileUnreadable");
        yield return new("connections-file-empty", t => File.WriteAllText(t.ConnectionsFile, ""), Get, "StateFileCorrupt", UnixOnly: false);
        yield return new("connections-file-null", t => File.WriteAllText(t.ConnectionsFile, "null"), Get, "StateFileCorrupt", UnixOnly: false);
        yield return new("connections-file-truncated", t => File.WriteAllText(t.ConnectionsFile, File.ReadAllText(t.ConnectionsFile)[..40]), Start, "StateFileCorrupt", UnixOnly: false);
        yield return new("connections-file-newer-version", t => t.EditDocument(t.ConnectionsFile, d => d["version"] = 99), Get, "StateFileCorrupt", UnixOnly: false);
        yield return new("connections-unknown-key-source", t => t.EditConnection(c => c["keySource"] = "Vault"), Test, "StateFileCorrupt", UnixOnly: false);
        yield return new("connections-negative-rate", t => t.EditConnection(c => c["requestsPerSecond"] = -1), Start, "StateFileCorrupt", UnixOnly: false);
        yield return new("connections-rate-too-high", t => t.EditConnection(c => c["requestsPerSecond"] = 1e9), Get, "StateFileCorrupt", UnixOnly: false);
        yield return new("connections-file-writable-by-others", t => t.Chmod(t.ConnectionsFile, "666"), Start, "UnsafeStatePermissions");
        yield return new("connections-file-writable-by-group", t => t.Chmod(t.ConnectionsFile, "620"), Get, "UnsafeStatePermissions");
        yield return new("connections-file-of-another-user", t => t.Chown(t.ConnectionsFile), Test, "UnsafeStatePermissions", RootOnly: true);

        // ---- exports.json damaged
        yield return new("exports-null-custom-entry", t => t.EditExportMap(m => m["custom"] = new JsonObject { ["Tier"] = null }), GetExport, "StateFileCorrupt", UnixOnly: false);
        yield return new("exports-null-custom-entry-start", t => t.EditExportMap(m => m["custom"] = new JsonObject { ["Tier"] = null }), Start, "StateFileCorrupt", UnixOnly: false);
        yield return new("exports-unknown-custom-type", t => t.EditExportMap(m => m["custom"] = new JsonObject { ["Tier"] = new JsonObject { ["property"] = "Tier", ["type"] = "colour" } }), GetExport, "StateFileCorrupt", UnixOnly: false);
        yield return new("exports-unknown-custom-type-start", t => t.EditExportMap(m => m["custom"] = new JsonObject { ["Tier"] = new JsonObject { ["property"] = "Tier", ["type"] = "colour" } }), Start, "StateFileCorrupt", UnixOnly: false);
        yield return new("exports-custom-entry-without-property", t => t.EditExportMap(m => m["custom"] = new JsonObject { ["Tier"] = new JsonObject { ["type"] = "string" } }), GetExport, "StateFileCorrupt", UnixOnly: false);
        yield return new("exports-null-standard-entry", t => t.EditExportMap(m => m["standard"] = new JsonObject { ["FirstName"] = null }), Start, "StateFileCorrupt", UnixOnly: false);
        yield return new("exports-file-is-a-folder", t => t.Replace(t.ExportsFile, "folder"), GetExport, "StateFileUnreadable", UnixOnly: false);
        yield return new("exports-file-is-a-dangling-link", t => t.Replace(t.ExportsFile, "dangling link"), Start, "StateFileUnreadable");
        yield return new("exports-file-writable-by-others", t => t.Chmod(t.ExportsFile, "622"), GetExport, "UnsafeStatePermissions");
        yield return new("exports-file-of-another-user", t => t.Chown(t.ExportsFile), Start, "UnsafeStatePermissions", RootOnly: true);

        // ---- the stored key and the master key
        yield return new("secret-missing", t => File.Delete(t.SecretFile), Start, "SecretUnreadable", UnixOnly: false);
        yield return new("secret-truncated", t => File.WriteAllBytes(t.SecretFile, File.ReadAllBytes(t.SecretFile)[..10]), StartAdHoc, "SecretUnreadable", UnixOnly: false);
        yield return new("secret-bit-flipped", t => { var b = File.ReadAllBytes(t.SecretFile); b[^1] ^= 1; File.WriteAllBytes(t.SecretFile, b); }, Start, "SecretUnreadable", UnixOnly: false);
        yield return new("secret-is-a-folder", t => t.Replace(t.SecretFile, "folder"), Start, "StateFileUnreadable");
        yield return new("secret-is-a-dangling-link", t => t.Replace(t.SecretFile, "dangling link"), StartAdHoc, "StateFileUnreadable");
        yield return new("secret-readable-by-others", t => t.Chmod(t.SecretFile, "644"), Start, "UnsafeStatePermissions");
        yield return new("secret-of-another-user", t => t.Chown(t.SecretFile), Start, "UnsafeStatePermissions", RootOnly: true);
        yield return new("secret-truncated-test", t => File.WriteAllBytes(t.SecretFile, File.ReadAllBytes(t.SecretFile)[..10]), Test, "SecretUnreadable", UnixOnly: false);
        yield return new("secret-is-a-folder-test", t => t.Replace(t.SecretFile, "folder"), Test, "StateFileUnreadable");
        yield return new("master-key-readable-by-others-test", t => t.Chmod(t.MasterKey, "640"), Test, "UnsafeStatePermissions");
        yield return new("secrets-folder-writable-by-others", t => t.Chmod(Path.Combine(t.State, "secrets"), "777"), Start, "UnsafeStatePermissions");
        yield return new("master-key-missing", t => File.Delete(t.MasterKey), Start, "SecretUnreadable");
        yield return new("master-key-truncated", t => File.WriteAllBytes(t.MasterKey, File.ReadAllBytes(t.MasterKey)[..20]), Start, "SecretUnreadable");
        yield return new("master-key-truncated-on-save", t => File.WriteAllBytes(t.MasterKey, File.ReadAllBytes(t.MasterKey)[..20]), NewStored, "SecretUnreadable");
        yield return new("master-key-empty", t => File.WriteAllBytes(t.MasterKey, Array.Empty<byte>()), StartAdHoc, "SecretUnreadable");
        yield return new("master-key-is-a-link-to-a-device", t => t.Replace(t.MasterKey, "link to /dev/null"), Start, "StateFileUnreadable");
        yield return new("master-key-is-a-link-to-a-device-on-save", t => t.Replace(t.MasterKey, "link to /dev/null"), NewStored, "StateFileUnreadable");
        yield return new("master-key-is-a-dangling-link-on-save", t => t.Replace(t.MasterKey, "dangling link"), NewStored, "StateFileUnreadable");
        yield return new("master-key-is-a-folder", t => t.Replace(t.MasterKey, "folder"), Start, "StateFileUnreadable");
        yield return new("master-key-readable-by-others", t => t.Chmod(t.MasterKey, "644"), Start, "UnsafeStatePermissions");
        yield return new("master-key-of-another-user", t => t.Chown(t.MasterKey), Start, "UnsafeStatePermissions", RootOnly: true);
        yield return new("key-folder-writable-by-others", t => t.Chmod(t.Keys, "777"), NewStored, "UnsafeStatePermissions");
        yield return new("key-folder-of-another-user", t => t.Chown(t.Keys), Start, "UnsafeStatePermissions", RootOnly: true);

        // ---- the state folder itself
        yield return new("state-folder-writable-by-others-get", t => t.Chmod(t.State, "777"), Get, "UnsafeStatePermissions");
        yield return new("state-folder-writable-by-others-start", t => t.Chmod(t.State, "777"), Start, "UnsafeStatePermissions");
        yield return new("state-folder-writable-by-others-new", t => t.Chmod(t.State, "777"), NewStored, "UnsafeStatePermissions");
        yield return new("state-folder-writable-by-group-new-export", t => t.Chmod(t.State, "770"), NewExport, "UnsafeStatePermissions");
        yield return new("state-folder-sticky-but-writable-by-others", t => t.Chmod(t.State, "1777"), Test, "UnsafeStatePermissions");
        yield return new("state-folder-of-another-user", t => t.Chown(t.State), Get, "UnsafeStatePermissions", RootOnly: true);
        yield return new("state-folder-writable-by-others-remove-connection", t => t.Chmod(t.State, "757"), "Remove-AutopilotConnection Emu -Force", "UnsafeStatePermissions");
        yield return new("state-folder-writable-by-others-remove-export", t => t.Chmod(t.State, "777"), "Remove-AutopilotExport Vip -Force", "UnsafeStatePermissions");
        yield return new("state-folder-writable-by-others-set-field-map", t => t.Chmod(t.State, "777"), SetMap, "UnsafeStatePermissions");
        yield return new("exports-null-custom-entry-set-field-map", t => t.EditExportMap(m => m["custom"] = new JsonObject { ["Tier"] = null }), SetMap, "StateFileCorrupt", UnixOnly: false);
        yield return new("exports-file-is-a-folder-new-export", t => t.Replace(t.ExportsFile, "folder"), NewExport, "StateFileUnreadable", UnixOnly: false);
        yield return new("connections-file-is-a-dangling-link-new-connection", t => t.Replace(t.ConnectionsFile, "dangling link"), NewStored, "StateFileUnreadable");
        yield return new("connections-file-is-a-dangling-link-remove", t => t.Replace(t.ConnectionsFile, "dangling link"), "Remove-AutopilotConnection Emu -Force", "StateFileUnreadable");
        yield return new("state-folder-of-another-user-new", t => t.Chown(t.State), NewStored, "UnsafeStatePermissions", RootOnly: true);
        yield return new("state-folder-is-a-file", t => { Directory.Delete(t.State, true); File.WriteAllText(t.State, "x"); }, Get, "StateFileUnreadable", UnixOnly: false);
        yield return new("state-folder-is-a-dangling-link", t => { Directory.Delete(t.State, true); File.CreateSymbolicLink(t.State, Path.Combine(t._root, "gone")); }, GetExport, "StateFileUnreadable");
        yield return new("state-folder-is-a-link-to-a-folder-of-another-user", t =>
        {
            var planted = Path.Combine(t._root, "planted");
            Directory.Move(t.State, planted);
            t.Chown(planted);
            File.CreateSymbolicLink(t.State, planted);
        }, Start, "UnsafeStatePermissions", RootOnly: true);
    }

    private static readonly Dictionary<string, Case> Cases = AllCases().ToDictionary(c => c.Name, StringComparer.Ordinal);

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Damaged_state_gives_one_documented_error_and_sends_nothing(string name)
    {
        var c = Cases[name];
        if (c.UnixOnly && OperatingSystem.IsWindows()) return;
        if (c.RootOnly && !IsRoot) return;
        var session = _shared.Session;
        session.RunClean("New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation | Out-Null; " +
            "New-AutopilotExport -Name Vip -Connection Emu -Segment VIP -FieldMap @{ Email = 'Email' } | Out-Null");
        c.Damage(this);
        _emulator.Host.Reset();

        var r = session.Run(c.Command);

        var error = SingleError(r);
        Assert.StartsWith(c.ErrorId + ",", error.FullyQualifiedErrorId);
        // A sentence of ours, not a raw .NET exception: the message names what to look at.
        Assert.DoesNotContain("Exception", error.FullyQualifiedErrorId);
        Assert.DoesNotMatch(@"(Object reference not set|Value cannot be null|Invalid URI|The path is empty)", error.Exception.Message);
        Assert.DoesNotContain(ModuleTestBase.TestKey, r.AllText());
        // A password in a URI is not repeated back (the command line the user typed holds it, of course).
        Assert.DoesNotContain(":pw@", error.Exception.Message + error.TargetObject + error.CategoryInfo);
        // The key went nowhere, and Start- did not pretend to export.
        Assert.Equal(0, _emulator.Host.Stats().TotalRequests);
        Assert.DoesNotContain(r.Output, o => o.Properties["Exported"]?.Value is long n && n > 0);
    }

    [Fact]
    public void The_issue_scenario_a_planted_base_uri_in_a_world_writable_state_folder_never_receives_the_key()
    {
        if (OperatingSystem.IsWindows()) return;
        var session = _shared.Session;
        session.RunClean("New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation | Out-Null; " +
            "New-AutopilotExport -Name Vip -Connection Emu -Segment VIP | Out-Null");
        // Another user, allowed in by a 0777 folder, points the connection at a listener of theirs (here: the emulator
        // under another name, so a request that went out would be counted).
        Chmod(State, "777");
        var planted = File.ReadAllText(ConnectionsFile).Replace(EmulatorBase, $"http://localhost:{Port}/v1", StringComparison.Ordinal);
        Assert.Contains("localhost", planted);
        File.Delete(ConnectionsFile);
        File.WriteAllText(ConnectionsFile, planted);
        if (IsRoot) Chown(ConnectionsFile);
        _emulator.Host.Reset();

        var error = SingleError(session.Run(Start));
        Assert.StartsWith("UnsafeStatePermissions,", error.FullyQualifiedErrorId);
        Assert.Contains($"chmod 700 '{State}'", error.Exception.Message);
        Assert.Equal(0, _emulator.Host.Stats().TotalRequests);
    }

    [Fact]
    public void A_password_in_a_base_uri_edited_on_disk_is_never_shown()
    {
        var session = _shared.Session;
        session.RunClean("New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation | Out-Null");
        EditConnection(c => c["baseUri"] = $"http://admin:hunter2@127.0.0.1:{Port}/v1");
        var r = session.RunClean("Get-AutopilotConnection Emu");
        Assert.Equal($"http://***@127.0.0.1:{Port}/v1", r.Output.Single().Properties["BaseUri"].Value);
        var t = session.Run("Test-AutopilotConnection Emu");
        Assert.StartsWith("InvalidBaseUri,", Assert.Single(t.Errors).FullyQualifiedErrorId);
        Assert.DoesNotContain("hunter2", r.AllText() + t.AllText());
        Assert.Equal(0, _emulator.Host.Stats().TotalRequests);
    }

    [Fact]
    public void A_state_folder_copied_elsewhere_cannot_decrypt_its_stored_key()
    {
        if (OperatingSystem.IsWindows()) return;
        var session = _shared.Session;
        session.RunClean("New-AutopilotConnection -Name Emu -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation | Out-Null");
        Assert.Empty(Directory.GetFiles(State, "*.key", SearchOption.AllDirectories));
        // The copy, used by someone else (another key folder): the key does not travel with the state folder.
        var copy = Path.Combine(_root, "copy");
        CopyFolder(State, copy);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", copy);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", Path.Combine(_root, "their-keys"));
        Assert.StartsWith("SecretUnreadable,", SingleError(session.Run(StartAdHoc)).FullyQualifiedErrorId);
        Assert.Equal(0, _emulator.Host.Stats().TotalRequests);
        // The owner, with the key folder, still can.
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", State);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", Keys);
        Assert.True((bool)session.RunClean("Test-AutopilotConnection Emu -Quiet").Output.Single().BaseObject);
    }

    /// <summary>The one error of a run: written, or thrown as a terminating error the script did not catch.</summary>
    private static ErrorRecord SingleError(RunResult r)
    {
        var errors = r.Errors.ToList();
        if (r.Thrown is IContainsErrorRecord thrown) errors.Add(thrown.ErrorRecord);
        else Assert.Null(r.Thrown);
        return Assert.Single(errors);
    }

    // ------------------------------------------------------------------ damage helpers

    private static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private void Chmod(string path, string octal) => File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octal, 8));

    private void Chown(string path) => RunTool("chown", $"-h {OtherUid} \"{path}\"");

    private static void RunTool(string tool, string args)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(tool, args) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    private void Replace(string path, string with)
    {
        File.Delete(path);
        switch (with)
        {
            case "folder": Directory.CreateDirectory(path); break;
            case "dangling link": File.CreateSymbolicLink(path, Path.Combine(_root, "gone")); break;
            case "link to /dev/null": File.CreateSymbolicLink(path, "/dev/null"); break;
            case "fifo": RunTool("mkfifo", $"\"{path}\""); break;
            default: throw new ArgumentException(with);
        }
    }

    private void EditDocument(string path, Action<JsonObject> change)
    {
        var doc = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(doc);
        File.WriteAllText(path, doc.ToJsonString());
    }

    private void EditConnection(Action<JsonObject> change) =>
        EditDocument(ConnectionsFile, d => change(d["connections"]!.AsArray().Single()!.AsObject()));

    private void EditExportMap(Action<JsonObject> change) =>
        EditDocument(ExportsFile, d =>
        {
            var export = d["exports"]!.AsArray().Single()!.AsObject();
            var map = export["fieldMap"] as JsonObject ?? new JsonObject { ["email"] = "Email" };
            change(map);
            export["fieldMap"] = map;
        });

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
