using System;

namespace AutopilotExport
{
    /// <summary>A saved export: where profiles go and how they are matched. Saving does not run it.</summary>
    public sealed class AutopilotExportDefinition
    {
        public string Name { get; set; } = "";
        public string Connection { get; set; } = "";
        public string[] Segments { get; set; } = Array.Empty<string>();
        public string? SegmentProperty { get; set; }
        public int MaxProfiles { get; set; }
        /// <summary>Null: common property names are matched automatically (Email/EmailAddress/Mail/UserPrincipalName, FirstName/GivenName, LastName/Surname/sn).</summary>
        public AutopilotFieldMap? FieldMap { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public DateTimeOffset ModifiedAt { get; set; }
        public DateTimeOffset? LastRunAt { get; set; }
        public string? LastRunStatus { get; set; }
        /// <summary>Null: the connection's pace (Set-AutopilotExport -RequestsPerSecond).</summary>
        public double? RequestsPerSecond { get; set; }
        /// <summary>Null: Start-AutopilotExport's default.</summary>
        public int? Concurrency { get; set; }
        /// <summary>Upsert (default) or Mirror.</summary>
        public string SyncMode { get; set; } = "Upsert";
        public int MaxRemovalPercent { get; set; }
        /// <summary>How many runs Get-AutopilotExportRun keeps for this export.</summary>
        public int KeepRuns { get; set; }

        public override string ToString() => Name;
    }
}
