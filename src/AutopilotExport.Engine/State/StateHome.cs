using System;
using System.IO;
using System.Runtime.InteropServices;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// The per-user folder that holds saved connections, exports, protected keys and run reports:
    /// <c>$env:AUTOPILOTEXPORT_HOME</c> when set; else <c>%LOCALAPPDATA%\AutopilotExport</c> on Windows;
    /// else <c>$XDG_DATA_HOME/AutopilotExport</c> or <c>~/.local/share/AutopilotExport</c>.
    /// Created owner-only (0700) on Unix.
    /// </summary>
    public sealed class StateHome
    {
        public const string EnvironmentVariable = "AUTOPILOTEXPORT_HOME";
        public const string FolderName = "AutopilotExport";

        /// <summary>Where the master keys of the non-Windows secret protection live, outside every state folder.</summary>
        public const string KeyHomeVariable = "AUTOPILOTEXPORT_KEY_HOME";

        /// <param name="path">The state folder.</param>
        /// <param name="keyFolder">The folder of the master keys; null: <see cref="ResolveKeyFolder"/>.</param>
        public StateHome(string path, string? keyFolder = null)
        {
            if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("The state folder path is empty.", nameof(path));
            Path = System.IO.Path.GetFullPath(path);
            _keyFolder = string.IsNullOrWhiteSpace(keyFolder) ? null : System.IO.Path.GetFullPath(keyFolder!);
        }

        private string? _keyFolder;

        /// <summary>
        /// The owner-only folder of the master keys (non-Windows): <c>$env:AUTOPILOTEXPORT_KEY_HOME</c> when set; else
        /// <c>$XDG_CONFIG_HOME/AutopilotExport/keys</c> or <c>~/.config/AutopilotExport/keys</c>. Deliberately not in the
        /// state folder: a copy of the state folder alone (a backup, a shared or synced folder) cannot decrypt the keys.
        /// </summary>
        public static string ResolveKeyFolder()
        {
            var explicitFolder = Environment.GetEnvironmentVariable(KeyHomeVariable);
            if (!string.IsNullOrWhiteSpace(explicitFolder)) return explicitFolder!.Trim();
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                // Unused on Windows (DPAPI holds the key); a defined value keeps the property simple.
                var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
                return System.IO.Path.Combine(string.IsNullOrEmpty(local) ? System.IO.Path.GetTempPath() : local, FolderName + "Keys");
            }
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            if (!string.IsNullOrWhiteSpace(xdg) && System.IO.Path.IsPathRooted(xdg)) return System.IO.Path.Combine(xdg!, FolderName, "keys");
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
                throw new InvalidOperationException($"Cannot find the home folder; set ${KeyHomeVariable}.");
            return System.IO.Path.Combine(home!, ".config", FolderName, "keys");
        }

        /// <summary>The state folder for the current process environment (read anew on every call).</summary>
        public static StateHome Resolve() => new StateHome(ResolvePath());

        public static string ResolvePath()
        {
            var explicitHome = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(explicitHome)) return explicitHome!.Trim();

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
                if (string.IsNullOrEmpty(local)) local = Environment.GetEnvironmentVariable("LOCALAPPDATA") ?? "";
                if (string.IsNullOrEmpty(local))
                    throw new InvalidOperationException($"Cannot find the local application data folder; set ${EnvironmentVariable}.");
                return System.IO.Path.Combine(local, FolderName);
            }

            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            // The XDG spec says relative values are invalid and must be ignored.
            if (!string.IsNullOrWhiteSpace(xdg) && System.IO.Path.IsPathRooted(xdg)) return System.IO.Path.Combine(xdg!, FolderName);

            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
                throw new InvalidOperationException($"Cannot find the home folder; set ${EnvironmentVariable}.");
            return System.IO.Path.Combine(home!, ".local", "share", FolderName);
        }

        public string Path { get; }
        public string ConnectionsFile => System.IO.Path.Combine(Path, "connections.json");
        public string ExportsFile => System.IO.Path.Combine(Path, "exports.json");
        public string SecretsFolder => System.IO.Path.Combine(Path, "secrets");
        public string ReportsFolder => System.IO.Path.Combine(Path, "reports");
        /// <summary>The folder of <see cref="MasterKeyFile"/>.</summary>
        public string KeyFolder => _keyFolder ??= System.IO.Path.GetFullPath(ResolveKeyFolder());

        /// <summary>
        /// The master key of this state folder's non-Windows secret protection: owner-only, in <see cref="KeyFolder"/>,
        /// named after a hash of the state folder's full path (each state folder has its own key).
        /// </summary>
        public string MasterKeyFile => System.IO.Path.Combine(KeyFolder, "state-" + PathHash() + ".key");

        /// <summary>Where earlier versions kept the master key: inside the state folder. Moved to <see cref="MasterKeyFile"/> on first use.</summary>
        public string LegacyMasterKeyFile => System.IO.Path.Combine(Path, "protection.key");
        internal string LockFile => System.IO.Path.Combine(Path, ".lock");

        /// <summary>
        /// Checks the state folder before it is used (StrictModes: on Unix it must be yours and not writable by group or
        /// others; throws StateException UnsafeStatePermissions or StateFileUnreadable); false when it does not exist yet.
        /// </summary>
        public bool RequireTrusted() => StrictModes.RequireTrustedFolder(Path, "state folder");

        /// <summary>Creates the state folder if needed (owner-only, 0700, on Unix); an existing one must pass <see cref="RequireTrusted"/>.</summary>
        public string EnsureExists()
        {
            if (!RequireTrusted())
            {
                Directory.CreateDirectory(Path);
                UnixPermissions.Set(Path, UnixPermissions.OwnerOnlyDirectory);
            }
            return Path;
        }

        /// <summary>Creates a subfolder (secrets, reports) owner-only; an existing one must be trusted like the state folder.</summary>
        public string EnsureFolder(string folder)
        {
            EnsureExists();
            if (!StrictModes.RequireTrustedFolder(folder, "folder"))
            {
                Directory.CreateDirectory(folder);
            }
            UnixPermissions.Set(folder, UnixPermissions.OwnerOnlyDirectory);
            return folder;
        }

        public override string ToString() => Path;

        private string PathHash()
        {
            byte[] hash;
            using (var sha = System.Security.Cryptography.SHA256.Create()) hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(Path));
            var hex = new System.Text.StringBuilder(16);
            for (int i = 0; i < 8; i++) hex.Append(hash[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            return hex.ToString();
        }
    }
}
