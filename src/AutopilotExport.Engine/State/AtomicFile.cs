using System;
using System.IO;
using System.Text;
using System.Threading;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// Whole-file writes that never leave a half-written file: the content goes to a temporary file in the same
    /// folder (same volume, so the rename is atomic), is flushed to disk, and then replaces the target
    /// (File.Replace when it exists, else File.Move). For owner-only files the mode (0600) is set on the empty
    /// temporary file, before any content is written.
    /// </summary>
    public static class AtomicFile
    {
        internal const string TempSuffix = ".tmp";

        public static void WriteAllText(string path, string text, bool ownerOnly) =>
            WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text), ownerOnly);

        public static void WriteAllBytes(string path, byte[] content, bool ownerOnly)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            if (content == null) throw new ArgumentNullException(nameof(content));
            var full = Path.GetFullPath(path);
            var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException("The path has no folder.", nameof(path));
            var temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + TempSuffix);
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
                {
                    if (ownerOnly) UnixPermissions.Set(temp, UnixPermissions.OwnerOnlyFile);
                    stream.Write(content, 0, content.Length);
                    stream.Flush(flushToDisk: true);
                }
                ReplaceWithRetry(temp, full);
            }
            finally
            {
                try { if (File.Exists(temp)) File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        /// <summary>
        /// Deletes the temporary files an interrupted write left in <paramref name="folder"/> (".name.[12 hex].tmp").
        /// Call only while no write can be running there (under the state lock).
        /// </summary>
        public static void RemoveLeftovers(string folder)
        {
            string[] candidates;
            try
            {
                if (!Directory.Exists(folder)) return;
                candidates = Directory.GetFiles(folder, ".*" + TempSuffix);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return;
            }
            foreach (var file in candidates)
            {
                if (!LeftoverName.IsMatch(Path.GetFileName(file))) continue;
                try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        private static readonly System.Text.RegularExpressions.Regex LeftoverName =
            new System.Text.RegularExpressions.Regex(@"^\..+\.[0-9a-f]{12}\.tmp$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

        private static void ReplaceWithRetry(string temp, string target)
        {
            // A virus scanner or an indexer may hold the target for a moment on Windows: a few short retries.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    if (File.Exists(target))
                    {
                        File.Replace(temp, target, destinationBackupFileName: null, ignoreMetadataErrors: true);
                    }
                    else
                    {
                        try
                        {
                            File.Move(temp, target);
                        }
                        catch (IOException) when (File.Exists(target) && File.Exists(temp))
                        {
                            // Someone created the target meanwhile: replace it instead.
                            File.Replace(temp, target, destinationBackupFileName: null, ignoreMetadataErrors: true);
                        }
                    }
                    return;
                }
                catch (Exception ex) when ((ex is IOException || ex is UnauthorizedAccessException) && attempt < 5 && File.Exists(temp))
                {
                    Thread.Sleep(20 * attempt);
                }
            }
        }
    }
}
