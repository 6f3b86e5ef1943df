using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Serialization;
using AutopilotExport.Engine.Mapping;

namespace AutopilotExport.Engine.State
{
    /// <summary>Where a connection's API key comes from at each use.</summary>
    public enum KeySource
    {
        /// <summary>Encrypted in the state folder (secrets/&lt;name&gt;.bin).</summary>
        Stored,
        /// <summary>Read from $env:AUTOPILOT_API_KEY whenever the connection is used; nothing stored.</summary>
        Environment,
    }

    /// <summary>A saved connection as stored in connections.json. Never holds the key itself.</summary>
    public sealed class ConnectionRecord
    {
        public string Name { get; set; } = "";
        public string BaseUri { get; set; } = "";
        public KeySource KeySource { get; set; }
        /// <summary>Description of how the stored key is protected; null for KeySource Environment.</summary>
        public string? KeyProtection { get; set; }
        /// <summary>File name (inside secrets/) of the protected key; null for KeySource Environment.</summary>
        public string? SecretFile { get; set; }
        public double RequestsPerSecond { get; set; } = 5;
        public DateTimeOffset ConsentedAt { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public string? InstanceId { get; set; }
        public DateTimeOffset? LastValidatedAt { get; set; }

        public ConnectionRecord Clone() => (ConnectionRecord)MemberwiseClone();

        public override string ToString() => $"{Name} ({BaseUri}, key {KeySource})";
    }

    /// <summary>One custom field of a stored field map.</summary>
    public sealed class CustomFieldRecord
    {
        public string Property { get; set; } = "";
        /// <summary>auto, string, integer, float, boolean or date.</summary>
        public string Type { get; set; } = "auto";
    }

    /// <summary>A field map as stored: Email, Standard (field -> property), Custom (name -> {Property, Type}).</summary>
    public sealed class FieldMapRecord
    {
        public string? Email { get; set; }
        public Dictionary<string, string> Standard { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, CustomFieldRecord> Custom { get; set; } = new Dictionary<string, CustomFieldRecord>(StringComparer.OrdinalIgnoreCase);

        public static FieldMapRecord FromFieldMap(FieldMap map)
        {
            if (map == null) throw new ArgumentNullException(nameof(map));
            var record = new FieldMapRecord { Email = map.Email };
            foreach (var kv in map.Standard) record.Standard[kv.Key] = kv.Value;
            foreach (var kv in map.Custom)
                record.Custom[kv.Key] = new CustomFieldRecord { Property = kv.Value.Property, Type = kv.Value.Type.ToString().ToLowerInvariant() };
            return record;
        }

        public FieldMap ToFieldMap()
        {
            var map = new FieldMap { Email = Email };
            foreach (var kv in Standard ?? new Dictionary<string, string>()) map.Standard[kv.Key] = kv.Value;
            foreach (var kv in Custom ?? new Dictionary<string, CustomFieldRecord>())
                map.Custom[kv.Key] = new CustomFieldMapping(kv.Value.Property, FieldMap.ParseType(kv.Key, kv.Value.Type));
            return map;
        }

        internal void Normalize()
        {
            Standard = new Dictionary<string, string>(Standard ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
            Custom = new Dictionary<string, CustomFieldRecord>(Custom ?? new Dictionary<string, CustomFieldRecord>(), StringComparer.OrdinalIgnoreCase);
        }
    }

    /// <summary>A saved export as stored in exports.json.</summary>
    public sealed class ExportRecord
    {
        public string Name { get; set; } = "";
        public string Connection { get; set; } = "";
        public List<string> Segments { get; set; } = new List<string>();
        public string? SegmentProperty { get; set; }
        public int MaxProfiles { get; set; } = 100_000;
        /// <summary>Null: match common property names automatically.</summary>
        public FieldMapRecord? FieldMap { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public DateTimeOffset ModifiedAt { get; set; }
        public DateTimeOffset? LastRunAt { get; set; }
        public string? LastRunStatus { get; set; }
        /// <summary>Null: the connection's pace.</summary>
        public double? RequestsPerSecond { get; set; }
        /// <summary>Null: the run's default.</summary>
        public int? Concurrency { get; set; }
        /// <summary>Upsert (null, the default) or Mirror.</summary>
        public string? SyncMode { get; set; }
        /// <summary>Mirror's guard rail; null: <see cref="ExportSettings.DefaultMaxRemovalPercent"/>.</summary>
        public int? MaxRemovalPercent { get; set; }
        /// <summary>Runs kept in the history; null: <see cref="RunHistoryStore.DefaultKeepRuns"/>.</summary>
        public int? KeepRuns { get; set; }

        public string EffectiveSyncMode => ExportSettings.NormalizeSyncMode(SyncMode) ?? ExportSettings.Upsert;
        public int EffectiveMaxRemovalPercent => MaxRemovalPercent ?? ExportSettings.DefaultMaxRemovalPercent;
        public int EffectiveKeepRuns => KeepRuns ?? RunHistoryStore.DefaultKeepRuns;

        /// <summary>Copies the settings that only Set-AutopilotExport changes (New-AutopilotExport -Force keeps them).</summary>
        public void KeepSettingsOf(ExportRecord existing)
        {
            RequestsPerSecond ??= existing.RequestsPerSecond;
            Concurrency ??= existing.Concurrency;
            SyncMode ??= existing.SyncMode;
            MaxRemovalPercent ??= existing.MaxRemovalPercent;
            KeepRuns ??= existing.KeepRuns;
        }

        public ExportRecord Clone()
        {
            var c = (ExportRecord)MemberwiseClone();
            c.Segments = new List<string>(Segments ?? new List<string>());
            if (FieldMap != null)
            {
                c.FieldMap = new FieldMapRecord
                {
                    Email = FieldMap.Email,
                    Standard = new Dictionary<string, string>(FieldMap.Standard, StringComparer.OrdinalIgnoreCase),
                    Custom = FieldMap.Custom.ToDictionary(kv => kv.Key,
                        kv => new CustomFieldRecord { Property = kv.Value.Property, Type = kv.Value.Type }, StringComparer.OrdinalIgnoreCase),
                };
            }
            return c;
        }

        public override string ToString() => $"{Name} -> {Connection} [{string.Join(", ", Segments ?? new List<string>())}]";
    }

    /// <summary>The allowed values and defaults of a saved export's settings (one place for the cmdlets and the store's checks).</summary>
    public static class ExportSettings
    {
        public const string Upsert = "Upsert";
        public const string Mirror = "Mirror";
        public const int DefaultMaxRemovalPercent = 20;
        public const int MaxConcurrency = 16;
        public const double MaxRequestsPerSecond = 1000;

        /// <summary>Upsert or Mirror in their canonical spelling; null for anything else.</summary>
        public static string? NormalizeSyncMode(string? mode)
        {
            if (string.Equals(mode?.Trim(), Upsert, StringComparison.OrdinalIgnoreCase)) return Upsert;
            if (string.Equals(mode?.Trim(), Mirror, StringComparison.OrdinalIgnoreCase)) return Mirror;
            return null;
        }

        /// <summary>Why a stored export's settings are not ones the module could have saved; null when they are.</summary>
        public static string? Problem(ExportRecord e)
        {
            if (e.MaxProfiles < 1) return $"maxProfiles {e.MaxProfiles} is below 1";
            if (e.RequestsPerSecond is double rps && !(rps >= 0 && rps <= MaxRequestsPerSecond)) return $"requestsPerSecond {rps.ToString(System.Globalization.CultureInfo.InvariantCulture)} is outside 0 to {MaxRequestsPerSecond}";
            if (e.Concurrency is int c && (c < 1 || c > MaxConcurrency)) return $"concurrency {c} is outside 1 to {MaxConcurrency}";
            if (e.SyncMode != null && NormalizeSyncMode(e.SyncMode) == null) return $"syncMode '{e.SyncMode}' is neither {Upsert} nor {Mirror}";
            if (e.MaxRemovalPercent is int p && (p < 0 || p > 100)) return $"maxRemovalPercent {p} is outside 0 to 100";
            if (e.KeepRuns is int k && (k < 1 || k > RunHistoryStore.MaxKeepRuns)) return $"keepRuns {k} is outside 1 to {RunHistoryStore.MaxKeepRuns}";
            return null;
        }
    }

    internal sealed class ConnectionsDocument
    {
        public int Version { get; set; } = 1;
        public List<ConnectionRecord> Connections { get; set; } = new List<ConnectionRecord>();
    }

    internal sealed class ExportsDocument
    {
        public int Version { get; set; } = 1;
        public List<ExportRecord> Exports { get; set; } = new List<ExportRecord>();
    }

    [JsonSourceGenerationOptions(
        WriteIndented = true,
        PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UseStringEnumConverter = true,
        ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
        AllowTrailingCommas = true)]
    [JsonSerializable(typeof(ConnectionsDocument))]
    [JsonSerializable(typeof(ExportsDocument))]
    [JsonSerializable(typeof(RunHistoryDocument))]
    internal sealed partial class StateJsonContext : JsonSerializerContext
    {
    }
}
