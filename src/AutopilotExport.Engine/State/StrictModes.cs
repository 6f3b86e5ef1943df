using System;
using System.IO;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// Trust checks before state is used, as OpenSSH's StrictModes checks ~/.ssh: on Unix a state folder or file
    /// that another user owns, or that group or others may write, could have been replaced by someone else (a
    /// planted connections.json whose base URI receives the decrypted key), so it is refused with
    /// <see cref="StateErrorIds.UnsafeStatePermissions"/> and a message that says how to fix it. Files holding
    /// key material must also not be readable by group or others. Files owned by root are trusted (root can
    /// change anything anyway). The checks also turn "there is something odd at this path" (a folder, a link to
    /// nothing, a device) into <see cref="StateErrorIds.StateFileUnreadable"/> instead of "no saved items".
    /// On Windows the per-user profile's ACL does this job and only the file type is checked.
    /// </summary>
    public static class StrictModes
    {
        private const int GroupOrOtherWrite = 0x12; // 022
        private const int GroupOrOtherAny = 0x3F;   // 077

        /// <summary>Checks a folder when it exists; false when it does not.</summary>
        public static bool RequireTrustedFolder(string path, string what)
        {
            if (!UnixPermissions.IsUnix)
            {
                if (File.Exists(path)) throw Unreadable(path, what, "it is a file, not a folder");
                return Directory.Exists(path);
            }
            var status = StatOrNull(path, followLink: true, what);
            if (status == null)
            {
                var link = StatOrNull(path, followLink: false, what);
                if (link == null) return false;
                // Something appeared between the two looks (another thread or process creating the folder): look again.
                status = StatOrNull(path, followLink: true, what);
                if (status == null) throw Unreadable(path, what, "it is a symbolic link to something that does not exist");
            }
            var s = status.Value;
            if (!s.IsDirectory) throw Unreadable(path, what, "it is not a folder");
            RequireOwner(path, what, s, isFolder: true);
            if ((s.Permissions & GroupOrOtherWrite) != 0)
                throw Unsafe(path, $"The {what} '{path}' can be written by {Who(s.Permissions)} (mode {s.OctalPermissions}), so its files could have been replaced by someone else. " +
                    $"Fix it with: chmod 700 '{path}'.");
            return true;
        }

        /// <summary>
        /// Checks a file when something is at the path; false when nothing is. <paramref name="secret"/>: it holds key
        /// material, so it must not be readable by group or others either.
        /// </summary>
        public static bool RequireTrustedFile(string path, string what, bool secret)
        {
            if (!UnixPermissions.IsUnix)
            {
                if (Directory.Exists(path)) throw Unreadable(path, what, "it is a folder, not a file");
                return File.Exists(path);
            }
            var link = StatOrNull(path, followLink: false, what);
            if (link == null) return false;
            var status = link.Value;
            if (status.IsSymbolicLink)
            {
                var target = StatOrNull(path, followLink: true, what);
                if (target == null) throw Unreadable(path, what, "it is a symbolic link to a file that does not exist");
                status = target.Value;
            }
            if (status.IsDirectory) throw Unreadable(path, what, "it is a folder, not a file");
            if (!status.IsRegularFile) throw Unreadable(path, what, "it is not a regular file (a device, a pipe or a socket)");
            RequireOwner(path, what, status, isFolder: false);
            int forbidden = secret ? GroupOrOtherAny : GroupOrOtherWrite;
            if ((status.Permissions & forbidden) != 0)
            {
                var why = secret
                    ? $"can be {((status.Permissions & GroupOrOtherWrite) != 0 ? "written" : "read")} by {Who(status.Permissions)} (mode {status.OctalPermissions}), and it holds key material"
                    : $"can be written by {Who(status.Permissions)} (mode {status.OctalPermissions}), so someone else could have replaced its content";
                throw Unsafe(path, $"The {what} '{path}' {why}. Fix it with: chmod 600 '{path}'.");
            }
            return true;
        }

        private static void RequireOwner(string path, string what, UnixFileStatus s, bool isFolder)
        {
            var me = UnixPermissions.EffectiveUserId();
            if (s.OwnerId == me || s.OwnerId == 0) return;
            throw Unsafe(path, $"The {what} '{path}' is owned by user id {s.OwnerId}, not by you (user id {me}): another user could have put it there. " +
                $"Use a {(isFolder ? "folder" : "file")} of your own, or if it is yours, fix it with: chown {me} '{path}'.");
        }

        private static UnixFileStatus? StatOrNull(string path, bool followLink, string what)
        {
            try
            {
                return UnixPermissions.Stat(path, followLink);
            }
            catch (PlatformNotSupportedException)
            {
                // No native shim (not seen on any .NET Core runtime): fall back to what .NET can tell.
                if (Directory.Exists(path)) return new UnixFileStatus(0x4000 | 0x1C0, UnixPermissions.EffectiveUserId());
                if (File.Exists(path)) return new UnixFileStatus(0x8000 | 0x180, UnixPermissions.EffectiveUserId());
                return null;
            }
            catch (IOException ex)
            {
                throw Unreadable(path, what, ex.Message, ex);
            }
        }

        private static string Who(int permissions) =>
            (permissions & 0x10) != 0 || (permissions & 0x20) != 0
                ? ((permissions & 0x02) != 0 || (permissions & 0x04) != 0 ? "its group and other users" : "its group")
                : "other users";

        private static StateException Unsafe(string path, string message) =>
            new StateException(StateErrorIds.UnsafeStatePermissions, message + " AutopilotExport refuses to use it until then.", path);

        internal static StateException Unreadable(string path, string what, string why, Exception? inner = null) =>
            new StateException(StateErrorIds.StateFileUnreadable,
                $"The {what} '{path}' cannot be read: {why}. Move it away or fix it (for a state file, its saved items are lost when it is moved away).", path, inner);
    }
}
