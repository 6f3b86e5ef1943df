using System;

namespace AutopilotExport
{
    /// <summary>One run of a saved export from the run history (Get-AutopilotExportRun).</summary>
    public sealed class AutopilotExportRun
    {
        public string Id { get; set; } = "";
        public string Export { get; set; } = "";
        public string Connection { get; set; } = "";
        /// <summary>Running, Succeeded, CompletedWithErrors, Failed, Cancelled or Interrupted (the process died during the run).</summary>
        public string Status { get; set; } = "";
        public DateTimeOffset StartTime { get; set; }
        /// <summary>Null while Running, and for an Interrupted run.</summary>
        public DateTimeOffset? EndTime { get; set; }
        public TimeSpan? Duration { get; set; }
        public long Received { get; set; }
        public long Exported { get; set; }
        public long Unchanged { get; set; }
        public long Removed { get; set; }
        public long Invalid { get; set; }
        public long Duplicate { get; set; }
        public long Failed { get; set; }
        public long Batches { get; set; }
        public long Retries { get; set; }
        public long Throttled { get; set; }
        public string[] Segments { get; set; } = Array.Empty<string>();
        public string SyncMode { get; set; } = "Upsert";
        /// <summary>True when the run sent everything, ignoring the sync record.</summary>
        public bool Full { get; set; }
        public string? ReportPath { get; set; }
        public string? ErrorId { get; set; }
        public string? Message { get; set; }
        public int ProcessId { get; set; }
        public string? MachineName { get; set; }

        public override string ToString() => $"{Export} {StartTime:yyyy-MM-dd HH:mm}: {Status}";
    }
}
