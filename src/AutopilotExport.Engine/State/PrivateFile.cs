using System;
using System.IO;

namespace AutopilotExport.Engine.State
{
    /// <summary>Files that hold personal data (the row reports): created owner-only, never written through a planted link.</summary>
    public static class PrivateFile
    {
        /// <summary>
        /// Creates <paramref name="path"/> for writing, owner-only (0600) from the first instant on Unix. An existing
        /// regular file of the user is replaced (a report path given twice); a symbolic link, a folder or a file of
        /// another user at the path is refused with an <see cref="IOException"/>, so a link planted at a predictable
        /// report path cannot redirect the data (or truncate the file it points to). The create itself is exclusive
        /// (O_CREAT|O_EXCL, which never follows a link), so a link planted after the check fails the create too.
        /// </summary>
        public static FileStream CreateOwnerOnly(string path, int bufferSize)
        {
            var full = Path.GetFullPath(path);
            RemoveExistingFile(full);
            var stream = UnixPermissions.WithOwnerOnlyUmask(() => new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize));
            try
            {
                UnixPermissions.Set(full, UnixPermissions.OwnerOnlyFile);
            }
            catch (IOException)
            {
                stream.Dispose();
                throw;
            }
            return stream;
        }

        private static void RemoveExistingFile(string path)
        {
            if (UnixPermissions.IsUnix)
            {
                UnixFileStatus? status;
                try
                {
                    status = UnixPermissions.Stat(path, followLink: false);
                }
                catch (PlatformNotSupportedException)
                {
                    status = null;
                }
                if (status == null) return;
                var s = status.Value;
                if (s.IsSymbolicLink) throw new IOException($"'{path}' is a symbolic link; the report is never written through a link. Remove it or choose another path.");
                if (!s.IsRegularFile) throw new IOException($"'{path}' is not a regular file.");
                var me = UnixPermissions.EffectiveUserId();
                if (s.OwnerId != me) throw new IOException($"'{path}' belongs to user id {s.OwnerId}, not to you; it is not replaced.");
            }
            else
            {
                if (Directory.Exists(path)) throw new IOException($"'{path}' is a folder.");
                if (!File.Exists(path)) return;
                if ((File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0)
                    throw new IOException($"'{path}' is a link; the report is never written through a link. Remove it or choose another path.");
            }
            File.Delete(path);
        }
    }
}
