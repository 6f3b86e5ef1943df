using System.Text;
using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

[Collection(StateEnvironmentCollection.Name)]
public sealed class ConnectionStoreTests : IDisposable
{
    private const string Key = "sk-TEST-9f8e7d6c5b4a";
    private readonly StateTestFolder _folder = new();
    private readonly string? _savedKey = Environment.GetEnvironmentVariable(ConnectionStore.ApiKeyEnvironmentVariable);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(ConnectionStore.ApiKeyEnvironmentVariable, _savedKey);
        _folder.Dispose();
    }

    private static ConnectionRecord Record(string name, KeySource source = KeySource.Stored) => new()
    {
        Name = name,
        BaseUri = "https://api2.autopilothq.com/v1",
        KeySource = source,
        RequestsPerSecond = 4.5,
        ConsentedAt = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)),
        CreatedAt = new DateTimeOffset(2024, 5, 6, 7, 8, 10, TimeSpan.FromHours(2)),
        InstanceId = "instance-1",
        LastValidatedAt = new DateTimeOffset(2024, 5, 6, 7, 8, 11, TimeSpan.Zero),
    };

    [Fact]
    public void Round_trips_through_a_new_store_instance()
    {
        var store = new ConnectionStore(_folder.Home);
        store.Save(Record("Prod"), Key, overwrite: false);

        var again = new ConnectionStore(_folder.Home);
        var c = again.Find("PROD");
        Assert.NotNull(c);
        Assert.Equal("Prod", c!.Name);
        Assert.Equal("https://api2.autopilothq.com/v1", c.BaseUri);
        Assert.Equal(KeySource.Stored, c.KeySource);
        Assert.Equal(4.5, c.RequestsPerSecond);
        Assert.Equal(Record("x").ConsentedAt, c.ConsentedAt);
        Assert.Equal(TimeSpan.FromHours(2), c.ConsentedAt.Offset);
        Assert.Equal("instance-1", c.InstanceId);
        Assert.Equal(Record("x").LastValidatedAt, c.LastValidatedAt);
        Assert.Equal(again.KeyProtection, c.KeyProtection);
        Assert.Equal(Key, again.ResolveApiKey(c));
        Assert.True(File.Exists(again.SecretPath("prod")));
    }

    [Fact]
    public void Names_are_case_insensitive_and_unique()
    {
        var store = new ConnectionStore(_folder.Home);
        store.Save(Record("Prod"), Key, overwrite: false);
        var ex = Assert.Throws<StateException>(() => store.Save(Record("PROD"), Key, overwrite: false));
        Assert.Equal(StateErrorIds.ConnectionExists, ex.ErrorId);

        var replaced = Record("prod");
        replaced.RequestsPerSecond = 1;
        store.Save(replaced, "sk-other-key-123", overwrite: true);
        var all = store.GetAll();
        Assert.Single(all);
        Assert.Equal(1, all[0].RequestsPerSecond);
        Assert.Equal("sk-other-key-123", store.ResolveApiKey(all[0]));
    }

    [Fact]
    public void Remove_deletes_the_record_and_the_secret()
    {
        var store = new ConnectionStore(_folder.Home);
        store.Save(Record("Prod"), Key, overwrite: false);
        store.Save(Record("Other"), "sk-another-1234", overwrite: false);
        var secret = store.SecretPath("Prod");
        Assert.True(File.Exists(secret));
        Assert.True(store.Remove("pRoD"));
        Assert.False(File.Exists(secret));
        Assert.Null(store.Find("Prod"));
        Assert.NotNull(store.Find("Other"));
        Assert.False(store.Remove("Prod"));
    }

    [Fact]
    public void Environment_key_source_reads_the_variable_at_each_use()
    {
        var store = new ConnectionStore(_folder.Home);
        var c = store.Save(Record("Env", KeySource.Environment), apiKey: null, overwrite: false);
        Assert.Null(c.SecretFile);
        Assert.False(File.Exists(store.SecretPath("Env")));

        Environment.SetEnvironmentVariable(ConnectionStore.ApiKeyEnvironmentVariable, null);
        var ex = Assert.Throws<StateException>(() => store.ResolveApiKey(c));
        Assert.Equal(StateErrorIds.ApiKeyMissing, ex.ErrorId);
        Assert.Contains("AUTOPILOT_API_KEY", ex.Message);

        Environment.SetEnvironmentVariable(ConnectionStore.ApiKeyEnvironmentVariable, " env-key-42 ");
        Assert.Equal("env-key-42", store.ResolveApiKey(c));
    }

    [Fact]
    public void Switching_to_environment_removes_the_stored_secret()
    {
        var store = new ConnectionStore(_folder.Home);
        store.Save(Record("Prod"), Key, overwrite: false);
        store.Save(Record("Prod", KeySource.Environment), null, overwrite: true);
        Assert.False(File.Exists(store.SecretPath("Prod")));
    }

    [Fact]
    public void Key_never_appears_in_any_file_of_the_state_folder()
    {
        var store = new ConnectionStore(_folder.Home);
        store.Save(Record("Prod"), Key, overwrite: false);
        store.Save(Record("Second"), Key, overwrite: false);
        store.Update("Prod", c => c.LastValidatedAt = DateTimeOffset.Now);
        Assert.Equal(Key, store.ResolveApiKey(store.Find("Prod")!));

        var needles = new[]
        {
            Encoding.UTF8.GetBytes(Key),
            Encoding.Unicode.GetBytes(Key),
            Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(Key))),
            Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.Unicode.GetBytes(Key))),
            Encoding.ASCII.GetBytes(Convert.ToHexString(Encoding.UTF8.GetBytes(Key))),
            Encoding.ASCII.GetBytes(Convert.ToHexString(Encoding.UTF8.GetBytes(Key)).ToLowerInvariant()),
        };
        var files = _folder.AllFiles().ToList();
        Assert.Contains(files, f => f.EndsWith(".bin", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("connections.json", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var content = File.ReadAllBytes(file);
            foreach (var needle in needles) Assert.False(Bytes.Contains(content, needle), $"{file} holds the key");
        }
    }

    [Fact]
    public void State_files_are_owner_only_on_unix()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = new ConnectionStore(_folder.Home);
        store.Save(Record("Prod"), Key, overwrite: false);
        var rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(rw, StateTestFolder.ModeOf(store.SecretPath("Prod")));
        Assert.Equal(rw, StateTestFolder.ModeOf(_folder.Home.ConnectionsFile));
        Assert.Equal(rw | UnixFileMode.UserExecute, StateTestFolder.ModeOf(_folder.Home.Path));
        Assert.Equal(rw | UnixFileMode.UserExecute, StateTestFolder.ModeOf(_folder.Home.SecretsFolder));
    }

    [Fact]
    public void Tampered_secret_file_is_a_clear_error_without_the_key()
    {
        var store = new ConnectionStore(_folder.Home);
        var c = store.Save(Record("Prod"), Key, overwrite: false);
        var path = store.SecretPath("Prod");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<StateException>(() => store.ResolveApiKey(c));
        Assert.Equal(StateErrorIds.SecretUnreadable, ex.ErrorId);
        Assert.Contains("Prod", ex.Message);
        Assert.DoesNotContain(Key, ex.ToString());

        File.Delete(path);
        ex = Assert.Throws<StateException>(() => store.ResolveApiKey(c));
        Assert.Equal(StateErrorIds.SecretUnreadable, ex.ErrorId);
    }

    [Fact]
    public void Corrupt_state_file_names_the_file()
    {
        var store = new ConnectionStore(_folder.Home);
        store.Save(Record("Prod"), Key, overwrite: false);
        File.WriteAllText(_folder.Home.ConnectionsFile, "{ \"version\": 1, \"connections\": [ { \"name\": ");
        var ex = Assert.Throws<StateException>(() => store.GetAll());
        Assert.Equal(StateErrorIds.StateFileCorrupt, ex.ErrorId);
        Assert.Contains(_folder.Home.ConnectionsFile, ex.Message);
        Assert.Equal(_folder.Home.ConnectionsFile, ex.Path);

        File.WriteAllText(_folder.Home.ConnectionsFile, "");
        Assert.Equal(StateErrorIds.StateFileCorrupt, Assert.Throws<StateException>(() => store.Find("Prod")).ErrorId);

        File.WriteAllText(_folder.Home.ConnectionsFile, "{ \"version\": 99, \"connections\": [] }");
        Assert.Contains("newer", Assert.Throws<StateException>(() => store.GetAll()).Message);
    }

    [Fact]
    public void Invalid_names_are_refused()
    {
        var store = new ConnectionStore(_folder.Home);
        foreach (var bad in new[] { "", "  ", "a*b", "a?", "x[1]", "tab\tname" })
            Assert.Equal(StateErrorIds.InvalidName, Assert.Throws<StateException>(() => store.Save(Record(bad), Key, false)).ErrorId);
    }

    [Fact]
    public void Secret_file_names_are_safe_and_distinct()
    {
        var store = new ConnectionStore(_folder.Home);
        var a = Path.GetFileName(store.SecretPath("../../etc/passwd"));
        Assert.DoesNotContain("/", a);
        Assert.DoesNotContain("..", a);
        Assert.Equal(store.SecretPath("Prod"), store.SecretPath("PROD"));
        Assert.NotEqual(store.SecretPath("a b"), store.SecretPath("a_b"));
    }

    [Fact]
    public void Concurrent_saves_lose_nothing()
    {
        Parallel.For(0, 12, i => new ConnectionStore(_folder.Home).Save(Record("c" + i, KeySource.Environment), null, overwrite: false));
        Assert.Equal(12, new ConnectionStore(_folder.Home).GetAll().Count);
        Assert.DoesNotContain(_folder.AllFiles(), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }
}
