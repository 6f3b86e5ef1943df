using System;

namespace AutopilotExport
{
    /// <summary>The outcome of one Start-AutopilotExport run (also in $global:AutopilotLastExportResult).</summary>
    public sealed class AutopilotExportResult
    {
        public string Export { get; set; } = "";
        public string Connection { get; set; } = "";
        public string[] Segments { get; set; } = Array.Empty<string>();
        /// <summary>"Succeeded", "CompletedWithErrors", "Failed" (stopped, or could not start: then Received is 0),
        /// "Cancelled" or "NoInput" (no row came in).</summary>
        public string Status { get; set; } = "";
        public long Received { get; set; }
        public long Exported { get; set; }
        /// <summary>Profiles not sent because the export's sync record shows the API already holds them exactly so (incremental runs).</summary>
        public long Unchanged { get; set; }
        /// <summary>Contacts Mirror took off a segment's list (they left the segment); never deleted from the account.</summary>
        public long Removed { get; set; }
        public long Invalid { get; set; }
        public long Duplicate { get; set; }
        public long Failed { get; set; }
        public long Batches { get; set; }
        public long Retries { get; set; }
        public long Throttled { get; set; }
        public TimeSpan Duration { get; set; }
        public DateTimeOffset StartTime { get; set; }
        public string? ReportPath { get; set; }
        /// <summary>False when the row report could not be written to the end (a full disk); the counts still hold.</summary>
        public bool ReportComplete { get; set; }
        public AutopilotSegmentResult[] SegmentDetails { get; set; } = Array.Empty<AutopilotSegmentResult>();
        /// <summary>Why the run as a whole stopped or could not start (Unauthorized, ServiceUnavailable, RejectedForEveryRow,
        /// ExportNotFound, ...): the same id as the error record's FullyQualifiedErrorId; null when the run went to the end.</summary>
        public string? ErrorId { get; set; }
        public string? ErrorMessage { get; set; }

        public override string ToString() => $"{Export}: {Status} ({Exported} of {Received} exported)";
    }

    /// <summary>One segment's Autopilot list and its counts.</summary>
    public sealed class AutopilotSegmentResult
    {
        public string Segment { get; set; } = "";
        public string? ListId { get; set; }
        public bool ListCreated { get; set; }
        public long Profiles { get; set; }
        public long Exported { get; set; }

        public override string ToString() => $"{Segment}: {Exported}/{Profiles}";
    }
}
