using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// What a sync record's knowledge depends on. <see cref="Connection"/>: the account (base URI and instance id) —
    /// another account knows none of the contacts, so a change clears the record. <see cref="FieldMap"/>: which
    /// input feeds which field — a change makes every stored payload hash unknown, so every contact is sent once
    /// more, while the list memberships the export made are kept (Mirror may still take them away).
    /// </summary>
    public sealed class SyncFingerprint : IEquatable<SyncFingerprint>
    {
        public SyncFingerprint(string connection, string fieldMap)
        {
            Connection = connection ?? "";
            FieldMap = fieldMap ?? "";
        }

        public string Connection { get; }
        public string FieldMap { get; }

        /// <summary>The fingerprint of a saved connection and a field map (null: automatic matching).</summary>
        public static SyncFingerprint Of(ConnectionRecord connection, FieldMapRecord? map)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            var account = (connection.BaseUri ?? "").Trim().TrimEnd('/').ToLowerInvariant() + "\n" + (connection.InstanceId ?? "");
            return new SyncFingerprint(Hash(account), Hash(Canonical(map)));
        }

        /// <summary>A stable text of the map: keys case-folded and sorted, so an equal map saved again hashes the same.</summary>
        private static string Canonical(FieldMapRecord? map)
        {
            if (map == null) return "auto";
            var sb = new StringBuilder("email=").Append(map.Email ?? "").Append('\n');
            foreach (var kv in (map.Standard ?? new System.Collections.Generic.Dictionary<string, string>()).OrderBy(kv => kv.Key.ToLowerInvariant(), StringComparer.Ordinal))
                sb.Append("std:").Append(kv.Key.ToLowerInvariant()).Append('=').Append(kv.Value).Append('\n');
            foreach (var kv in (map.Custom ?? new System.Collections.Generic.Dictionary<string, CustomFieldRecord>()).OrderBy(kv => kv.Key.ToLowerInvariant(), StringComparer.Ordinal))
                sb.Append("custom:").Append(kv.Key.ToLowerInvariant()).Append('=').Append(kv.Value?.Property).Append(':').Append((kv.Value?.Type ?? "auto").ToLowerInvariant()).Append('\n');
            return sb.ToString();
        }

        private static string Hash(string text)
        {
            using (var sha = SHA256.Create())
            {
                var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
                var hex = new StringBuilder(32);
                for (int i = 0; i < 16; i++) hex.Append(hash[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                return hex.ToString();
            }
        }

        public bool Equals(SyncFingerprint? other) => other != null && other.Connection == Connection && other.FieldMap == FieldMap;
        public override bool Equals(object? obj) => Equals(obj as SyncFingerprint);
        public override int GetHashCode() => Connection.GetHashCode() ^ FieldMap.GetHashCode();
        public override string ToString() => $"connection {Connection.Substring(0, Math.Min(8, Connection.Length))}, field map {FieldMap.Substring(0, Math.Min(8, FieldMap.Length))}";
    }
}
