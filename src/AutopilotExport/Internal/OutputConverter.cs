using System;
using System.Collections.Specialized;
using System.Linq;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Engine/state records to the module's output types.</summary>
    internal static class OutputConverter
    {
        public static AutopilotConnection ToOutput(ConnectionRecord r) => new AutopilotConnection
        {
            Name = r.Name,
            // A connection edited on disk may carry user info: never show a password.
            BaseUri = BaseUriPolicy.Redact(r.BaseUri),
            KeySource = r.KeySource.ToString(),
            KeyProtection = r.KeySource == KeySource.Environment
                ? $"Not stored (read from ${ConnectionStore.ApiKeyEnvironmentVariable})"
                : r.KeyProtection ?? "",
            RequestsPerSecond = r.RequestsPerSecond,
            ConsentedAt = r.ConsentedAt,
            CreatedAt = r.CreatedAt,
            InstanceId = r.InstanceId,
            LastValidatedAt = r.LastValidatedAt,
        };

        public static AutopilotExportDefinition ToOutput(ExportRecord r) => new AutopilotExportDefinition
        {
            Name = r.Name,
            Connection = r.Connection,
            Segments = (r.Segments ?? new System.Collections.Generic.List<string>()).ToArray(),
            SegmentProperty = r.SegmentProperty,
            MaxProfiles = r.MaxProfiles,
            FieldMap = r.FieldMap == null ? null : ToOutput(r.FieldMap.ToFieldMap()),
            CreatedAt = r.CreatedAt,
            ModifiedAt = r.ModifiedAt,
            LastRunAt = r.LastRunAt,
            LastRunStatus = r.LastRunStatus,
            RequestsPerSecond = r.RequestsPerSecond,
            Concurrency = r.Concurrency,
            SyncMode = r.EffectiveSyncMode,
            MaxRemovalPercent = r.EffectiveMaxRemovalPercent,
            KeepRuns = r.EffectiveKeepRuns,
        };

        public static AutopilotFieldMap ToOutput(FieldMap map)
        {
            // A stable order for display: standard fields in the API's order, custom fields by name.
            var standard = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in map.Standard.OrderBy(kv => IndexOfStandard(kv.Key)).ThenBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
                standard[kv.Key] = kv.Value;
            var custom = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in map.Custom.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
                custom[kv.Key] = $"{kv.Value.Property} ({kv.Value.Type.ToString().ToLowerInvariant()})";
            return new AutopilotFieldMap { Email = map.Email, Standard = standard, Custom = custom };
        }

        private static int IndexOfStandard(string name)
        {
            for (int i = 0; i < StandardFields.Names.Count; i++)
                if (string.Equals(StandardFields.Names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
            return int.MaxValue;
        }

        public static AutopilotExportResult ToOutput(ExportSummary s, string[] requestedSegments) => new AutopilotExportResult
        {
            Export = s.ExportName,
            Connection = s.ConnectionName,
            Segments = s.Segments != null && s.Segments.Count > 0 ? s.Segments.Select(x => x.Name).ToArray() : requestedSegments,
            Status = s.Status.ToString(),
            Received = s.Counters?.Received ?? 0,
            Exported = s.Counters?.Exported ?? 0,
            Unchanged = s.Counters?.Unchanged ?? 0,
            Removed = s.Counters?.Removed ?? 0,
            Invalid = s.Counters?.Invalid ?? 0,
            Duplicate = s.Counters?.Duplicate ?? 0,
            Failed = s.Counters?.Failed ?? 0,
            Batches = s.Counters?.Batches ?? 0,
            Retries = s.Counters?.Retries ?? 0,
            Throttled = s.Counters?.Throttled ?? 0,
            Duration = s.Duration,
            StartTime = s.StartedAt,
            ReportPath = s.ReportPath,
            ReportComplete = s.ReportPath != null && s.ReportComplete,
            SegmentDetails = (s.Segments ?? Array.Empty<SegmentSummary>()).Select(x => new AutopilotSegmentResult
            {
                Segment = x.Name,
                ListId = x.ListId,
                ListCreated = x.ListCreated,
                Profiles = x.Profiles,
                Exported = x.Exported,
            }).ToArray(),
            ErrorId = s.FatalErrorId,
            ErrorMessage = s.FatalMessage,
        };

        public static AutopilotExportRun ToOutput(RunRecord r) => new AutopilotExportRun
        {
            Id = r.Id,
            Export = r.Export,
            Connection = r.Connection,
            Status = r.Status.ToString(),
            StartTime = r.StartedAt,
            EndTime = r.EndedAt,
            Duration = r.EndedAt - r.StartedAt,
            Received = r.Counts.Received,
            Exported = r.Counts.Exported,
            Unchanged = r.Counts.Unchanged,
            Removed = r.Counts.Removed,
            Invalid = r.Counts.Invalid,
            Duplicate = r.Counts.Duplicate,
            Failed = r.Counts.Failed,
            Batches = r.Counts.Batches,
            Retries = r.Counts.Retries,
            Throttled = r.Counts.Throttled,
            Segments = r.Segments.ToArray(),
            SyncMode = r.SyncMode,
            Full = r.Full,
            ReportPath = r.ReportPath,
            ErrorId = r.ErrorId,
            Message = r.Message,
            ProcessId = r.ProcessId,
            MachineName = r.MachineName,
        };
    }
}
