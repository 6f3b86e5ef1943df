using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Intake;
using AutopilotExport.Engine.State;
using AutopilotExport.Engine.Tally;
using Polly.CircuitBreaker;

namespace AutopilotExport.Engine.Send
{
    /// <summary>
    /// The background part of a run: take batches from the channel, find each segment's list, send, split a
    /// rejected batch to isolate the bad rows, and check every answer. Each contact ends in the tally as
    /// confirmed or failed with its reason; nothing here talks to the caller except through the run's messages.
    /// </summary>
    internal sealed class Senders
    {
        private const string NotSent = "not sent: the run stopped before this row's batch went out";

        private readonly IContactDestination _destination;
        private readonly ResiliencePolicy _policy;
        private readonly ListResolver _lists;
        private readonly RunTally _tally;
        private readonly RunMessages _messages;
        private readonly RunControl _control;
        private readonly int _maxRetries;
        private readonly int _maxBytes;
        private readonly RejectionWatch _watch = new RejectionWatch();
        private readonly SyncRecord? _sync;
        private int _recordFailureTold;

        public Senders(IContactDestination destination, ResiliencePolicy policy, ListResolver lists, RunTally tally, RunMessages messages,
            RunControl control, int maxRetries, int maxBytes, SyncRecord? sync = null)
        {
            _destination = destination; _policy = policy; _lists = lists; _tally = tally; _messages = messages;
            _control = control; _maxRetries = maxRetries; _maxBytes = maxBytes;
            _sync = sync;
        }

        public async Task RunAsync(ChannelReader<Batch> reader)
        {
            var ct = _control.Token;
            try
            {
                while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
                {
                    while (reader.TryRead(out var batch))
                    {
                        if (ct.IsCancellationRequested)
                        {
                            _tally.FailAll(batch.Entries, ErrorIds.SendFailed, NotSent, quiet: true);
                            continue;
                        }
                        try
                        {
                            await SendAsync(batch.Entries, ct).ConfigureAwait(false);
                        }
                        catch (Exception ex)
                        {
                            // Never lose rows to an unexpected fault: they end as Failed with the reason.
                            _tally.FailAll(batch.Entries, ErrorIds.SendFailed, "not sent: " + ex.Message, quiet: false);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Cancelled or stopped: the runner accounts for what is left in the channel.
            }
        }

        /// <summary>Fails the batches nobody took (the run was cancelled or had to stop).</summary>
        public void FailLeftOver(ChannelReader<Batch> reader)
        {
            while (reader.TryRead(out var left)) _tally.FailAll(left.Entries, ErrorIds.SendFailed, NotSent, quiet: true);
        }

        public void FailNotSent(Batch batch) => _tally.FailAll(batch.Entries, ErrorIds.SendFailed, NotSent, quiet: true);

        private bool Quiet(CancellationToken ct) => _control.StopId != null || ct.IsCancellationRequested;

        private async Task SendAsync(List<Entry> entries, CancellationToken ct)
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
                        _tally.FailAll(group, ErrorIds.ListUnavailable, failure, quiet: Quiet(ct));
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
                    _tally.FailAll(entries, ErrorIds.ListUnavailable, failure, quiet: Quiet(ct));
                    return;
                }
            }
            if (sendable.Count > 0) await SendPartAsync(sendable, _tally.BatchNumber(), listIds, ct).ConfigureAwait(false);
        }

        /// <summary>Records the contacts the API confirmed in the sync record, so a rerun (also after a kill) skips them.</summary>
        private void Record(List<ConfirmedContact> confirmed)
        {
            if (_sync == null || confirmed.Count == 0) return;
            try
            {
                _sync.RecordConfirmed(confirmed);
            }
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
            {
                // The contacts are exported all the same; the next run sends them again.
                if (Interlocked.Exchange(ref _recordFailureTold, 1) == 0)
                    _messages.Tell(new WarningEvent($"The sync record could not be written ({ex.Message}); the contacts sent are exported, and the next run sends them again."));
            }
        }

        private static bool AllOneSegment(List<Entry> entries)
        {
            // Entries of one segment share the tally's name instance.
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
                _control.Stop(ErrorIds.Unauthorized, AuthMessage(ex));
                return "not sent: " + AuthMessage(ex);
            }
            catch (BrokenCircuitException ex)
            {
                _control.Stop(ErrorIds.ServiceUnavailable, OutageMessage(ex));
                return "not sent: " + OutageMessage(ex);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return NotSent;
            }
            catch (Exception ex)
            {
                return $"the list for segment '{segment}' could not be found or created: {ex.Message}";
            }
        }

        /// <summary>Sends one bulk call; a call the API rejects as a whole is split to isolate the bad rows.</summary>
        private async Task SendPartAsync(List<Entry> entries, long number, Dictionary<string, string> listIds, CancellationToken ct)
        {
            if (ct.IsCancellationRequested)
            {
                _tally.FailAll(entries, ErrorIds.SendFailed, NotSent, quiet: true);
                return;
            }
            var payload = _destination.BuildPayload(Outgoing(entries, listIds));
            if (payload.Count > _maxBytes && entries.Count > 1)
            {
                // Intake bounds batches by an upper bound (list ids are at most 128 bytes); should the payload still be over, halve it unsent.
                _destination.ReturnPayload(payload);
                int half = entries.Count / 2;
                await SendPartAsync(entries.GetRange(0, half), number, listIds, ct).ConfigureAwait(false);
                await SendPartAsync(entries.GetRange(half, entries.Count - half), number, listIds, ct).ConfigureAwait(false);
                return;
            }

            BulkUpsertResult result;
            try
            {
                try
                {
                    result = await _policy.ExecuteAsync($"batch {number} ({entries.Count} contacts)",
                        token => _destination.SendBatchAsync(payload, token), ct).ConfigureAwait(false);
                }
                finally
                {
                    // Every attempt is over (the policy waits for a timed-out call to end): the body is free again.
                    _destination.ReturnPayload(payload);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The call may or may not have landed; only confirmed contacts count as exported.
                _tally.FailAll(entries, ErrorIds.SendFailed, "not confirmed: the run stopped while this row's batch was being sent", quiet: true);
                return;
            }
            catch (AutopilotApiException ex) when (ex.IsAuthFailure)
            {
                _control.Stop(ErrorIds.Unauthorized, AuthMessage(ex));
                _tally.FailAll(entries, ErrorIds.Unauthorized, "not sent: " + AuthMessage(ex), quiet: true);
                return;
            }
            catch (BrokenCircuitException ex)
            {
                _control.Stop(ErrorIds.ServiceUnavailable, OutageMessage(ex));
                _tally.FailAll(entries, ErrorIds.ServiceUnavailable, "not sent: " + OutageMessage(ex), quiet: true);
                return;
            }
            catch (AutopilotApiException ex) when (!ex.IsTransient)
            {
                await SplitAsync(entries, number, listIds, ex, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is AutopilotApiException || ex is Polly.Timeout.TimeoutRejectedException)
            {
                _tally.FailAll(entries, ErrorIds.SendFailed, $"not confirmed after {_maxRetries} retries: {ex.Message}", quiet: false);
                return;
            }

            _messages.Tell(new VerboseEvent($"Batch {number}: {entries.Count} contacts sent, {result.ConfirmedCount} confirmed."));
            Settle(entries, result, listIds);
        }

        // The per-contact loops of a request live outside the async methods, so they can be compiled fully at their
        // first call (an async method's body cannot carry the attribute).

        [MethodImpl(HotPath.Optimize)]
        private static OutgoingContact[] Outgoing(List<Entry> entries, Dictionary<string, string> listIds)
        {
            var contacts = new OutgoingContact[entries.Count];
            string? segment = null, listId = null;
            for (int i = 0; i < contacts.Length; i++)
            {
                // Entries of a segment share one name instance: one look-up per segment, not per contact.
                if (!ReferenceEquals(entries[i].Segment, segment)) { segment = entries[i].Segment; listId = listIds[segment]; }
                contacts[i] = new OutgoingContact(entries[i].Contact, listId);
            }
            return contacts;
        }

        /// <summary>Every contact of an answered request ends confirmed or failed, and confirmed ones are recorded.</summary>
        [MethodImpl(HotPath.Optimize)]
        private void Settle(List<Entry> entries, BulkUpsertResult result, Dictionary<string, string> listIds)
        {
            // Never assume 200 means all were taken: the API may skip invalid items silently.
            var confirms = new bool[entries.Count];
            bool any = false;
            for (int i = 0; i < confirms.Length; i++) any |= confirms[i] = result.Confirms(entries[i].Email);
            if (any) _watch.Confirmed();
            if (_sync != null)
            {
                // Recorded before the rows are counted: a run killed now finds them confirmed next time.
                var confirmed = new List<ConfirmedContact>(entries.Count);
                for (int i = 0; i < confirms.Length; i++)
                    if (confirms[i]) confirmed.Add(new ConfirmedContact(entries[i].Email, entries[i].Hash, listIds[entries[i].Segment]));
                Record(confirmed);
            }
            for (int i = 0; i < confirms.Length; i++)
            {
                if (confirms[i])
                {
                    _tally.Succeed(entries[i]);
                }
                else
                {
                    _tally.Fail(entries[i], ErrorIds.NotInEmailContactMap,
                        "the API answered 200 but did not confirm this email (it is missing from email_contact_map), so it was not stored", quiet: false);
                }
            }
        }

        private async Task SplitAsync(List<Entry> entries, long number, Dictionary<string, string> listIds, AutopilotApiException ex, CancellationToken ct)
        {
            var detail = ex.ApiMessage ?? ex.Message;
            int? index = entries.Count == 1 ? 0 : _destination.RejectedIndex(ex, entries.Count);
            if (index is int bad)
            {
                Reject(entries[bad], ex, detail, firstOfRequest: bad == 0);
                if (entries.Count == 1) return;
                // The contract: a rejected bulk call names the offending index. Take that one out and resend the rest.
                var rest = new List<Entry>(entries);
                rest.RemoveAt(bad);
                _messages.Tell(new VerboseEvent($"Batch {number}: rejected ({detail}); resending the other {rest.Count} contacts."));
                await SendPartAsync(rest, number, listIds, ct).ConfigureAwait(false);
                return;
            }

            // Without an index, halve until the bad rows are alone.
            _messages.Tell(new VerboseEvent($"Batch {number}: rejected as a whole ({ex.StatusCode}: {detail}); splitting {entries.Count} contacts to find the bad ones."));
            int half = entries.Count / 2;
            await SendPartAsync(entries.GetRange(0, half), number, listIds, ct).ConfigureAwait(false);
            await SendPartAsync(entries.GetRange(half, entries.Count - half), number, listIds, ct).ConfigureAwait(false);
        }

        private void Reject(Entry entry, AutopilotApiException ex, string detail, bool firstOfRequest)
        {
            // Counted before the row is told: with several senders, refusals of requests already under way when the
            // rule was seen would otherwise race the stop and show more than the few that showed the rule.
            int streak = firstOfRequest ? _watch.Rejected(_destination.RejectionReason(ex)) : 0;
            _tally.Fail(entry, ErrorIds.RejectedByApi, $"the API rejected this contact ({ex.StatusCode}): {detail}",
                quiet: Quiet(_control.Token) || streak > RejectionWatch.Threshold);
            if (!firstOfRequest)
            {
                // The contacts before it in the request were not refused: whatever the reason is, it is about rows.
                _watch.Confirmed();
                return;
            }
            if (streak >= RejectionWatch.Threshold)
            {
                _control.Stop(ErrorIds.RejectedForEveryRow, string.Format(CultureInfo.InvariantCulture,
                    "{0} at {1} rejected {2} contacts in a row for the same reason and stored none in between, so the reason is not about the rows " +
                    "and the run stopped instead of sending every row to be refused alike: {3}",
                    "The API", _destination.Endpoint, RejectionWatch.Threshold, detail));
            }
        }

        internal static string AuthMessage(AutopilotApiException ex) =>
            $"Autopilot refused the API key ({ex.StatusCode}{(ex.ApiMessage != null ? ": " + ex.ApiMessage : "")}).";

        private string OutageMessage(Exception ex) => OutageMessage(_destination.Endpoint, ex);

        internal static string OutageMessage(string endpoint, Exception ex) =>
            $"Autopilot at {endpoint} kept failing (most recent calls errored or timed out), so the run stopped instead of retrying for hours: {ex.Message}";
    }
}
