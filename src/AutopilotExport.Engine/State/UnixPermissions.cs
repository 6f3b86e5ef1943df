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

        [DllImport("libc", EntryPoint = "geteuid")]
        private static extern uint geteuid_libc();

        [DllImport("libc.so.6", EntryPoint = "geteuid")]
        private static extern uint geteuid_glibc();

        [DllImport("libc", EntryPoint = "umask")]
        private static extern uint umask_libc(uint mask);

        [DllImport("libc.so.6", EntryPoint = "umask")]
        private static extern uint umask_glibc(uint mask);

        // libc's struct stat differs by architecture and libc (and glibc < 2.33 exports no "stat" at all). The .NET
        // runtime's own native shim (System.Native, beside every .NET Core runtime) has one fixed layout on every
        // Unix; its first four fields (flags, mode, uid, gid) have not changed since .NET Core 2.0.
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        private static extern int SystemNativeStat(string path, out NativeFileStatus status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
        private static extern int SystemNativeLStat(string path, out NativeFileStatus status);

        [StructLayout(LayoutKind.Sequential)]
        private struct NativeFileStatus
        {
            public int Flags;
            public int Mode;
            public uint Uid;
            public uint Gid;
            // The rest (sizes, times, device, inode...): room to spare for any runtime's version of the struct.
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 240)]
            public byte[] Rest;
        }

        /// <summary>The effective user id of this process (Unix only).</summary>
        public static uint EffectiveUserId()
        {
            try { return geteuid_libc(); }
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException) { return geteuid_glibc(); }
        }

        /// <summary>
        /// Owner, type and mode of a path (<paramref name="followLink"/>: of the link's target), or null when it does
        /// not exist (or, for a link that is followed, when its target does not). Unix only; throws
        /// <see cref="PlatformNotSupportedException"/> when the runtime's native shim cannot be loaded.
        /// </summary>
        public static UnixFileStatus? Stat(string path, bool followLink)
        {
            if (!IsUnix) throw new PlatformNotSupportedException("Unix file status is only read on Unix.");
            int rc;
            NativeFileStatus status;
            try
            {
                rc = followLink ? SystemNativeStat(path, out status) : SystemNativeLStat(path, out status);
            }
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException || ex is BadImageFormatException)
            {
                throw new PlatformNotSupportedException("The .NET runtime's native shim (System.Native) is not available.", ex);
            }
            if (rc == 0) return new UnixFileStatus(status.Mode, status.Uid);
            var errno = Marshal.GetLastWin32Error();
            // ENOENT and ENOTDIR mean "nothing there" on Linux and macOS alike.
            if (errno == 2 || errno == 20) return null;
            throw new IOException($"Cannot read the status of '{path}' (errno {errno}).");
        }

        /// <summary>
        /// Runs <paramref name="create"/> with the process umask set to 077, so that a file it creates is owner-only
        /// from the first instant (a chmod afterwards leaves a moment in which another user may open it). No-op wrapper on Windows.
        /// </summary>
        public static T WithOwnerOnlyUmask<T>(Func<T> create)
        {
            if (!IsUnix) return create();
            lock (UmaskGate)
            {
                uint previous;
                try { previous = umask_libc(0x3F); }
                catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException)
                {
                    try { previous = umask_glibc(0x3F); }
                    catch (Exception ex2) when (ex2 is DllNotFoundException || ex2 is EntryPointNotFoundException) { return create(); }
                }
                try { return create(); }
                finally
                {
                    try { umask_libc(previous); }
                    catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException) { umask_glibc(previous); }
                }
            }
        }

        private static readonly object UmaskGate = new object();

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

    /// <summary>What StrictModes needs of a file's status: its type, permission bits and owner.</summary>
    public readonly struct UnixFileStatus
    {
        private const int TypeMask = 0xF000, DirectoryType = 0x4000, RegularType = 0x8000, LinkType = 0xA000;

        public UnixFileStatus(int mode, uint ownerId)
        {
            Mode = mode;
            OwnerId = ownerId;
        }

        /// <summary>st_mode: type and permission bits.</summary>
        public int Mode { get; }
        public uint OwnerId { get; }
        /// <summary>The permission bits only (e.g. 0600).</summary>
        public int Permissions => Mode & 0xFFF;
        public bool IsDirectory => (Mode & TypeMask) == DirectoryType;
        public bool IsRegularFile => (Mode & TypeMask) == RegularType;
        public bool IsSymbolicLink => (Mode & TypeMask) == LinkType;
        /// <summary>The permission bits as octal text ("0644").</summary>
        public string OctalPermissions => "0" + Convert.ToString(Permissions & 0x1FF, 8).PadLeft(3, '0');
    }
}
