using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutopilotEmulator;

/// <summary>
/// A running emulator. Tests start one in-process on a free loopback port:
/// <code>await using var emu = await EmulatorHost.StartAsync(new EmulatorOptions { ApiKey = "k", RateLimit = 0 });</code>
/// </summary>
public sealed class EmulatorHost : IAsyncDisposable, IDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorState _state;
    private int _disposed;

    private EmulatorHost(WebApplication app, EmulatorState state, Uri root)
    {
        _app = app;
        _state = state;
        RootUri = root;
        BaseUri = new Uri(root, "v1");
    }

    /// <summary>http://127.0.0.1:PORT/v1 (no trailing slash).</summary>
    public Uri BaseUri { get; }

    /// <summary>http://127.0.0.1:PORT/ (the inspection API lives under /__emulator).</summary>
    public Uri RootUri { get; }

    /// <summary>The key the emulator accepts.</summary>
    public string ApiKey => _state.ApiKey;

    /// <summary>The instanceId GET /v1/account answers.</summary>
    public string InstanceId => _state.InstanceId;

    /// <summary>Starts an emulator on 127.0.0.1 with a free port.</summary>
    public static Task<EmulatorHost> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(options ?? new EmulatorOptions(), new[] { new IPEndPoint(IPAddress.Loopback, 0) }, consoleLogging: false, cancellationToken);

    internal static async Task<EmulatorHost> StartAsync(EmulatorOptions options, IReadOnlyList<IPEndPoint> endpoints, bool consoleLogging, CancellationToken cancellationToken)
    {
        var state = new EmulatorState(options.Clone());
        var app = EmulatorApp.Build(state, endpoints, consoleLogging);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("The emulator did not report its address.");
        var root = new Uri(new Uri(first).GetLeftPart(UriPartial.Authority) + "/");
        return new EmulatorHost(app, state, root);
    }

    // ---------------- live configuration ----------------

    /// <summary>Replaces the fault profile (null = none) and restarts the seeded fault sequence.</summary>
    public void SetFaults(FaultProfile? faults) => _state.Faults.Set(faults);

    /// <summary>Requests per second accepted for the key (0 = off); clears the current window.</summary>
    public void SetRateLimit(double requestsPerSecond) => _state.Limiter.Configure(requestsPerSecond);

    public void SetBulkInvalid(BulkInvalidMode mode) => _state.BulkInvalid = mode;

    public void SetSendRetryAfter(bool send) => _state.SendRetryAfter = send;

    /// <summary>Replaces the accepted key (as if it was revoked and a new one issued): from the next request on, the old key gets 401.
    /// <see cref="Reset"/> keeps the key; set it back explicitly.</summary>
    public void SetApiKey(string apiKey) => _state.ApiKey = apiKey;

    // ---------------- inspection ----------------

    /// <summary>Snapshot of every stored contact, in creation order.</summary>
    public IReadOnlyList<EmulatorContact> Contacts()
    {
        var all = _state.Store.All.All();
        var result = new List<EmulatorContact>(all.Count);
        foreach (var rec in all) result.Add(rec.Snapshot());
        return result;
    }

    /// <summary>One contact by id or email (case-insensitive), or null.</summary>
    public EmulatorContact? Contact(string idOrEmail) => _state.Store.Find(idOrEmail)?.Snapshot();

    /// <summary>Snapshot of every list, in creation order.</summary>
    public IReadOnlyList<EmulatorList> Lists()
    {
        var result = new List<EmulatorList>();
        foreach (var l in _state.Store.Lists())
            result.Add(new EmulatorList { ListId = l.Id, Title = l.Title, ContactIds = l.Members.All().Select(r => r.Id).ToList() });
        return result;
    }

    /// <summary>Creates a list directly (test set-up); returns its id. Throws when the title exists.</summary>
    public string CreateList(string title) =>
        _state.Store.CreateList(title)?.Id ?? throw new InvalidOperationException($"A list named '{title}' already exists.");

    /// <summary>Custom fields created so far: (name, fieldType) in creation order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CustomFields() =>
        _state.Store.CustomFields().Select(d => new KeyValuePair<string, string>(d.Name, d.Type)).ToList();

    public EmulatorStats Stats() => _state.Stats.Snapshot();

    /// <summary>The recent-request log (at most the last 10,000), oldest first.</summary>
    public IReadOnlyList<EmulatorRequest> Requests() => _state.Stats.Requests(out _);

    /// <summary>Clears contacts, lists, custom fields, statistics and the request log; keeps key and configuration.</summary>
    public void Reset() => _state.Reset();

    /// <summary>An HttpClient for <see cref="BaseUri"/> (BaseAddress ends with "/v1/") sending the key unless <paramref name="withKey"/> is false.</summary>
    public HttpClient CreateClient(bool withKey = true)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUri + "/") };
        if (withKey) client.DefaultRequestHeaders.Add("autopilotapikey", ApiKey);
        return client;
    }

    /// <summary>Completes when the host shuts down (Ctrl+C / SIGTERM for the command line).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { await _app.StopAsync(cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public override string ToString() => BaseUri.ToString();
}
