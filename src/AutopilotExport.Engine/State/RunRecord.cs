using System;
using System.Collections.Generic;

namespace AutopilotExport.Engine.State
{
    /// <summary>How a run of a saved export ended (or that it has not: <see cref="Running"/>).</summary>
    public enum RunStatus
    {
        /// <summary>Started and not completed; its process is alive (else a reader reports <see cref="Interrupted"/>).</summary>
        Running,
        Succeeded,
        CompletedWithErrors,
        Failed,
        Cancelled,
        /// <summary>The process that ran it ended without completing the record (killed, crashed, power loss).</summary>
        Interrupted,
        /// <summary>No row came in (an empty file, a forgotten pipe): nothing was sent. Added last: records store the name.</summary>
        NoInput,
    }

    /// <summary>The counts of one run. Received = Exported + Unchanged + Invalid + Duplicate + Failed (+ rows still in flight).</summary>
    public sealed class RunCounts
    {
        public long Received { get; set; }
        public long Exported { get; set; }
        /// <summary>Contacts the sync record showed the API already holds exactly as mapped: not sent (incremental runs).</summary>
        public long Unchanged { get; set; }
        /// <summary>List memberships taken away (Mirror mode).</summary>
        public long Removed { get; set; }
        public long Invalid { get; set; }
        public long Duplicate { get; set; }
        public long Failed { get; set; }
        public long Batches { get; set; }
        public long Retries { get; set; }
        public long Throttled { get; set; }

        public RunCounts Clone() => (RunCounts)MemberwiseClone();
    }

    /// <summary>What the run knows when it starts: <see cref="RunHistoryStore.Begin"/>.</summary>
    public sealed class RunStart
    {
        public string Export { get; set; } = "";
        public string Connection { get; set; } = "";
        public IReadOnlyList<string> Segments { get; set; } = Array.Empty<string>();
        /// <summary>Upsert or Mirror.</summary>
        public string SyncMode { get; set; } = "Upsert";
        /// <summary>True when the run sends everything (-Full), ignoring the sync record.</summary>
        public bool Full { get; set; }
        public string? ReportPath { get; set; }
        /// <summary>How many runs of this export to keep (with their reports); null: the store's default.</summary>
        public int? KeepRuns { get; set; }
    }

    /// <summary>How a run ended: <see cref="RunHistoryStore.Complete"/>.</summary>
    public sealed class RunOutcome
    {
        public RunStatus Status { get; set; }
        public RunCounts Counts { get; set; } = new RunCounts();
        /// <summary>Null: keep the path given at the start.</summary>
        public string? ReportPath { get; set; }
        /// <summary>The error id of a whole-run failure (Unauthorized, ServiceUnavailable, ...), never holding a secret.</summary>
        public string? ErrorId { get; set; }
        public string? Message { get; set; }
    }

    /// <summary>One run of a saved export, as kept in history/&lt;export&gt;.json.</summary>
    public sealed class RunRecord
    {
        /// <summary>Unique and sortable: yyyyMMddHHmmss (UTC) plus 8 random hex digits.</summary>
        public string Id { get; set; } = "";
        public string Export { get; set; } = "";
        public string Connection { get; set; } = "";
        public DateTimeOffset StartedAt { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        public RunStatus Status { get; set; }
        public RunCounts Counts { get; set; } = new RunCounts();
        public List<string> Segments { get; set; } = new List<string>();
        public string SyncMode { get; set; } = "Upsert";
        public bool Full { get; set; }
        public string? ReportPath { get; set; }
        public string? ErrorId { get; set; }
        public string? Message { get; set; }
        /// <summary>The process that ran it, to tell a run still going from one whose process died (see <see cref="RunHistoryStore"/>).</summary>
        public int ProcessId { get; set; }
        public DateTimeOffset? ProcessStartedAt { get; set; }
        public string? MachineName { get; set; }

        public RunRecord Clone()
        {
            var c = (RunRecord)MemberwiseClone();
            c.Counts = (Counts ?? new RunCounts()).Clone();
            c.Segments = new List<string>(Segments ?? new List<string>());
            return c;
        }

        public override string ToString() => $"{Export} {Id} {Status}";
    }

    internal sealed class RunHistoryDocument
    {
        public int Version { get; set; } = 1;
        public string Export { get; set; } = "";
        public List<RunRecord> Runs { get; set; } = new List<RunRecord>();
    }
}
