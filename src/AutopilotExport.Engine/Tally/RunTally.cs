using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Intake;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Tally
{
    /// <summary>
    /// The run's counts: every received row ends in exactly one of Exported, Invalid, Duplicate, Failed, and
    /// each ending that is not Exported becomes a row problem in the run's messages. Counters are updated from
    /// any thread; progress and the summary are read on the pipeline thread.
    /// </summary>
    internal sealed class RunTally
    {
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

        private readonly RunMessages _messages;
        private readonly ConcurrentDictionary<string, SegmentState> _segments = new ConcurrentDictionary<string, SegmentState>(StringComparer.OrdinalIgnoreCase);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly DateTimeOffset _startedAt = DateTimeOffset.Now;
        private TimeSpan _lastProgress = TimeSpan.Zero;
        private long _received, _exported, _unchanged, _invalid, _duplicate, _failed, _removed, _removalsFailed;
        private long _batches, _requests, _retries, _throttled;

        public RunTally(RunMessages messages) { _messages = messages; }

        internal sealed class SegmentState
        {
            public SegmentState(string name) { Name = name; }
            /// <summary>One instance per segment: entries of a segment share it, so a batch checks "one segment" by reference.</summary>
            public string Name { get; }
            public long Profiles;
            public long Exported;
            public long Unchanged;
            public long Removed;
        }

        /// <summary>How many rows the caller will send, when it knows (an array given at once); 0: unknown.</summary>
        public long ExpectedRows { get; set; }

        public ICollection<string> SegmentNames => _segments.Keys;

        public long NextRow() => Interlocked.Increment(ref _received);
        public long BatchNumber() => Interlocked.Increment(ref _batches);
        public void CountRequest() => Interlocked.Increment(ref _requests);
        public void CountRetry(bool throttled)
        {
            Interlocked.Increment(ref _retries);
            if (throttled) Interlocked.Increment(ref _throttled);
        }

        /// <summary>A profile taken for a segment (the WhatIf count, and the segment's share in the summary).</summary>
        [MethodImpl(HotPath.Optimize)]
        public SegmentState Take(string segment)
        {
            var state = _segments.GetOrAdd(segment, s => new SegmentState(s));
            Interlocked.Increment(ref state.Profiles);
            return state;
        }

        /// <summary>WhatIf: a row that would be exported.</summary>
        public void WouldExport() => Interlocked.Increment(ref _exported);

        public void Problem(long row, object? tag, string? email, RowOutcome outcome, string errorId, string reason, string? segment, bool quiet)
        {
            switch (outcome)
            {
                case RowOutcome.Invalid: Interlocked.Increment(ref _invalid); break;
                case RowOutcome.Duplicate: Interlocked.Increment(ref _duplicate); break;
                default: Interlocked.Increment(ref _failed); break;
            }
            _messages.Row(new RowProblemEvent(row, tag, email, outcome, errorId, reason), segment, quiet);
        }

        [MethodImpl(HotPath.Optimize)]
        public void Succeed(Entry entry)
        {
            Interlocked.Increment(ref entry.State.Exported);
            Volatile.Write(ref entry.Ticket.Sent, 1);
            Finish(entry.Ticket);
        }

        /// <summary>A contact the sync record shows the destination already holds exactly so, on its list: not sent.</summary>
        public void Unchanged(Entry entry)
        {
            Interlocked.Increment(ref entry.State.Unchanged);
            Finish(entry.Ticket);
        }

        /// <summary>Mirror took a contact off the segment's list.</summary>
        public void Removed(string segment)
        {
            Interlocked.Increment(ref _removed);
            if (_segments.TryGetValue(segment, out var state)) Interlocked.Increment(ref state.Removed);
        }

        public void RemovalFailed() => Interlocked.Increment(ref _removalsFailed);

        public void Fail(Entry entry, string errorId, string reason, bool quiet)
        {
            Interlocked.CompareExchange(ref entry.Ticket.Failure, new RowFailure(errorId, reason, entry.Segment, quiet), null);
            Finish(entry.Ticket);
        }

        public void FailAll(IEnumerable<Entry> entries, string errorId, string reason, bool quiet)
        {
            foreach (var e in entries) Fail(e, errorId, reason, quiet);
        }

        [MethodImpl(HotPath.Optimize)]
        private void Finish(RowTicket ticket)
        {
            if (Interlocked.Decrement(ref ticket.Remaining) != 0) return;
            var failure = Volatile.Read(ref ticket.Failure);
            if (failure == null) Interlocked.Increment(ref Volatile.Read(ref ticket.Sent) != 0 ? ref _exported : ref _unchanged);
            else Problem(ticket.Row, ticket.Tag, ticket.Email, RowOutcome.Failed, failure.ErrorId, failure.Reason, failure.Segment, failure.Quiet);
        }

        public ExportCounters Snapshot() => new ExportCounters
        {
            Received = Interlocked.Read(ref _received),
            Exported = Interlocked.Read(ref _exported),
            Unchanged = Interlocked.Read(ref _unchanged),
            Removed = Interlocked.Read(ref _removed),
            RemovalsFailed = Interlocked.Read(ref _removalsFailed),
            Invalid = Interlocked.Read(ref _invalid),
            Duplicate = Interlocked.Read(ref _duplicate),
            Failed = Interlocked.Read(ref _failed),
            Batches = Interlocked.Read(ref _batches),
            Requests = Interlocked.Read(ref _requests),
            Retries = Interlocked.Read(ref _retries),
            Throttled = Interlocked.Read(ref _throttled),
        };

        /// <summary>
        /// Rate and elapsed time always; percent and time left only when the number of rows is known, because
        /// a pipeline's backlog says nothing about how much input is still to come.
        /// </summary>
        [MethodImpl(HotPath.Optimize)]
        public void Progress(Action<RunEvent> sink, bool final)
        {
            var now = _clock.Elapsed;
            if (!final && now - _lastProgress < ProgressInterval) return;
            _lastProgress = now;
            var counters = Snapshot();
            double seconds = now.TotalSeconds;
            double rate = seconds > 0 ? counters.Exported / seconds : 0;
            int? percent = null;
            TimeSpan? remaining = null;
            if (ExpectedRows > 0)
            {
                long done = counters.Received - counters.InFlight;
                percent = (int)Math.Min(100, done * 100 / ExpectedRows);
                double doneRate = seconds > 0 ? done / seconds : 0;
                if (final) remaining = TimeSpan.Zero;
                else if (doneRate > 0) remaining = TimeSpan.FromSeconds(Math.Max(0, ExpectedRows - done) / doneRate);
            }
            sink(new ProgressEvent(counters, rate, now, percent, remaining));
        }

        public ExportSummary Summary(ExportRunOptions options, RunControl control, string? reportPath, IReadOnlyDictionary<string, bool>? listExists,
            Func<string, (string? Id, bool Created)> list)
        {
            var counters = Snapshot();
            ExportStatus status;
            if (control.StopId != null) status = ExportStatus.Failed;
            else if (control.IsCancelled) status = ExportStatus.Cancelled;
            else if (counters.Received == 0) status = ExportStatus.NoInput;
            else if (counters.Invalid > 0 || counters.Failed > 0 || counters.RemovalsFailed > 0) status = ExportStatus.CompletedWithErrors;
            else status = ExportStatus.Succeeded;

            var segments = new List<SegmentSummary>();
            foreach (var name in options.Segments.Concat(_segments.Keys).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                _segments.TryGetValue(name, out var state);
                var (id, created) = list(name);
                segments.Add(new SegmentSummary
                {
                    Name = state?.Name ?? name,
                    Profiles = state?.Profiles ?? 0,
                    Exported = options.DryRun ? 0 : state?.Exported ?? 0,
                    Unchanged = state?.Unchanged ?? 0,
                    Removed = state?.Removed ?? 0,
                    ListId = id,
                    ListCreated = created,
                    ListExists = listExists != null && listExists.TryGetValue(name, out var e) ? e : (bool?)null,
                });
            }

            return new ExportSummary
            {
                ExportName = options.ExportName,
                ConnectionName = options.ConnectionName,
                Status = status,
                Counters = counters,
                Segments = segments,
                StartedAt = _startedAt,
                Duration = _clock.Elapsed,
                ReportPath = reportPath,
                FatalErrorId = control.StopId,
                FatalMessage = control.StopMessage,
                DryRun = options.DryRun,
            };
        }
    }
}
