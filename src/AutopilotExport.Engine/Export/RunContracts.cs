using System;
using System.Collections.Generic;
using System.Threading;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Engine.Export
{
    /// <summary>What one run does. Plain values: the cmdlet fills it from its parameters and the saved export.</summary>
    public sealed class ExportRunOptions
    {
        public string ExportName { get; set; } = "(ad hoc)";
        public string ConnectionName { get; set; } = "";
        /// <summary>Lists every row joins, unless <see cref="SegmentProperty"/> names a row's own segment.</summary>
        public IReadOnlyList<string> Segments { get; set; } = Array.Empty<string>();
        /// <summary>Input property that holds the row's segment (list name); rows without one fall back to <see cref="Segments"/>.</summary>
        public string? SegmentProperty { get; set; }
        /// <summary>Null: match common property names automatically.</summary>
        public FieldMap? FieldMap { get; set; }
        public int MaxProfiles { get; set; } = 100_000;
        public int BatchSize { get; set; } = 100;
        /// <summary>Largest request body; 0: the destination's safe bound (2 MB for Autopilot). A batch closes
        /// when the next contact would take it over, whatever its count.</summary>
        public int MaxBatchBytes { get; set; }
        public int Concurrency { get; set; } = 4;
        /// <summary>Client-side pace; 0 turns pacing off (for emulators run without a limit).</summary>
        public double RequestsPerSecond { get; set; } = 5;
        public int MaxRetries { get; set; } = 8;
        /// <summary>First backoff step when the API gave no Retry-After; doubles per attempt, with jitter, up to 30 s.</summary>
        public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
        /// <summary>Where the row-level report (JSON lines) goes; null: no report file.</summary>
        public string? ReportPath { get; set; }
        /// <summary>WhatIf: map, validate and count, send nothing (only reads the existing list names).</summary>
        public bool DryRun { get; set; }
        /// <summary>A saved export's open sync record: contacts it shows unchanged are not sent, and confirmed batches
        /// are recorded in it. Null (ad hoc runs): everything is sent and nothing recorded. The caller owns it.</summary>
        public SyncRecord? Sync { get; set; }
        /// <summary>Send every profile even when <see cref="Sync"/> shows it unchanged (still recorded).</summary>
        public bool Full { get; set; }
        /// <summary>After a run that read its whole input, take the contacts this export put on a segment's list
        /// and that are absent from the segment now off that list (needs <see cref="Sync"/>).</summary>
        public bool Mirror { get; set; }
        /// <summary>Mirror's guard rail: refuse to remove more than this share (percent) of the export's contacts on a list.</summary>
        public int MaxRemovalPercent { get; set; } = ExportSettings.DefaultMaxRemovalPercent;
        /// <summary>Mirror: remove even over <see cref="MaxRemovalPercent"/>.</summary>
        public bool ForceRemovals { get; set; }
    }

    /// <summary>Something the pipeline thread should tell the user. Raised only on the thread that calls Submit/Complete.</summary>
    public abstract class RunEvent { }

    /// <summary>A row that ended Invalid, Duplicate or Failed. <see cref="Tag"/> is the caller's own input object.</summary>
    public sealed class RowProblemEvent : RunEvent
    {
        public RowProblemEvent(long rowNumber, object? tag, string? email, RowOutcome outcome, string errorId, string reason)
        {
            RowNumber = rowNumber; Tag = tag; Email = email; Outcome = outcome; ErrorId = errorId; Reason = reason;
        }
        public long RowNumber { get; }
        public object? Tag { get; }
        public string? Email { get; }
        public RowOutcome Outcome { get; }
        public string ErrorId { get; }
        public string Reason { get; }
    }

    public sealed class VerboseEvent : RunEvent
    {
        public VerboseEvent(string message) { Message = message; }
        public string Message { get; }
    }

    public sealed class WarningEvent : RunEvent
    {
        public WarningEvent(string message) { Message = message; }
        public string Message { get; }
    }

    public sealed class ProgressEvent : RunEvent
    {
        public ProgressEvent(ExportCounters counters, double profilesPerSecond, TimeSpan elapsed, int? percentComplete, TimeSpan? eta)
        {
            Counters = counters; ProfilesPerSecond = profilesPerSecond; Elapsed = elapsed; PercentComplete = percentComplete; Eta = eta;
        }
        public ExportCounters Counters { get; }
        public double ProfilesPerSecond { get; }
        public TimeSpan Elapsed { get; }
        /// <summary>Only when the number of rows is known in advance (<see cref="ExportRunner.ExpectRows"/>).</summary>
        public int? PercentComplete { get; }
        /// <summary>Time left; only when the number of rows is known in advance.</summary>
        public TimeSpan? Eta { get; }
    }

    /// <summary>A snapshot of the run's counts. Received = Exported + Unchanged + Invalid + Duplicate + Failed + InFlight.</summary>
    public sealed class ExportCounters
    {
        public long Received { get; set; }
        public long Exported { get; set; }
        /// <summary>Rows not sent: the sync record shows the API already holds them exactly so, on their lists.</summary>
        public long Unchanged { get; set; }
        public long Invalid { get; set; }
        public long Duplicate { get; set; }
        public long Failed { get; set; }
        public long InFlight => Received - Exported - Unchanged - Invalid - Duplicate - Failed;
        /// <summary>List memberships Mirror took away (not rows: a contact left the segment).</summary>
        public long Removed { get; set; }
        /// <summary>Removals Mirror tried and could not get confirmed.</summary>
        public long RemovalsFailed { get; set; }
        public long Batches { get; set; }
        public long Requests { get; set; }
        public long Retries { get; set; }
        public long Throttled { get; set; }
    }

    /// <summary>One segment's list and its counts (in WhatIf: what would be sent and whether the list exists).</summary>
    public sealed class SegmentSummary
    {
        public string Name { get; set; } = "";
        public string? ListId { get; set; }
        public bool ListCreated { get; set; }
        /// <summary>WhatIf only: null when the list names could not be read.</summary>
        public bool? ListExists { get; set; }
        public long Profiles { get; set; }
        public long Exported { get; set; }
        public long Unchanged { get; set; }
        public long Removed { get; set; }
    }

    /// <summary>Mirror's plan for one list: the contacts this export put on it that are absent from the segment now.</summary>
    public sealed class PlannedRemoval
    {
        public string Segment { get; set; } = "";
        public string ListId { get; set; } = "";
        /// <summary>How many contacts the export has on the list (the guard rail's base).</summary>
        public int Members { get; set; }
        /// <summary>The case-folded emails to remove, sorted.</summary>
        public IReadOnlyList<string> Emails { get; set; } = Array.Empty<string>();
        /// <summary>True when removing them all would take more than the limit's share of <see cref="Members"/>.</summary>
        public bool OverLimit { get; set; }
    }

    public sealed class ExportSummary
    {
        public string ExportName { get; set; } = "";
        public string ConnectionName { get; set; } = "";
        public ExportStatus Status { get; set; }
        public ExportCounters Counters { get; set; } = new ExportCounters();
        public IReadOnlyList<SegmentSummary> Segments { get; set; } = Array.Empty<SegmentSummary>();
        public DateTimeOffset StartedAt { get; set; }
        public TimeSpan Duration { get; set; }
        public string? ReportPath { get; set; }
        /// <summary>False when the row report could not be written to the end (a full disk): the counts still hold.</summary>
        public bool ReportComplete { get; set; } = true;
        /// <summary>Set when the run had to stop (bad key, outage): the reason, never containing the key.</summary>
        public string? FatalErrorId { get; set; }
        public string? FatalMessage { get; set; }
        public bool DryRun { get; set; }
        /// <summary>Mirror's plan (in WhatIf: who would be removed); empty when Mirror is off or did not run.</summary>
        public IReadOnlyList<PlannedRemoval> Removals { get; set; } = Array.Empty<PlannedRemoval>();
    }

    /// <summary>The run cannot go on (401/403, circuit open). The cmdlet turns it into a terminating error.</summary>
    public sealed class ExportAbortedException : Exception
    {
        public ExportAbortedException(string errorId, string message, ExportSummary summary, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId; Summary = summary;
        }
        public string ErrorId { get; }
        public ExportSummary Summary { get; }
    }
}
