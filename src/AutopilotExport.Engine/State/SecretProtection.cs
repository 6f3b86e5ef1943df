using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace AutopilotExport.Engine.State
{
    /// <summary>Encrypts a secret (an API key) for storage in a file, bound to a purpose (the connection name).</summary>
    public interface ISecretProtector
    {
        /// <summary>What protects the secrets, as shown in AutopilotConnection.KeyProtection.</summary>
        string Description { get; }
        byte[] Protect(byte[] plaintext, string purpose);
        /// <summary>Throws <see cref="CryptographicException"/> when the data was changed or protected elsewhere.</summary>
        byte[] Unprotect(byte[] protectedData, string purpose);
    }

    public static class SecretProtection
    {
        /// <summary>DPAPI (CurrentUser) on Windows; elsewhere AES-256-CBC + HMAC-SHA256 with an owner-only key file.</summary>
        public static ISecretProtector ForCurrentPlatform(StateHome home)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return new DpapiSecretProtector();
            return new AesHmacSecretProtector(home);
        }

        internal static byte[] PurposeBytes(string purpose) =>
            Encoding.UTF8.GetBytes("AutopilotExport.ApiKey.v1|" + (purpose ?? "").Trim().ToLowerInvariant());
    }

    /// <summary>
    /// Windows: DPAPI with the CurrentUser scope and a per-application entropy (plus the purpose), so only the
    /// same Windows user on the same machine can decrypt, and another DPAPI-using program cannot simply ask for it.
    /// </summary>
    public sealed class DpapiSecretProtector : ISecretProtector
    {
        public string Description => "DPAPI (CurrentUser)";

        public byte[] Protect(byte[] plaintext, string purpose) =>
            ProtectedData.Protect(plaintext, SecretProtection.PurposeBytes(purpose), DataProtectionScope.CurrentUser);

        public byte[] Unprotect(byte[] protectedData, string purpose) =>
            ProtectedData.Unprotect(protectedData, SecretProtection.PurposeBytes(purpose), DataProtectionScope.CurrentUser);

        public override string ToString() => Description;
    }

    /// <summary>
    /// Non-Windows: encrypt-then-MAC (AES-256-CBC, then HMAC-SHA256 over version, IV, ciphertext and purpose) with
    /// keys derived from a random 256-bit master key per state folder, kept in an owner-only (0600) file OUTSIDE the
    /// state folder (<see cref="StateHome.MasterKeyFile"/>, in an owner-only key folder). What this buys, honestly:
    /// the state folder (connections.json, secrets/*.bin) can be backed up, synced, copied or shared without
    /// disclosing the API key, because the master key does not travel with it. It does not protect against the user
    /// account itself (or root), nor against a copy of the whole home folder: whoever can read the key file can
    /// decrypt. There is no OS key store here that works the same for scheduled jobs everywhere.
    /// </summary>
    public sealed class AesHmacSecretProtector : ISecretProtector
    {
        private const byte FormatVersion = 1;
        private const int IvLength = 16;
        private const int TagLength = 32;
        private static readonly byte[] KeyFileMagic = Encoding.ASCII.GetBytes("APXKEY1\n");
        private const int MasterKeyLength = 32;

        private readonly StateHome _home;

        public AesHmacSecretProtector(StateHome home)
        {
            _home = home ?? throw new ArgumentNullException(nameof(home));
        }

        public string Description => "AES-256 + HMAC, owner-only key file";

        public byte[] Protect(byte[] plaintext, string purpose)
        {
            if (plaintext == null) throw new ArgumentNullException(nameof(plaintext));
            var master = LoadOrCreateMasterKey(create: true);
            byte[] encKey = Derive(master, "enc"), macKey = Derive(master, "mac");
            try
            {
                using var aes = Aes.Create();
                aes.KeySize = 256;
                aes.Mode = CipherMode.CBC;
                aes.Padding = PaddingMode.PKCS7;
                aes.Key = encKey;
                aes.GenerateIV();
                byte[] cipher;
                using (var enc = aes.CreateEncryptor()) cipher = enc.TransformFinalBlock(plaintext, 0, plaintext.Length);

                var result = new byte[1 + IvLength + cipher.Length + TagLength];
                result[0] = FormatVersion;
                Buffer.BlockCopy(aes.IV, 0, result, 1, IvLength);
                Buffer.BlockCopy(cipher, 0, result, 1 + IvLength, cipher.Length);
                var tag = ComputeTag(macKey, result, 1 + IvLength + cipher.Length, purpose);
                Buffer.BlockCopy(tag, 0, result, result.Length - TagLength, TagLength);
                return result;
            }
            finally
            {
                Array.Clear(master, 0, master.Length);
                Array.Clear(encKey, 0, encKey.Length);
                Array.Clear(macKey, 0, macKey.Length);
            }
        }

        public byte[] Unprotect(byte[] protectedData, string purpose)
        {
            if (protectedData == null) throw new ArgumentNullException(nameof(protectedData));
            if (protectedData.Length < 1 + IvLength + 16 + TagLength || protectedData[0] != FormatVersion)
                throw new CryptographicException("The protected data has an unknown format.");
            var master = LoadOrCreateMasterKey(create: false);
            byte[] encKey = Derive(master, "enc"), macKey = Derive(master, "mac");
            try
            {
                int macced = protectedData.Length - TagLength;
                var expected = ComputeTag(macKey, protectedData, macced, purpose);
                if (!FixedTimeEquals(expected, protectedData, macced))
                    throw new CryptographicException("The protected data failed its integrity check (changed, or protected with another key).");

                using var aes = Aes.Create();
                aes.KeySize = 256;
                aes.Mode = CipherMode.CBC;
                aes.Padding = PaddingMode.PKCS7;
                aes.Key = encKey;
                var iv = new byte[IvLength];
                Buffer.BlockCopy(protectedData, 1, iv, 0, IvLength);
                aes.IV = iv;
                using var dec = aes.CreateDecryptor();
                return dec.TransformFinalBlock(protectedData, 1 + IvLength, macced - 1 - IvLength);
            }
            finally
            {
                Array.Clear(master, 0, master.Length);
                Array.Clear(encKey, 0, encKey.Length);
                Array.Clear(macKey, 0, macKey.Length);
            }
        }

        public override string ToString() => Description;

        private static byte[] ComputeTag(byte[] macKey, byte[] data, int count, string purpose)
        {
            var purposeBytes = SecretProtection.PurposeBytes(purpose);
            var lengthPrefix = BitConverter.GetBytes(purposeBytes.Length);
            using var hmac = new HMACSHA256(macKey);
            hmac.TransformBlock(lengthPrefix, 0, lengthPrefix.Length, null, 0);
            hmac.TransformBlock(purposeBytes, 0, purposeBytes.Length, null, 0);
            hmac.TransformFinalBlock(data, 0, count);
            return hmac.Hash!;
        }

        private static byte[] Derive(byte[] master, string label)
        {
            using var hmac = new HMACSHA256(master);
            return hmac.ComputeHash(Encoding.ASCII.GetBytes("AutopilotExport.v1." + label));
        }

        private static bool FixedTimeEquals(byte[] expected, byte[] data, int offset)
        {
            int diff = 0;
            for (int i = 0; i < expected.Length; i++) diff |= expected[i] ^ data[offset + i];
            return diff == 0;
        }

        private byte[] LoadOrCreateMasterKey(bool create)
        {
            var path = _home.MasterKeyFile;
            RequireKeyFolder(create);
            RemoveStaleTemporaryKeys(path);
            if (StrictModes.RequireTrustedFile(path, "key file", secret: true)) return ReadMasterKey(path);

            // An earlier version kept the key inside the state folder, where a copy of the folder carried it along:
            // move it out (the stored keys stay readable), then remove it from the state folder.
            var legacy = _home.LegacyMasterKeyFile;
            if (_home.RequireTrusted() && StrictModes.RequireTrustedFile(legacy, "key file", secret: true))
            {
                var legacyKey = ReadMasterKey(legacy);
                var moved = Install(path, legacyKey);
                if (ReferenceEquals(moved, legacyKey)) DeleteQuietly(legacy);
                return moved;
            }

            if (!create)
                throw new CryptographicException($"The key file '{path}' that protects stored API keys is missing (each state folder has its own, named after the folder's path: a state folder that was moved or copied does not find it).");
            var key = new byte[MasterKeyLength];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(key);
            return Install(path, key);
        }

        /// <summary>The key folder exists (created owner-only when <paramref name="create"/>) and passes StrictModes.</summary>
        private void RequireKeyFolder(bool create)
        {
            var folder = _home.KeyFolder;
            if (StrictModes.RequireTrustedFolder(folder, "key folder") || !create) return;
            var parent = Path.GetDirectoryName(folder);
            bool parentIsNew = !string.IsNullOrEmpty(parent) && !Directory.Exists(parent);
            Directory.CreateDirectory(folder);
            UnixPermissions.Set(folder, UnixPermissions.OwnerOnlyDirectory);
            if (parentIsNew) UnixPermissions.Set(parent!, UnixPermissions.OwnerOnlyDirectory);
        }

        /// <summary>
        /// Writes the key to a temporary owner-only file and moves it in without overwriting: if another process won
        /// the race, its key is returned instead (both must agree on one). Returns <paramref name="key"/> when it was installed.
        /// </summary>
        private static byte[] Install(string path, byte[] key)
        {
            var content = new byte[KeyFileMagic.Length + MasterKeyLength];
            Buffer.BlockCopy(KeyFileMagic, 0, content, 0, KeyFileMagic.Length);
            Buffer.BlockCopy(key, 0, content, KeyFileMagic.Length, MasterKeyLength);
            var temp = path + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + AtomicFile.TempSuffix;
            try
            {
                using (var stream = UnixPermissions.WithOwnerOnlyUmask(() => new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None)))
                {
                    UnixPermissions.Set(temp, UnixPermissions.OwnerOnlyFile);
                    stream.Write(content, 0, content.Length);
                    stream.Flush(flushToDisk: true);
                }
                try
                {
                    File.Move(temp, path);
                }
                catch (IOException) when (File.Exists(path))
                {
                    Array.Clear(key, 0, key.Length);
                    return ReadMasterKey(path);
                }
                return key;
            }
            finally
            {
                Array.Clear(content, 0, content.Length);
                DeleteQuietly(temp);
            }
        }

        /// <summary>
        /// Temporary files of <see cref="Install"/> that a killed process left beside the key file. The key folder has no
        /// lock, so only files older than any install could take are removed.
        /// </summary>
        private static void RemoveStaleTemporaryKeys(string keyPath)
        {
            try
            {
                var folder = Path.GetDirectoryName(keyPath);
                if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder)) return;
                foreach (var temp in Directory.GetFiles(folder, Path.GetFileName(keyPath) + ".*" + AtomicFile.TempSuffix))
                {
                    if (DateTime.UtcNow - File.GetLastWriteTimeUtc(temp) > TimeSpan.FromMinutes(10)) DeleteQuietly(temp);
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // Tidying up is never a reason to fail.
            }
        }

        private static void DeleteQuietly(string path)
        {
            try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        private static byte[] ReadMasterKey(string path)
        {
            byte[] content;
            try
            {
                content = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new CryptographicException($"The key file '{path}' cannot be read ({(ex is UnauthorizedAccessException ? "access is denied" : ex.Message)}).", ex);
            }
            try
            {
                if (content.Length != KeyFileMagic.Length + MasterKeyLength)
                    throw new CryptographicException($"The key file '{path}' is damaged (wrong length).");
                for (int i = 0; i < KeyFileMagic.Length; i++)
                    if (content[i] != KeyFileMagic[i]) throw new CryptographicException($"The key file '{path}' is damaged (wrong header).");
                var key = new byte[MasterKeyLength];
                Buffer.BlockCopy(content, KeyFileMagic.Length, key, 0, MasterKeyLength);
                return key;
            }
            finally
            {
                Array.Clear(content, 0, content.Length);
            }
        }
    }
}
