using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// Owner-only permissions on Unix. netstandard2.0 has no File.SetUnixFileMode, so this calls libc's chmod;
    /// when that cannot be loaded it falls back to File.SetUnixFileMode through reflection (present on .NET 7+,
    /// which is what PowerShell 7 runs on). On Windows it does nothing: the per-user profile folder's ACL
    /// already limits access to the user.
    /// </summary>
    public static class UnixPermissions
    {
        /// <summary>rwx for the owner only.</summary>
        public const int OwnerOnlyDirectory = 0x1C0; // 0700
        /// <summary>rw for the owner only.</summary>
        public const int OwnerOnlyFile = 0x180; // 0600

        public static bool IsUnix { get; } = !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
        private static extern int chmod_libc(string path, uint mode);

        [DllImport("libc.so.6", EntryPoint = "chmod", SetLastError = true)]
        private static extern int chmod_glibc(string path, uint mode);

        private static int _strategy; // 0 unknown, 1 libc, 2 libc.so.6, 3 reflection

        /// <summary>Sets the mode (e.g. 0600) on Unix; no-op on Windows. Throws IOException when it cannot.</summary>
        public static void Set(string path, int mode)
        {
            if (!IsUnix) return;
            if (TryChmod(path, mode, out var errno)) return;
            throw new IOException($"Could not set permissions {Convert.ToString(mode, 8)} on '{path}' (errno {errno}).");
        }

        private static bool TryChmod(string path, int mode, out int errno)
        {
            errno = 0;
            if (_strategy == 0 || _strategy == 1)
            {
                try
                {
                    if (chmod_libc(path, (uint)mode) == 0) { _strategy = 1; return true; }
                    errno = Marshal.GetLastWin32Error();
                    _strategy = 1;
                    return false;
                }
                catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException || ex is BadImageFormatException)
                {
                    _strategy = 2;
                }
            }
            if (_strategy == 2)
            {
                try
                {
                    if (chmod_glibc(path, (uint)mode) == 0) return true;
                    errno = Marshal.GetLastWin32Error();
                    return false;
                }
                catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException || ex is BadImageFormatException)
                {
                    _strategy = 3;
                }
            }
            return TrySetByReflection(path, mode);
        }

        private static bool TrySetByReflection(string path, int mode)
        {
            var modeType = Type.GetType("System.IO.UnixFileMode, System.Runtime", throwOnError: false)
                ?? typeof(File).Assembly.GetType("System.IO.UnixFileMode", throwOnError: false);
            if (modeType == null) return false;
            // File.SetUnixFileMode works for directories as well.
            var method = typeof(File).GetMethod("SetUnixFileMode", new[] { typeof(string), modeType });
            if (method == null) return false;
            try
            {
                method.Invoke(null, new[] { path, Enum.ToObject(modeType, mode) });
                return true;
            }
            catch (TargetInvocationException)
            {
                return false;
            }
        }
    }
}
