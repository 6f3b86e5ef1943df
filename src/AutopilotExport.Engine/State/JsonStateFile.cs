using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AutopilotExport.Engine.State
{
    /// <summary>Reads and writes one JSON state document; a corrupt file is a clear error naming the file.</summary>
    internal static class JsonStateFile
    {
        public const int SupportedVersion = 1;

        public static T Read<T>(StateHome home, string path, JsonTypeInfo<T> type, Func<T> empty, Func<T, int> version) where T : class
        {
            var what = "state file";
            byte[] bytes;
            try
            {
                if (!home.RequireTrusted()) return empty();
                if (!StrictModes.RequireTrustedFile(path, what, secret: false)) return empty();
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException)
            {
                // Removed between the check and the read: the same as never saved.
                return empty();
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException || ex is IOException)
            {
                throw StrictModes.Unreadable(path, what, ex is UnauthorizedAccessException ? "access is denied" : ex.Message, ex);
            }
            // An empty file is not "no items": atomic writes never leave one, so something truncated it.
            if (bytes.Length == 0 || IsWhiteSpace(bytes)) throw Corrupt(path, "it is empty", null);

            T? document;
            try
            {
                document = JsonSerializer.Deserialize(bytes, type);
            }
            catch (JsonException ex)
            {
                throw Corrupt(path, $"it is not valid JSON ({ex.Message})", ex);
            }
            catch (NotSupportedException ex)
            {
                throw Corrupt(path, $"it does not have the expected shape ({ex.Message})", ex);
            }
            if (document == null) throw Corrupt(path, "it holds null", null);
            var v = version(document);
            if (v > SupportedVersion)
                throw new StateException(StateErrorIds.StateFileCorrupt,
                    $"The state file '{path}' has version {v}, written by a newer AutopilotExport; this version reads version {SupportedVersion}. Update the module.", path);
            return document;
        }

        public static void Write<T>(StateHome home, string path, T document, JsonTypeInfo<T> type)
        {
            home.EnsureExists();
            var bytes = JsonSerializer.SerializeToUtf8Bytes(document, type);
            AtomicFile.WriteAllBytes(path, bytes, ownerOnly: true);
        }

        internal static StateException Corrupt(string path, string why, Exception? inner) =>
            new StateException(StateErrorIds.StateFileCorrupt,
                $"The state file '{path}' cannot be read: {why}. Fix the file, or move it away to start afresh (its saved items are then lost).",
                path, inner);

        private static bool IsWhiteSpace(byte[] bytes)
        {
            foreach (var b in bytes) if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r' && b != (byte)'\n') return false;
            return true;
        }
    }
}
