using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.State;
using AutopilotExport.Engine.Tally;
using Polly.CircuitBreaker;

namespace AutopilotExport.Engine.Send
{
    /// <summary>
    /// Mirror mode, after a run that read its whole input: the contacts this export put on a segment's list (the
    /// sync record) that did not come for the segment this time are taken off that list — only off the list, and
    /// only contacts the export itself put there. A guard rail refuses the whole plan when a list would lose more
    /// than the limit's share of the export's contacts (an empty or cut-off input file must not empty a list).
    /// Removals go through the run's pace and resilience, as upserts do.
    /// </summary>
    internal sealed class ListMirror
    {
        private readonly IContactDestination _destination;
        private readonly ResiliencePolicy _policy;
        private readonly RunTally _tally;
        private readonly RunMessages _messages;
        private readonly RunControl _control;
        private readonly SyncRecord _sync;

        public ListMirror(IContactDestination destination, ResiliencePolicy policy, RunTally tally, RunMessages messages, RunControl control, SyncRecord sync)
        {
            _destination = destination; _policy = policy; _tally = tally; _messages = messages; _control = control; _sync = sync;
        }

        /// <summary>Who leaves which list: per (segment, list id), the export's members of the list absent from <paramref name="seen"/>.</summary>
        public List<PlannedRemoval> Plan(IEnumerable<(string Segment, string ListId)> lists, Func<string, ISet<string>?> seen, int maxPercent)
        {
            var plans = new List<PlannedRemoval>();
            foreach (var (segment, listId) in lists)
            {
                var members = _sync.MembersOf(listId);
                if (members.Count == 0) continue;
                var present = seen(segment);
                var leaving = members.Where(m => present == null || !present.Contains(m)).OrderBy(m => m, StringComparer.Ordinal).ToList();
                if (leaving.Count == 0) continue;
                plans.Add(new PlannedRemoval
                {
                    Segment = segment,
                    ListId = listId,
                    Members = members.Count,
                    Emails = leaving,
                    // Integer arithmetic: 21 of 100 at a limit of 20 is over; 20 of 100 is not.
                    OverLimit = (long)leaving.Count * 100 > (long)members.Count * maxPercent,
                });
            }
            return plans;
        }

        /// <summary>The guard rail's message for the lists over the limit (engine wording: names no parameter).</summary>
        public static string LimitMessage(IEnumerable<PlannedRemoval> over, int maxPercent) =>
            "Mirror would take " + string.Join("; ", over.Select(p => string.Format(CultureInfo.InvariantCulture,
                "{0} of the {1} contacts this export put on list '{2}' ({3:0.#}%)", p.Emails.Count, p.Members, p.Segment, p.Emails.Count * 100.0 / p.Members))) +
            string.Format(CultureInfo.InvariantCulture, " off, more than the limit of {0}% of a list, so nobody was removed (an empty or cut-off input looks like this).", maxPercent);

        /// <summary>Removes the planned contacts with <paramref name="workers"/> callers at the run's pace; waits on the
        /// calling thread, handing messages to <paramref name="drain"/> meanwhile.</summary>
        public void Remove(IReadOnlyList<PlannedRemoval> plans, int workers, Action drain)
        {
            var work = new ConcurrentQueue<(PlannedRemoval Plan, string Email)>(plans.SelectMany(p => p.Emails.Select(e => (p, e))));
            if (work.IsEmpty) return;
            _messages.Tell(new VerboseEvent(string.Format(CultureInfo.InvariantCulture, "Mirror: taking {0} contacts off {1} list(s) (they left the segment).",
                work.Count, plans.Count)));
            var tasks = Enumerable.Range(0, Math.Max(1, Math.Min(workers, work.Count))).Select(_ => Task.Run(() => WorkAsync(work))).ToArray();
            var all = Task.WhenAll(tasks);
            while (!all.Wait(100)) drain();
        }

        private async Task WorkAsync(ConcurrentQueue<(PlannedRemoval Plan, string Email)> work)
        {
            var ct = _control.Token;
            while (!ct.IsCancellationRequested && work.TryDequeue(out var item))
            {
                var (plan, email) = item;
                bool wasOn;
                try
                {
                    wasOn = await _policy.ExecuteAsync($"remove {email} from list '{plan.Segment}'",
                        token => _destination.RemoveFromListAsync(plan.ListId, email, token), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (AutopilotApiException ex) when (ex.IsAuthFailure)
                {
                    _control.Stop(ErrorIds.Unauthorized, Senders.AuthMessage(ex));
                    return;
                }
                catch (BrokenCircuitException ex)
                {
                    _control.Stop(ErrorIds.ServiceUnavailable, Senders.OutageMessage(_destination.Endpoint, ex));
                    return;
                }
                catch (Exception ex) when (ex is AutopilotApiException || ex is Polly.Timeout.TimeoutRejectedException)
                {
                    // The membership stays in the record: the next Mirror run tries again.
                    _tally.RemovalFailed();
                    _messages.Tell(new WarningEvent($"Mirror could not take '{email}' off list '{plan.Segment}' ({ErrorIds.RemovalFailed}): {ex.Message}"));
                    continue;
                }
                try
                {
                    _sync.RecordRemoved(plan.ListId, new[] { email });
                }
                catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
                {
                    _messages.Tell(new WarningEvent($"The sync record could not note that '{email}' left list '{plan.Segment}' ({ex.Message}); the next Mirror run removes it again, harmlessly."));
                }
                _tally.Removed(plan.Segment);
                if (!wasOn) _messages.Tell(new VerboseEvent($"Mirror: '{email}' was not on list '{plan.Segment}' any more."));
            }
        }
    }
}
