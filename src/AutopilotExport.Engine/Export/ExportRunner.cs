using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Mapping;
using Polly.CircuitBreaker;

namespace AutopilotExport.Engine.Export
{
    /// <summary>
    /// Runs one export. Threading contract: Submit and Complete are called from one thread (the PowerShell
    /// pipeline thread) and every RunEvent is raised on that thread, through the sink passed in. Sending
    /// happens on background tasks that only see plain DTOs through a bounded channel, so memory stays flat
    /// however much input arrives. Cancel may be called from any thread (StopProcessing).
    /// Every received row ends in exactly one of Exported, Invalid, Duplicate, Failed.
    /// </summary>
    public sealed class ExportRunner : IDisposable
    {
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
        private static readonly Regex IndexInMessage = new Regex(@"contacts\[(\d+)\]|index (\d+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private readonly AutopilotApiClient _client;
        private readonly ExportRunOptions _options;
        private readonly ProfileMapper _mapper;
        private readonly EmailDeduplicator _dedup = new EmailDeduplicator();
        private readonly ResiliencePolicy _policy;
        private readonly ListResolver _lists;
        private readonly Channel<List<Entry>> _channel;
        private readonly Task[] _senders;
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly ConcurrentQueue<Notice> _notices = new ConcurrentQueue<Notice>();
        private readonly ConcurrentDictionary<string, SegmentState> _segments = new ConcurrentDictionary<string, SegmentState>(StringComparer.OrdinalIgnoreCase);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly DateTimeOffset _startedAt = DateTimeOffset.Now;
        private readonly RowReport? _report;
        private readonly object _fatalLock = new object();

        private List<Entry> _batch;
        private TimeSpan _lastProgress = TimeSpan.Zero;
        private bool _autoMatchTold;
        private bool _capTold;
        private long _accepted;          // profiles taken for sending (cap counts these)
        private long _received, _exported, _invalid, _duplicate, _failed;
        private long _batches, _requests, _retries, _throttled;
        private string? _fatalId, _fatalMessage;
        private volatile bool _cancelled;
        private ExportSummary? _summary;

        private readonly struct Entry
        {
            public Entry(MappedProfile profile, string segment, RowTicket ticket) { Profile = profile; Segment = segment; Ticket = ticket; }
            public MappedProfile Profile { get; }
            public string Segment { get; }
            public RowTicket Ticket { get; }
        }

        /// <summary>One received row on its way: done when every segment's contact has an answer.</summary>
        private sealed class RowTicket
        {
            public RowTicket(long row, object? tag, string email, int parts) { Row = row; Tag = tag; Email = email; Remaining = parts; }
            public long Row { get; }
            public object? Tag { get; }
            public string Email { get; }
            public int Remaining;
            public Failure? Failure;
        }

        private sealed class Failure
        {
            public Failure(string errorId, string reason, string segment, bool quiet) { ErrorId = errorId; Reason = reason; Segment = segment; Quiet = quiet; }
            public string ErrorId { get; }
            public string Reason { get; }
            public string Segment { get; }
            public bool Quiet { get; }
        }

        private sealed class SegmentState
        {
            public SegmentState(string name) { Name = name; }
            public string Name { get; }
            public long Profiles;
            public long Exported;
        }

        /// <summary>A message from a sender, delivered on the pipeline thread.</summary>
        private readonly struct Notice
        {
            public Notice(RunEvent ev, bool quiet, string? segment) { Event = ev; Quiet = quiet; Segment = segment; }
            public RunEvent Event { get; }
            public bool Quiet { get; }
            public string? Segment { get; }
        }

        public ExportRunner(AutopilotApiClient client, ExportRunOptions options)
        {
            _client = client ?? throw new ArgumentNullException(nameof(client));
            _options = options ?? throw new ArgumentNullException(nameof(options));
            if (options.BatchSize < 1 || options.BatchSize > 100) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be 1 to 100 (the API's bulk limit).");
            if (options.Concurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), "Concurrency must be at least 1.");
            if (options.MaxProfiles < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxProfiles must be at least 1.");
            if (options.Segments.Count == 0 && options.SegmentProperty == null)
                throw new ArgumentException("Name at least one segment, or a segment property that holds each row's segment.");

            _mapper = new ProfileMapper(options.FieldMap, options.SegmentProperty);
            _policy = new ResiliencePolicy(ApiPace.For(client, options.RequestsPerSecond), options.MaxRetries, options.RequestTimeout, options.RetryBaseDelay, OnRetry, () => Interlocked.Increment(ref _requests));
            _lists = new ListResolver(client, _policy, message => Tell(new VerboseEvent(message)));
            _report = options.ReportPath != null ? new RowReport(options.ReportPath) : null;
            _batch = new List<Entry>(options.BatchSize);

            // Two batches waiting per sender keeps every sender busy without buffering the input.
            _channel = Channel.CreateBounded<List<Entry>>(new BoundedChannelOptions(options.Concurrency * 2)
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });

            var pace = options.RequestsPerSecond > 0
                ? $"pacing at {options.RequestsPerSecond.ToString("0.##", CultureInfo.InvariantCulture)} requests/s"
                : "no client-side pacing";
            Tell(new VerboseEvent(options.DryRun
                ? $"WhatIf: mapping and validating '{options.ExportName}' without sending anything."
                : $"Export '{options.ExportName}' to {client.Endpoint}: {pace}, {options.Concurrency} senders, batches of {options.BatchSize}, at most {options.MaxProfiles} profiles."));

            _senders = options.DryRun
                ? Array.Empty<Task>()
                : Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(SendLoopAsync)).ToArray();
        }

        // ---------------------------------------------------------------- pipeline thread

        /// <summary>Maps, validates, de-duplicates and queues one input row. May wait while senders catch up,
        /// raising events meanwhile. Throws <see cref="ExportAbortedException"/> once the run cannot go on.</summary>
        public void Submit(IRecordReader? row, object? tag, Action<RunEvent>? sink)
        {
            if (_summary != null) throw new InvalidOperationException("The run is complete.");
            long rowNumber = ++_received;
            if (_fatalId != null)
            {
                // Every received row is accounted for, even the one that arrives after the run had to stop.
                Problem(rowNumber, tag, null, RowOutcome.Failed, _fatalId, "not sent: " + _fatalMessage, null, quiet: true);
                ThrowIfFatal(sink);
            }

            if (_cancelled)
            {
                Problem(rowNumber, tag, null, RowOutcome.Failed, ErrorIds.SendFailed, "not sent: the run was cancelled", null, quiet: true);
                Drain(sink);
                return;
            }

            var mapped = _mapper.Map(row);
            if (!_autoMatchTold && _mapper.AutoMatchDescription != null)
            {
                _autoMatchTold = true;
                Tell(new VerboseEvent("No field map given: matched " + _mapper.AutoMatchDescription + "."));
            }

            if (!mapped.Success)
            {
                Problem(rowNumber, tag, null, RowOutcome.Invalid, mapped.ErrorId!, mapped.Reason!, null, quiet: false);
            }
            else
            {
                Accept(rowNumber, tag, mapped.Profile!);
            }

            Drain(sink);
            MaybeProgress(sink, final: false);
        }

        private void Accept(long rowNumber, object? tag, MappedProfile profile)
        {
            IReadOnlyList<string> segments = profile.Segment != null ? new[] { profile.Segment } : _options.Segments;
            if (segments.Count == 0)
            {
                Problem(rowNumber, tag, profile.Email, RowOutcome.Invalid, ErrorIds.MissingSegment,
                    $"property '{_options.SegmentProperty}' (the segment) is empty and no -Segment was given", null, quiet: false);
                return;
            }

            var fresh = new List<string>(segments.Count);
            long firstRow = 0;
            foreach (var segment in segments)
            {
                if (_dedup.TryAdd(profile.Email, segment, rowNumber, out var first)) fresh.Add(segment);
                else firstRow = first;
            }
            if (fresh.Count == 0)
            {
                Problem(rowNumber, tag, profile.Email, RowOutcome.Duplicate, ErrorIds.DuplicateEmail,
                    $"'{profile.Email}' already came in row {firstRow} for segment '{segments[0]}'; the first row is kept", segments[0], quiet: false);
                return;
            }

            if (_accepted >= _options.MaxProfiles)
            {
                var quiet = _capTold;
                _capTold = true;
                Problem(rowNumber, tag, profile.Email, RowOutcome.Failed, ErrorIds.ProfileLimitExceeded,
                    $"the run reached its limit of {_options.MaxProfiles} profiles; this row and every later one are not sent " +
                    "(raise -MaxProfiles if your Autopilot contract allows more)", fresh[0], quiet);
                return;
            }
            _accepted++;

            var ticket = new RowTicket(rowNumber, tag, profile.Email, fresh.Count);
            foreach (var segment in fresh)
            {
                var state = _segments.GetOrAdd(segment, s => new SegmentState(s));
                Interlocked.Increment(ref state.Profiles);
                if (_options.DryRun) continue;
                _batch.Add(new Entry(profile, state.Name, ticket));
                if (_batch.Count >= _options.BatchSize) Enqueue(null);
            }
            if (_options.DryRun) Interlocked.Increment(ref _exported); // "would be exported"; the summary says DryRun
        }

        /// <summary>Hands the current batch to the senders, waiting (and draining events) while the channel is full.</summary>
        private void Enqueue(Action<RunEvent>? sink)
        {
            if (_batch.Count == 0) return;
            var batch = _batch;
            _batch = new List<Entry>(_options.BatchSize);
            while (!_channel.Writer.TryWrite(batch))
            {
                if (_cts.IsCancellationRequested)
                {
                    FailEntries(batch, ErrorIds.SendFailed, "not sent: the run stopped before this row's batch went out", quiet: true);
                    return;
                }
                Drain(sink);
                MaybeProgress(sink, final: false);
                try { _channel.Writer.WaitToWriteAsync(_cts.Token).AsTask().Wait(200); }
                catch (AggregateException) { /* cancelled: checked at the top of the loop */ }
            }
        }

        /// <summary>Sends what is left, waits for the senders, raises the remaining events and returns the summary.
        /// Idempotent; a null sink discards events (they still reach the report).</summary>
        public ExportSummary Complete(Action<RunEvent>? sink)
        {
            if (_summary != null) return _summary;
            if (!_cts.IsCancellationRequested) Enqueue(sink);
            else FailEntries(_batch, ErrorIds.SendFailed, "not sent: the run stopped before this row's batch went out", quiet: true);
            _batch = new List<Entry>();
            _channel.Writer.TryComplete();

            var all = Task.WhenAll(_senders);
            while (!all.Wait(100))
            {
                Drain(sink);
                MaybeProgress(sink, final: false);
            }

            // Batches the senders never took (the run was cancelled or had to stop).
            while (_channel.Reader.TryRead(out var left))
                FailEntries(left, ErrorIds.SendFailed, "not sent: the run stopped before this row's batch went out", quiet: true);

            Dictionary<string, bool>? exists = null;
            if (_options.DryRun && _segments.Count > 0)
            {
                try { exists = _lists.ProbeAsync(_segments.Keys, _cts.Token).GetAwaiter().GetResult(); }
                catch (Exception ex) when (ex is BrokenCircuitException || ex is OperationCanceledException) { exists = null; }
                if (exists == null) Tell(new WarningEvent("WhatIf: could not read the existing lists, so it is not known which would be created."));
            }

            Drain(sink);
            MaybeProgress(sink, final: true);
            _summary = BuildSummary(exists);
            _report?.WriteSummary(_summary);
            _report?.Dispose();
            return _summary;
        }

        /// <summary>Stops the senders promptly; Complete then returns a Cancelled summary with true counts.</summary>
        public void Cancel()
        {
            _cancelled = true;
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }

        public ExportCounters Snapshot() => new ExportCounters
        {
            Received = Interlocked.Read(ref _received),
            Exported = Interlocked.Read(ref _exported),
            Invalid = Interlocked.Read(ref _invalid),
            Duplicate = Interlocked.Read(ref _duplicate),
            Failed = Interlocked.Read(ref _failed),
            Batches = Interlocked.Read(ref _batches),
            Requests = Interlocked.Read(ref _requests),
            Retries = Interlocked.Read(ref _retries),
            Throttled = Interlocked.Read(ref _throttled),
        };

        private void ThrowIfFatal(Action<RunEvent>? sink)
        {
            if (_fatalId == null) return;
            var summary = Complete(sink);
            throw new ExportAbortedException(_fatalId, _fatalMessage ?? _fatalId, summary);
        }

        /// <summary>Raises queued events on this (the pipeline) thread and records row problems in the report.</summary>
        private void Drain(Action<RunEvent>? sink)
        {
            while (_notices.TryDequeue(out var notice))
            {
                if (notice.Event is RowProblemEvent problem) _report?.WriteRow(problem, notice.Segment);
                if (!notice.Quiet) sink?.Invoke(notice.Event);
            }
        }

        private void MaybeProgress(Action<RunEvent>? sink, bool final)
        {
            var now = _clock.Elapsed;
            if (!final && now - _lastProgress < ProgressInterval) return;
            _lastProgress = now;
            var counters = Snapshot();
            double rate = now.TotalSeconds > 0 ? counters.Exported / now.TotalSeconds : 0;
            TimeSpan? eta = null;
            if (rate > 0 && (final || _channel.Reader.Completion.IsCompleted || _batch.Count == 0))
                eta = TimeSpan.FromSeconds(counters.InFlight / rate);
            sink?.Invoke(new ProgressEvent(counters, rate, final ? TimeSpan.Zero : eta));
        }

        private void Tell(RunEvent ev) => _notices.Enqueue(new Notice(ev, false, null));

        private void Problem(long row, object? tag, string? email, RowOutcome outcome, string errorId, string reason, string? segment, bool quiet)
        {
            switch (outcome)
            {
                case RowOutcome.Invalid: Interlocked.Increment(ref _invalid); break;
                case RowOutcome.Duplicate: Interlocked.Increment(ref _duplicate); break;
                default: Interlocked.Increment(ref _failed); break;
            }
            _notices.Enqueue(new Notice(new RowProblemEvent(row, tag, email, outcome, errorId, reason), quiet, segment));
        }

        private ExportSummary BuildSummary(Dictionary<string, bool>? exists)
        {
            var counters = Snapshot();
            ExportStatus status;
            if (_fatalId != null) status = ExportStatus.Failed;
            else if (_cancelled) status = ExportStatus.Cancelled;
            else if (counters.Invalid > 0 || counters.Failed > 0) status = ExportStatus.CompletedWithErrors;
            else status = ExportStatus.Succeeded;

            var segments = new List<SegmentSummary>();
            var names = _options.Segments.Concat(_segments.Keys).Distinct(StringComparer.OrdinalIgnoreCase);
            foreach (var name in names)
            {
                _segments.TryGetValue(name, out var state);
                _lists.TryGetResolved(name, out var list);
                segments.Add(new SegmentSummary
                {
                    Name = state?.Name ?? name,
                    Profiles = state?.Profiles ?? 0,
                    Exported = _options.DryRun ? 0 : state?.Exported ?? 0,
                    ListId = list?.Id,
                    ListCreated = list?.Created ?? false,
                    ListExists = exists != null && exists.TryGetValue(name, out var e) ? e : (bool?)null,
                });
            }

            return new ExportSummary
            {
                ExportName = _options.ExportName,
                ConnectionName = _options.ConnectionName,
                Status = status,
                Counters = counters,
                Segments = segments,
                StartedAt = _startedAt,
                Duration = _clock.Elapsed,
                ReportPath = _report?.Path,
                FatalErrorId = _fatalId,
                FatalMessage = _fatalMessage,
                DryRun = _options.DryRun,
            };
        }

        // ---------------------------------------------------------------- senders (background)

        private async Task SendLoopAsync()
        {
            var reader = _channel.Reader;
            try
            {
                while (await reader.WaitToReadAsync(_cts.Token).ConfigureAwait(false))
                {
                    while (reader.TryRead(out var batch))
                    {
                        if (_cts.IsCancellationRequested)
                        {
                            FailEntries(batch, ErrorIds.SendFailed, "not sent: the run stopped before this row's batch went out", quiet: true);
                            continue;
                        }
                        var number = Interlocked.Increment(ref _batches);
                        try
                        {
                            await SendAsync(batch, number, _cts.Token).ConfigureAwait(false);
                        }
                        catch (Exception ex)
                        {
                            // Never lose rows to an unexpected fault: they end as Failed with the reason.
                            FailEntries(batch, ErrorIds.SendFailed, "not sent: " + ex.Message, quiet: false);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested)
            {
                // Cancelled or stopped: Complete accounts for what is left in the channel.
            }
        }

        private async Task SendAsync(List<Entry> entries, long number, CancellationToken ct)
        {
            // Resolve each segment's list; contacts of a segment whose list cannot be had fail with the reason.
            var listIds = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var sendable = entries;
            if (!AllOneSegment(entries))
            {
                sendable = new List<Entry>(entries.Count);
                foreach (var group in entries.GroupBy(e => e.Segment, StringComparer.OrdinalIgnoreCase))
                {
                    string? failure = await TryResolveListAsync(group.Key, listIds, ct).ConfigureAwait(false);
                    if (failure != null)
                    {
                        FailEntries(group.ToList(), ErrorIds.ListUnavailable, failure, quiet: _fatalId != null || ct.IsCancellationRequested);
                        continue;
                    }
                    sendable.AddRange(group);
                }
            }
            else if (entries.Count > 0)
            {
                // The usual case, one segment per batch: no grouping.
                string? failure = await TryResolveListAsync(entries[0].Segment, listIds, ct).ConfigureAwait(false);
                if (failure != null)
                {
                    FailEntries(entries, ErrorIds.ListUnavailable, failure, quiet: _fatalId != null || ct.IsCancellationRequested);
                    return;
                }
            }
            if (sendable.Count > 0) await SendPartAsync(sendable, number, listIds, ct).ConfigureAwait(false);
        }

        private static bool AllOneSegment(List<Entry> entries)
        {
            // Entries of one segment share the SegmentState's name instance.
            for (int i = 1; i < entries.Count; i++)
                if (!ReferenceEquals(entries[i].Segment, entries[0].Segment)) return false;
            return true;
        }

        private async Task<string?> TryResolveListAsync(string segment, Dictionary<string, string> listIds, CancellationToken ct)
        {
            try
            {
                var list = await _lists.ResolveAsync(segment, ct).ConfigureAwait(false);
                listIds[segment] = list.Id;
                return null;
            }
            catch (AutopilotApiException ex) when (ex.IsAuthFailure)
            {
                Fatal(ErrorIds.Unauthorized, AuthMessage(ex));
                return "not sent: " + AuthMessage(ex);
            }
            catch (BrokenCircuitException ex)
            {
                Fatal(ErrorIds.ServiceUnavailable, OutageMessage(ex));
                return "not sent: " + OutageMessage(ex);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return "not sent: the run stopped before this row's batch went out";
            }
            catch (Exception ex)
            {
                return $"the list for segment '{segment}' could not be found or created: {ex.Message}";
            }
        }

        /// <summary>Sends one bulk call; a call the API rejects as a whole is split to isolate the bad rows.</summary>
        private async Task SendPartAsync(List<Entry> entries, long number, Dictionary<string, string> listIds, CancellationToken ct)
        {
            var contacts = new OutgoingContact[entries.Count];
            for (int i = 0; i < contacts.Length; i++) contacts[i] = new OutgoingContact(entries[i].Profile, listIds[entries[i].Segment]);
            var payload = AutopilotApiClient.SerializeContactsSegment(contacts);
            BulkUpsertResult result;
            try
            {
                result = await _policy.ExecuteAsync($"batch {number} ({entries.Count} contacts)",
                    token => _client.UpsertContactsAsync(payload, token), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The call may or may not have landed; only confirmed contacts count as exported.
                FailEntries(entries, ErrorIds.SendFailed, "not confirmed: the run stopped while this row's batch was being sent", quiet: true);
                return;
            }
            catch (AutopilotApiException ex) when (ex.IsAuthFailure)
            {
                Fatal(ErrorIds.Unauthorized, AuthMessage(ex));
                FailEntries(entries, ErrorIds.Unauthorized, "not sent: " + AuthMessage(ex), quiet: true);
                return;
            }
            catch (BrokenCircuitException ex)
            {
                Fatal(ErrorIds.ServiceUnavailable, OutageMessage(ex));
                FailEntries(entries, ErrorIds.ServiceUnavailable, "not sent: " + OutageMessage(ex), quiet: true);
                return;
            }
            catch (AutopilotApiException ex) when (!ex.IsTransient)
            {
                await SplitAsync(entries, number, listIds, ex, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is AutopilotApiException || ex is Polly.Timeout.TimeoutRejectedException)
            {
                FailEntries(entries, ErrorIds.SendFailed, $"not confirmed after {_options.MaxRetries} retries: {ex.Message}", quiet: false);
                return;
            }

            Tell(new VerboseEvent($"Batch {number}: {entries.Count} contacts sent, {result.ConfirmedCount} confirmed."));
            // Never assume 200 means all were taken: the API may skip invalid items silently.
            foreach (var entry in entries)
            {
                if (result.Confirms(entry.Profile.Email)) Succeed(entry);
                else Fail(entry, ErrorIds.NotInEmailContactMap,
                    "the API answered 200 but did not confirm this email (it is missing from email_contact_map), so it was not stored", quiet: false);
            }
        }

        private async Task SplitAsync(List<Entry> entries, long number, Dictionary<string, string> listIds, AutopilotApiException ex, CancellationToken ct)
        {
            var detail = ex.ApiMessage ?? ex.Message;
            if (entries.Count == 1)
            {
                Fail(entries[0], ErrorIds.RejectedByApi, $"the API rejected this contact ({ex.StatusCode}): {detail}", quiet: false);
                return;
            }

            // The contract: a rejected bulk call names the offending index. Take that one out and resend the
            // rest; without an index, halve until the bad rows are alone.
            var m = IndexInMessage.Match(detail);
            if (m.Success && int.TryParse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index >= 0 && index < entries.Count)
            {
                Fail(entries[index], ErrorIds.RejectedByApi, $"the API rejected this contact ({ex.StatusCode}): {detail}", quiet: false);
                var rest = new List<Entry>(entries);
                rest.RemoveAt(index);
                Tell(new VerboseEvent($"Batch {number}: rejected ({detail}); resending the other {rest.Count} contacts."));
                await SendPartAsync(rest, number, listIds, ct).ConfigureAwait(false);
                return;
            }

            Tell(new VerboseEvent($"Batch {number}: rejected as a whole ({ex.StatusCode}: {detail}); splitting {entries.Count} contacts to find the bad ones."));
            int half = entries.Count / 2;
            await SendPartAsync(entries.GetRange(0, half), number, listIds, ct).ConfigureAwait(false);
            await SendPartAsync(entries.GetRange(half, entries.Count - half), number, listIds, ct).ConfigureAwait(false);
        }

        private void OnRetry(RetryNotice notice)
        {
            Interlocked.Increment(ref _retries);
            if (notice.Throttled) Interlocked.Increment(ref _throttled);
            var cause = notice.Cause is AutopilotApiException api ? api.Message : notice.Cause?.Message ?? "failure";
            Tell(new VerboseEvent(string.Format(CultureInfo.InvariantCulture,
                "{0}: attempt {1} after {2}; waiting {3:0.0} s.", notice.Operation, notice.Attempt, cause, notice.Delay.TotalSeconds)));
        }

        private void Succeed(Entry entry)
        {
            if (_segments.TryGetValue(entry.Segment, out var state)) Interlocked.Increment(ref state.Exported);
            Finish(entry.Ticket);
        }

        private void Fail(Entry entry, string errorId, string reason, bool quiet)
        {
            Interlocked.CompareExchange(ref entry.Ticket.Failure, new Failure(errorId, reason, entry.Segment, quiet), null);
            Finish(entry.Ticket);
        }

        private void FailEntries(List<Entry> entries, string errorId, string reason, bool quiet)
        {
            foreach (var e in entries) Fail(e, errorId, reason, quiet);
        }

        private void Finish(RowTicket ticket)
        {
            if (Interlocked.Decrement(ref ticket.Remaining) != 0) return;
            var failure = Volatile.Read(ref ticket.Failure);
            if (failure == null) Interlocked.Increment(ref _exported);
            else Problem(ticket.Row, ticket.Tag, ticket.Email, RowOutcome.Failed, failure.ErrorId, failure.Reason, failure.Segment, failure.Quiet);
        }

        private void Fatal(string errorId, string message)
        {
            lock (_fatalLock)
            {
                if (_fatalId != null) return;
                _fatalMessage = message;
                _fatalId = errorId;
            }
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }

        private string AuthMessage(AutopilotApiException ex) =>
            $"Autopilot refused the API key ({ex.StatusCode}{(ex.ApiMessage != null ? ": " + ex.ApiMessage : "")}). " +
            $"The key of connection '{_options.ConnectionName}' is wrong or was revoked; store a new one with New-AutopilotConnection -Force.";

        private string OutageMessage(Exception ex) =>
            $"Autopilot at {_client.Endpoint} kept failing (most recent calls errored or timed out), so the run stopped instead of retrying for hours: {ex.Message}";

        public void Dispose()
        {
            Cancel();
            _report?.Dispose();
            _policy.Dispose();
            _cts.Dispose();
        }
    }
}
