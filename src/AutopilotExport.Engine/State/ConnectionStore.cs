using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// Saved connections: connections.json (no secrets) plus one protected key per connection in
    /// secrets/&lt;safe-name&gt;.bin. Names are case-insensitive. Every change is a locked read-modify-write
    /// with an atomic file replace.
    /// </summary>
    public sealed class ConnectionStore
    {
        public const string ApiKeyEnvironmentVariable = "AUTOPILOT_API_KEY";

        private readonly ISecretProtector _protector;

        public ConnectionStore(StateHome home, ISecretProtector? protector = null)
        {
            Home = home ?? throw new ArgumentNullException(nameof(home));
            _protector = protector ?? SecretProtection.ForCurrentPlatform(home);
        }

        public StateHome Home { get; }

        /// <summary>How stored keys are protected on this platform.</summary>
        public string KeyProtection => _protector.Description;

        public IReadOnlyList<ConnectionRecord> GetAll() =>
            Load().Connections.OrderBy(c => c.Name, StateNames.Comparer).Select(c => c.Clone()).ToList();

        public ConnectionRecord? Find(string name) => FindIn(Load(), name)?.Clone();

        public bool Exists(string name) => FindIn(Load(), name) != null;

        public string SecretPath(string name) => Path.Combine(Home.SecretsFolder, StateNames.ToFileName(name, ".bin"));

        /// <summary>
        /// Saves a connection. <paramref name="apiKey"/> is required for KeySource Stored and ignored otherwise.
        /// Throws StateException ConnectionExists when the name exists and <paramref name="overwrite"/> is false.
        /// </summary>
        public ConnectionRecord Save(ConnectionRecord record, string? apiKey, bool overwrite)
        {
            if (record == null) throw new ArgumentNullException(nameof(record));
            var toSave = record.Clone();
            toSave.Name = StateNames.Validate(record.Name, "connection");
            using (StateLock.Acquire(Home))
            {
                var doc = Load();
                var existing = FindIn(doc, toSave.Name);
                if (existing != null && !overwrite)
                    throw new StateException(StateErrorIds.ConnectionExists,
                        $"A connection named '{existing.Name}' exists already. Use -Force to replace it.");

                var secretPath = SecretPath(toSave.Name);
                if (toSave.KeySource == KeySource.Stored)
                {
                    if (string.IsNullOrEmpty(apiKey)) throw new ArgumentException("A stored connection needs an API key.", nameof(apiKey));
                    // The secret first: a record never points at a missing key.
                    WriteSecret(toSave.Name, apiKey!, secretPath);
                    toSave.SecretFile = Path.GetFileName(secretPath);
                    toSave.KeyProtection = _protector.Description;
                }
                else
                {
                    toSave.SecretFile = null;
                    toSave.KeyProtection = null;
                }

                if (existing != null) doc.Connections.Remove(existing);
                doc.Connections.Add(toSave);
                Store(doc);

                if (toSave.KeySource != KeySource.Stored) DeleteQuietly(secretPath);
            }
            return toSave.Clone();
        }

        /// <summary>Changes a saved connection (e.g. LastValidatedAt); false when it does not exist.</summary>
        public bool Update(string name, Action<ConnectionRecord> change)
        {
            using (StateLock.Acquire(Home))
            {
                var doc = Load();
                var existing = FindIn(doc, name);
                if (existing == null) return false;
                var originalName = existing.Name;
                change(existing);
                existing.Name = originalName;
                Store(doc);
                return true;
            }
        }

        /// <summary>Removes the connection and its stored key; false when it did not exist.</summary>
        public bool Remove(string name)
        {
            using (StateLock.Acquire(Home))
            {
                var doc = Load();
                var existing = FindIn(doc, name);
                if (existing == null) return false;
                doc.Connections.Remove(existing);
                Store(doc);
                DeleteQuietly(SecretPath(existing.Name));
                if (!string.IsNullOrEmpty(existing.SecretFile))
                    DeleteQuietly(Path.Combine(Home.SecretsFolder, Path.GetFileName(existing.SecretFile)));
                return true;
            }
        }

        /// <summary>
        /// The API key of a connection: the decrypted stored key, or $env:AUTOPILOT_API_KEY for KeySource
        /// Environment. Throws StateException ApiKeyMissing / SecretUnreadable with a message that never holds the key.
        /// </summary>
        public string ResolveApiKey(ConnectionRecord connection)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            if (connection.KeySource == KeySource.Environment)
            {
                var fromEnv = Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);
                if (string.IsNullOrWhiteSpace(fromEnv))
                    throw new StateException(StateErrorIds.ApiKeyMissing,
                        $"Connection '{connection.Name}' reads its API key from the environment variable {ApiKeyEnvironmentVariable}, which is not set in this session.");
                return fromEnv!.Trim();
            }

            var path = string.IsNullOrEmpty(connection.SecretFile)
                ? SecretPath(connection.Name)
                : Path.Combine(Home.SecretsFolder, Path.GetFileName(connection.SecretFile));
            byte[] protectedBytes;
            try
            {
                Home.RequireTrusted();
                StrictModes.RequireTrustedFolder(Home.SecretsFolder, "secrets folder");
                // Nothing at the path reads as a missing file (below), the same as a file removed meanwhile.
                protectedBytes = StrictModes.RequireTrustedFile(path, "stored key file", secret: true)
                    ? File.ReadAllBytes(path)
                    : throw new FileNotFoundException("The stored key file is missing.", path);
            }
            catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException)
            {
                throw new StateException(StateErrorIds.SecretUnreadable,
                    $"The stored API key of connection '{connection.Name}' is missing ('{path}'). Recreate the connection with New-AutopilotConnection -Force.", path, ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new StateException(StateErrorIds.SecretUnreadable,
                    $"The stored API key of connection '{connection.Name}' cannot be read ('{path}': {(ex is UnauthorizedAccessException ? "access is denied" : ex.Message)}). " +
                    "Fix the file's access, or recreate the connection with New-AutopilotConnection -Force.", path, ex);
            }
            byte[]? plain = null;
            try
            {
                plain = _protector.Unprotect(protectedBytes, connection.Name);
                return Encoding.UTF8.GetString(plain);
            }
            catch (CryptographicException ex)
            {
                throw new StateException(StateErrorIds.SecretUnreadable,
                    $"The stored API key of connection '{connection.Name}' cannot be decrypted ('{path}'): {ex.Message} It was changed, or was saved by another user, on another machine " +
                    "or with another key file. Recreate the connection with New-AutopilotConnection -Force.", path, ex);
            }
            finally
            {
                if (plain != null) Array.Clear(plain, 0, plain.Length);
            }
        }

        private void WriteSecret(string name, string apiKey, string path)
        {
            Home.EnsureFolder(Home.SecretsFolder);
            var plain = Encoding.UTF8.GetBytes(apiKey.Trim());
            try
            {
                byte[] protectedBytes;
                try
                {
                    protectedBytes = _protector.Protect(plain, name);
                }
                catch (CryptographicException ex)
                {
                    throw new StateException(StateErrorIds.SecretUnreadable,
                        $"The API key of connection '{name}' cannot be protected: {ex.Message} Move the damaged key file away (stored keys it protects must then be saved again with New-AutopilotConnection -Force).", null, ex);
                }
                AtomicFile.WriteAllBytes(path, protectedBytes, ownerOnly: true);
            }
            finally
            {
                Array.Clear(plain, 0, plain.Length);
            }
        }

        private static ConnectionRecord? FindIn(ConnectionsDocument doc, string name)
        {
            var n = name?.Trim() ?? "";
            return doc.Connections.FirstOrDefault(c => StateNames.Comparer.Equals(c.Name, n));
        }

        private ConnectionsDocument Load()
        {
            var doc = JsonStateFile.Read(Home, Home.ConnectionsFile, StateJsonContext.Default.ConnectionsDocument,
                () => new ConnectionsDocument(), d => d.Version);
            doc.Connections = (doc.Connections ?? new List<ConnectionRecord>()).Where(c => c != null && !string.IsNullOrWhiteSpace(c.Name)).ToList();
            foreach (var c in doc.Connections)
            {
                // The cmdlets accept 0..1000 requests per second; anything else was edited in.
                if (!(c.RequestsPerSecond >= 0 && c.RequestsPerSecond <= 1000))
                    throw JsonStateFile.Corrupt(Home.ConnectionsFile, $"connection '{c.Name}' has requestsPerSecond {c.RequestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture)}, outside 0 to 1000", null);
            }
            return doc;
        }

        private void Store(ConnectionsDocument doc)
        {
            doc.Version = JsonStateFile.SupportedVersion;
            doc.Connections = doc.Connections.OrderBy(c => c.Name, StateNames.Comparer).ToList();
            JsonStateFile.Write(Home, Home.ConnectionsFile, doc, StateJsonContext.Default.ConnectionsDocument);
        }

        private static void DeleteQuietly(string path)
        {
            try { if (File.Exists(path)) File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
