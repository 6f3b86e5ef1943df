using System;
using System.Collections.Concurrent;
using AutopilotExport.Engine.Export;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Tally
{
    /// <summary>
    /// The one queue of a run's messages. Any thread adds to it; only the pipeline thread drains it, and every
    /// drain hands each message to the caller's sink (a caller that wants none passes a sink that drops them),
    /// writing row problems to the report on the way. Nothing is taken off the queue without reaching both.
    /// </summary>
    internal sealed class RunMessages
    {
        private readonly ConcurrentQueue<Notice> _queue = new ConcurrentQueue<Notice>();
        private readonly RowReport? _report;
        private bool _reportProblemTold;

        private readonly struct Notice
        {
            public Notice(RunEvent ev, bool quiet, string? segment) { Event = ev; Quiet = quiet; Segment = segment; }
            public RunEvent Event { get; }
            public bool Quiet { get; }
            public string? Segment { get; }
        }

        public RunMessages(RowReport? report) { _report = report; }

        public void Tell(RunEvent ev) => _queue.Enqueue(new Notice(ev, false, null));

        /// <summary>A row that ended Invalid, Duplicate or Failed; a quiet one goes to the report only.</summary>
        public void Row(RowProblemEvent problem, string? segment, bool quiet) => _queue.Enqueue(new Notice(problem, quiet, segment));

        /// <summary>Pipeline thread only.</summary>
        [MethodImpl(HotPath.Optimize)]
        public void Drain(Action<RunEvent> sink)
        {
            if (sink == null) throw new ArgumentNullException(nameof(sink));
            while (_queue.TryDequeue(out var notice))
            {
                if (notice.Event is RowProblemEvent problem) _report?.WriteRow(problem, notice.Segment);
                if (!notice.Quiet) sink(notice.Event);
            }
            _report?.FlushIfDue();
            TellReportProblem(sink);
        }

        /// <summary>Pipeline thread only: writes the summary line and closes the report.</summary>
        public void CloseReport(ExportSummary summary, Action<RunEvent> sink)
        {
            if (_report == null) return;
            _report.WriteSummary(summary);
            _report.Dispose();
            TellReportProblem(sink);
            summary.ReportComplete = _report.Problem == null;
        }

        private void TellReportProblem(Action<RunEvent> sink)
        {
            if (_reportProblemTold || _report?.Problem == null) return;
            _reportProblemTold = true;
            sink(new WarningEvent($"The row report '{_report.Path}' could not be written ({_report.Problem}); the export goes on, " +
                "but the report is incomplete: the result's counts and the error stream have every row."));
        }
    }
}
