using AutopilotEmulator;
using Xunit;

namespace AutopilotExport.Module.Tests.Infrastructure;

/// <summary>One emulator for the whole test run (reset before each test). Its key is the distinctive test key.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public const string ApiKey = "sk-TEST-9f8e7d6c5b4a";

    public EmulatorHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await EmulatorHost.StartAsync(new EmulatorOptions
        {
            ApiKey = ApiKey,
            RateLimit = 0,
            BulkInvalid = BulkInvalidMode.Reject,
            SendRetryAfter = true,
            Faults = null,
            Seed = 1,
        });
    }

    public void ResetForTest()
    {
        Host.SetApiKey(ApiKey); // a test may have revoked it mid-run
        Host.SetFaults(null);
        Host.SetRateLimit(0);
        Host.SetBulkInvalid(BulkInvalidMode.Reject);
        Host.SetSendRetryAfter(true);
        Host.Reset();
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ModuleCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "Module";
}

/// <summary>
/// Per test: a fresh state folder ($env:AUTOPILOTEXPORT_HOME), no $env:AUTOPILOT_API_KEY, a new runspace with the
/// module imported from the repository manifest, and a reset emulator. Variables $ApiKey (SecureString of the
/// test key) and $BaseUri (the emulator) are set in the session.
/// </summary>
[Collection(ModuleCollection.Name)]
public abstract class ModuleTestBase : IDisposable
{
    public const string TestKey = EmulatorFixture.ApiKey;
    private readonly string? _savedHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_HOME");
    private readonly string? _savedKey = Environment.GetEnvironmentVariable("AUTOPILOT_API_KEY");
    private readonly string? _savedKeyHome = Environment.GetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME");
    private ModuleSession? _session;

    protected ModuleTestBase(EmulatorFixture emulator)
    {
        Fixture = emulator;
        emulator.ResetForTest();
        StateHome = Path.Combine(Path.GetTempPath(), "apx-module-tests", Guid.NewGuid().ToString("N"), "state");
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", StateHome);
        // The master key folder (outside the state folder) is per test too, never the machine user's.
        KeyHome = Path.Combine(Path.GetDirectoryName(StateHome)!, "keys");
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", KeyHome);
        Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", null);
    }

    protected string KeyHome { get; }

    protected EmulatorFixture Fixture { get; }
    protected EmulatorHost Emulator => Fixture.Host;
    protected string StateHome { get; }
    protected string EmulatorBaseUri => Emulator.BaseUri.ToString().TrimEnd('/');

    protected ModuleSession Session
    {
        get
        {
            if (_session == null)
            {
                _session = new ModuleSession();
                _session.SetVariable("ApiKey", ModuleSession.Secure(TestKey));
                _session.SetVariable("BaseUri", EmulatorBaseUri);
            }
            return _session;
        }
    }

    protected RunResult Run(string script, bool toHost = false) => Session.Run(script, toHost);
    protected RunResult RunClean(string script) => Session.RunClean(script);

    /// <summary>Saves connection 'Emu' to the emulator with the test key (validated), and resets the emulator's counters.</summary>
    protected void CreateConnection(string name = "Emu")
    {
        RunClean($"New-AutopilotConnection -Name '{name}' -ApiKey $ApiKey -BaseUri $BaseUri -AcceptDataPrivacy | Out-Null");
        Emulator.Reset();
    }

    protected IEnumerable<string> StateFiles() =>
        Directory.Exists(StateHome) ? Directory.EnumerateFiles(StateHome, "*", SearchOption.AllDirectories) : Enumerable.Empty<string>();

    /// <summary>The emulator's list id for a title (null when no such list).</summary>
    protected string? ListId(string title) =>
        Emulator.Lists().FirstOrDefault(l => string.Equals(l.Title, title, StringComparison.Ordinal))?.ListId;

    public virtual void Dispose()
    {
        _session?.Dispose();
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_HOME", _savedHome);
        Environment.SetEnvironmentVariable("AUTOPILOT_API_KEY", _savedKey);
        Environment.SetEnvironmentVariable("AUTOPILOTEXPORT_KEY_HOME", _savedKeyHome);
        try { Directory.Delete(Path.GetDirectoryName(StateHome)!, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        GC.SuppressFinalize(this);
    }
}
