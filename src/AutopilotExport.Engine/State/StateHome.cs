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

        public StateHome(string path)
        {
            if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("The state folder path is empty.", nameof(path));
            Path = System.IO.Path.GetFullPath(path);
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
        /// <summary>The master key of the non-Windows secret protection (owner-only, never inside secrets/).</summary>
        public string MasterKeyFile => System.IO.Path.Combine(Path, "protection.key");
        internal string LockFile => System.IO.Path.Combine(Path, ".lock");

        /// <summary>Creates the state folder if needed; a folder this creates is made owner-only (0700) on Unix.</summary>
        public string EnsureExists()
        {
            if (!Directory.Exists(Path))
            {
                Directory.CreateDirectory(Path);
                UnixPermissions.Set(Path, UnixPermissions.OwnerOnlyDirectory);
            }
            return Path;
        }

        /// <summary>Creates a subfolder (secrets, reports) owner-only.</summary>
        public string EnsureFolder(string folder)
        {
            EnsureExists();
            if (!Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
            }
            UnixPermissions.Set(folder, UnixPermissions.OwnerOnlyDirectory);
            return folder;
        }

        public override string ToString() => Path;
    }
}
