using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Intake;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.Send;
using AutopilotExport.Engine.State;
using AutopilotExport.Engine.Tally;
using Polly.CircuitBreaker;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Export
{
    /// <summary>
    /// Runs one export along its data path: row intake on the caller's thread, a bounded channel of batches,
    /// senders in the background, and a tally of every row. Threading contract: Submit, ExpectRows and Complete
    /// are called from one thread (the PowerShell pipeline thread) and every RunEvent is raised on that thread,
    /// through the sink passed in. Senders only see plain DTOs, so memory stays flat however much input
    /// arrives. Cancel may be called from any thread (StopProcessing, a termination signal).
    /// Every received row ends in exactly one of Exported, Invalid, Duplicate, Failed.
    /// </summary>
    public sealed class ExportRunner : IDisposable
    {
        private static readonly Action<RunEvent> Discard = _ => { };

        private readonly IContactDestination _destination;
        private readonly ExportRunOptions _options;
        private readonly RunControl _control = new RunControl();
        private readonly RunMessages _messages;
        private readonly RunTally _tally;
        private readonly RowIntake _intake;
        private readonly ResiliencePolicy _policy;
        private readonly ListResolver _lists;
        private readonly Senders _senders;
        private readonly Channel<Batch> _channel;
        private readonly Task[] _senderTasks;
        private readonly RowReport? _report;
        private readonly List<Batch> _ready = new List<Batch>(2);
        private readonly ListMirror? _mirror;
        private IReadOnlyList<PlannedRemoval> _removals = Array.Empty<PlannedRemoval>();
        private ExportSummary? _summary;

        public ExportRunner(AutopilotApiClient client, ExportRunOptions options) : this(new AutopilotDestination(client), options) { }

        public ExportRunner(IContactDestination destination, ExportRunOptions options)
        {
            _destination = destination ?? throw new ArgumentNullException(nameof(destination));
            _options = options ?? throw new ArgumentNullException(nameof(options));
            if (options.BatchSize < 1 || options.BatchSize > destination.MaxBatchContacts)
                throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize must be 1 to {destination.MaxBatchContacts} (the API's bulk limit).");
            if (options.Concurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), "Concurrency must be at least 1.");
            if (options.MaxProfiles < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxProfiles must be at least 1.");
            if (options.Segments.Count == 0 && options.SegmentProperty == null)
                throw new ArgumentException("Name at least one segment, or a segment property that holds each row's segment.");

            _report = options.ReportPath != null ? new RowReport(options.ReportPath) : null;
            _messages = new RunMessages(_report);
            _tally = new RunTally(_messages);
            _intake = new RowIntake(options, destination, _tally, _messages, ExistingListId);
            _policy = new ResiliencePolicy(ApiPace.For(destination.AccountFingerprint, options.RequestsPerSecond), options.MaxRetries,
                options.RequestTimeout, options.RetryBaseDelay, OnRetry, _tally.CountRequest);
            _lists = new ListResolver(destination, _policy, message => _messages.Tell(new VerboseEvent(message)));
            int maxBytes = options.MaxBatchBytes > 0 ? Math.Min(options.MaxBatchBytes, destination.MaxBatchBytes) : destination.MaxBatchBytes;
            _senders = new Senders(destination, _policy, _lists, _tally, _messages, _control, options.MaxRetries, maxBytes, options.Sync);
            if (options.Mirror && options.Sync != null) _mirror = new ListMirror(destination, _policy, _tally, _messages, _control, options.Sync);

            // One batch waiting per sender keeps every sender busy without buffering the input: the pipeline thread
            // refills a slot long before a request comes back. (Two per sender kept twice the rows, and their input
            // objects, alive across collections: measured, a fifth more time in the collector for no speed.) A sender waiting
            // for a batch resumes on the thread that wrote it (the pipeline thread) until its request is on the
            // wire: handing each batch to a pool thread instead cost a thread wake-up per batch, and the pool's
            // idle spinning after it, more than the hand-over itself (docs/PERFORMANCE.md). Senders still only
            // see plain batches; answers are handled on pool threads as before.
            _channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(options.Concurrency)
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
                AllowSynchronousContinuations = true,
            });

            var pace = options.RequestsPerSecond > 0
                ? $"pacing at {options.RequestsPerSecond.ToString("0.##", CultureInfo.InvariantCulture)} requests/s"
                : "no client-side pacing";
            _messages.Tell(new VerboseEvent(options.DryRun
                ? $"WhatIf: mapping and validating '{options.ExportName}' without sending anything."
                : $"Export '{options.ExportName}' to {destination.Endpoint}: {pace}, {options.Concurrency} senders, batches of at most {options.BatchSize} contacts and {maxBytes} bytes, at most {options.MaxProfiles} profiles."));

            _senderTasks = options.DryRun
                ? Array.Empty<Task>()
                : Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(() => _senders.RunAsync(_channel.Reader))).ToArray();
        }

        /// <summary>How many rows will come, when the caller knows (an array given at once): progress then shows percent and time left.</summary>
        public void ExpectRows(long rows) => _tally.ExpectedRows = Math.Max(0, rows);

        /// <summary>Maps, validates, de-duplicates and queues one input row. May wait while senders catch up,
        /// raising events meanwhile. Throws <see cref="ExportAbortedException"/> once the run cannot go on.</summary>
        [MethodImpl(HotPath.Optimize)]
        public void Submit(IRecordReader? row, object? tag, Action<RunEvent>? sink)
        {
            if (_summary != null) throw new InvalidOperationException("The run is complete.");
            var to = sink ?? Discard;
            long rowNumber = _tally.NextRow();
            if (_control.StopId != null)
            {
                // Every received row is accounted for, even the one that arrives after the run had to stop.
                _tally.Problem(rowNumber, tag, null, RowOutcome.Failed, _control.StopId, "not sent: " + _control.StopMessage, null, quiet: true);
                var summary = Complete(to);
                throw new ExportAbortedException(summary.FatalErrorId!, summary.FatalMessage ?? summary.FatalErrorId!, summary);
            }
            if (_control.IsCancelled)
            {
                _tally.Problem(rowNumber, tag, null, RowOutcome.Failed, ErrorIds.SendFailed, "not sent: the run was cancelled", null, quiet: true);
                _messages.Drain(to);
                return;
            }

            _intake.Take(rowNumber, row, tag, _ready);
            foreach (var batch in _ready) Enqueue(batch, to);
            _ready.Clear();
            _messages.Drain(to);
            // The clock is read every 32nd row: progress is told every quarter second, and a row takes microseconds.
            if ((rowNumber & 31) == 0) _tally.Progress(to, final: false);
        }

        /// <summary>Hands a batch to the senders, waiting (and draining messages to the sink) while the channel is full.</summary>
        [MethodImpl(HotPath.Optimize)]
        private void Enqueue(Batch batch, Action<RunEvent> sink)
        {
            while (!_channel.Writer.TryWrite(batch))
            {
                if (_control.IsStopping)
                {
                    _senders.FailNotSent(batch);
                    return;
                }
                _messages.Drain(sink);
                _tally.Progress(sink, final: false);
                try { _channel.Writer.WaitToWriteAsync(_control.Token).AsTask().Wait(200); }
                catch (AggregateException) { /* cancelled: checked at the top of the loop */ }
            }
        }

        /// <summary>Sends what is left, waits for the senders, raises the remaining events and returns the summary.
        /// Idempotent; a null sink discards events (they still reach the report).</summary>
        public ExportSummary Complete(Action<RunEvent>? sink)
        {
            if (_summary != null) return _summary;
            var to = sink ?? Discard;
            if (!_control.IsStopping)
            {
                _intake.EndOfInput();
                foreach (var warning in _intake.PropertiesNotFound()) _messages.Tell(new WarningEvent(warning));
            }
            var rest = _intake.TakeRest();
            if (rest != null)
            {
                if (_control.IsStopping) _senders.FailNotSent(rest);
                else Enqueue(rest, to);
            }
            _channel.Writer.TryComplete();

            var all = Task.WhenAll(_senderTasks);
            while (!all.Wait(100))
            {
                _messages.Drain(to);
                _tally.Progress(to, final: false);
            }
            _senders.FailLeftOver(_channel.Reader);
            if (_mirror != null) MirrorLists(to);

            IReadOnlyDictionary<string, bool>? exists = null;
            if (_options.DryRun && _tally.SegmentNames.Count > 0)
            {
                try { exists = _lists.ProbeAsync(_tally.SegmentNames, _control.Token).GetAwaiter().GetResult(); }
                catch (Exception ex) when (ex is BrokenCircuitException || ex is OperationCanceledException) { exists = null; }
                if (exists == null) _messages.Tell(new WarningEvent("WhatIf: could not read the existing lists, so it is not known which would be created."));
            }

            _messages.Drain(to);
            _tally.Progress(to, final: true);
            var summary = _tally.Summary(_options, _control, _report?.Path, exists, ListOf);
            summary.Removals = _removals;
            _messages.CloseReport(summary, to);
            SaveSyncRecord(to);
            return _summary = summary;
        }

        /// <summary>
        /// Mirror, once every row has its answer: plan who leaves each segment's list and, within the guard rail (or
        /// with ForceRemovals), take them off. Only after a run that read its whole input: not after a cancel or a
        /// whole-run failure, not when the profile cap turned rows away, and not when rows were invalid (an invalid
        /// row's contact may well be in the segment; it must not be removed for a typo in another field).
        /// WhatIf plans only.
        /// </summary>
        private void MirrorLists(Action<RunEvent> sink)
        {
            if (_control.IsStopping) return;
            var counters = _tally.Snapshot();
            if (_intake.CapReached || counters.Invalid > 0)
            {
                _messages.Tell(new WarningEvent(_intake.CapReached
                    ? "Mirror removed nobody: the run reached its profile limit, so the segment was not read whole."
                    : $"Mirror removed nobody: {counters.Invalid} row(s) were invalid, and their contacts may be in the segment; fix them and run again."));
                return;
            }
            var lists = new List<(string Segment, string ListId)>();
            foreach (var segment in _options.Segments.Concat(_tally.SegmentNames).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                string? id;
                try { id = _lists.ExistingIdAsync(segment, _control.Token).GetAwaiter().GetResult(); }
                catch (Exception ex) when (ex is AutopilotApiException || ex is BrokenCircuitException || ex is OperationCanceledException)
                {
                    _messages.Tell(new WarningEvent($"Mirror removed nobody: the lists could not be read ({ex.Message})."));
                    return;
                }
                if (id != null) lists.Add((segment, id));
            }
            var plans = _mirror!.Plan(lists, _intake.SeenIn, _options.MaxRemovalPercent);
            _removals = plans;
            if (plans.Count == 0 || _options.DryRun) return;
            var over = plans.Where(p => p.OverLimit).ToList();
            if (over.Count > 0 && !_options.ForceRemovals)
            {
                _control.Stop(ErrorIds.RemovalLimitExceeded, ListMirror.LimitMessage(over, _options.MaxRemovalPercent));
                return;
            }
            _mirror.Remove(plans, _options.Concurrency, () =>
            {
                _messages.Drain(sink);
                _tally.Progress(sink, final: false);
            });
        }

        /// <summary>
        /// Intake's question for incremental runs: the id of the segment's list if it exists (one GET /lists per run,
        /// shared with the senders), null when it does not or cannot be read — then nothing counts as unchanged.
        /// Asked on the pipeline thread, once per segment.
        /// </summary>
        private string? ExistingListId(string segment)
        {
            try { return _lists.ExistingIdAsync(segment, _control.Token).GetAwaiter().GetResult(); }
            catch (Exception ex) when (ex is AutopilotApiException || ex is BrokenCircuitException || ex is OperationCanceledException || ex is Polly.Timeout.TimeoutRejectedException)
            {
                _messages.Tell(new VerboseEvent($"The list of segment '{segment}' could not be looked up ({ex.Message}): its profiles are all sent."));
                return null;
            }
        }

        /// <summary>Writes the sync record's snapshot (what was confirmed stays, also after a cancel or a failure).</summary>
        private void SaveSyncRecord(Action<RunEvent> sink)
        {
            if (_options.Sync == null || _options.DryRun) return;
            try
            {
                _options.Sync.Compact();
            }
            catch (Exception ex) when (ex is StateException || ex is System.IO.IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
            {
                // The journal still holds every confirmed batch: the next run replays it.
                sink(new WarningEvent($"The sync record of '{_options.ExportName}' could not be compacted ({ex.Message}); its journal keeps what was confirmed."));
            }
        }

        private (string? Id, bool Created) ListOf(string segment) =>
            _lists.TryGetResolved(segment, out var list) ? (list.Id, list.Created) : (null, false);

        /// <summary>Stops the senders promptly; Complete then returns a Cancelled summary with true counts.</summary>
        public void Cancel() => _control.Cancel();

        public ExportCounters Snapshot() => _tally.Snapshot();

        private void OnRetry(RetryNotice notice)
        {
            _tally.CountRetry(notice.Throttled);
            var cause = notice.Cause is AutopilotApiException api ? api.Message : notice.Cause?.Message ?? "failure";
            _messages.Tell(new VerboseEvent(string.Format(CultureInfo.InvariantCulture,
                "{0}: attempt {1} after {2}; waiting {3:0.0} s.", notice.Operation, notice.Attempt, cause, notice.Delay.TotalSeconds)));
        }

        public void Dispose()
        {
            Cancel();
            _report?.Dispose();
            _policy.Dispose();
            _control.Dispose();
        }
    }
}
