using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;

namespace AutopilotExport.Engine.Send
{
    /// <summary>
    /// Finds the destination's list for each segment by name, creating it when missing. Lists are read once per
    /// run; creation is serialised, and a create that may have landed without an answer is checked against
    /// the lists before it is tried again (POST /list is not idempotent; the contract says look names up first).
    /// </summary>
    internal sealed class ListResolver
    {
        private readonly IContactDestination _client;
        private readonly ResiliencePolicy _policy;
        private readonly Action<string> _verbose;
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private readonly ConcurrentDictionary<string, ResolvedList> _resolved = new ConcurrentDictionary<string, ResolvedList>(StringComparer.OrdinalIgnoreCase);
        private List<ListInfo>? _existing;

        public ListResolver(IContactDestination client, ResiliencePolicy policy, Action<string> verbose)
        {
            _client = client; _policy = policy; _verbose = verbose;
        }

        internal sealed class ResolvedList
        {
            public ResolvedList(string id, bool created) { Id = id; Created = created; }
            public string Id { get; }
            public bool Created { get; }
        }

        public bool TryGetResolved(string segment, out ResolvedList list) => _resolved.TryGetValue(segment, out list!);

        public async Task<ResolvedList> ResolveAsync(string segment, CancellationToken ct)
        {
            if (_resolved.TryGetValue(segment, out var done)) return done;
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (_resolved.TryGetValue(segment, out done)) return done;
                var existing = await GetExistingAsync(ct, refresh: false).ConfigureAwait(false);
                var found = Find(existing, segment);
                if (found != null)
                {
                    _verbose($"List '{segment}' found ({found.ListId}).");
                    return _resolved[segment] = new ResolvedList(found.ListId, false);
                }

                int attempt = 0;
                var id = await _policy.ExecuteAsync($"POST /list '{segment}'", async token =>
                {
                    if (attempt++ > 0)
                    {
                        var again = Find(await _client.GetListsAsync(token).ConfigureAwait(false), segment);
                        if (again != null) return again.ListId;
                    }
                    try
                    {
                        return await _client.CreateListAsync(segment, token).ConfigureAwait(false);
                    }
                    catch (AutopilotApiException ex) when (ex.StatusCode == 409)
                    {
                        // Someone (or our own unanswered attempt) created it meanwhile.
                        var created = Find(await _client.GetListsAsync(token).ConfigureAwait(false), segment);
                        if (created != null) return created.ListId;
                        throw;
                    }
                }, ct).ConfigureAwait(false);
                _verbose($"List '{segment}' created ({id}).");
                return _resolved[segment] = new ResolvedList(id, true);
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>WhatIf: which segments already have a list. Null when the lists cannot be read.</summary>
        public async Task<Dictionary<string, bool>?> ProbeAsync(IEnumerable<string> segments, CancellationToken ct)
        {
            List<ListInfo> existing;
            try { existing = await GetExistingAsync(ct, refresh: false).ConfigureAwait(false); }
            catch (AutopilotApiException) { return null; }
            return segments.ToDictionary(s => s, s => Find(existing, s) != null, StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>The id of the segment's list when it exists (resolved in this run, or found by name); never creates one.</summary>
        public async Task<string?> ExistingIdAsync(string segment, CancellationToken ct)
        {
            if (_resolved.TryGetValue(segment, out var done)) return done.Id;
            return Find(await GetExistingAsync(ct, refresh: false).ConfigureAwait(false), segment)?.ListId;
        }

        private async Task<List<ListInfo>> GetExistingAsync(CancellationToken ct, bool refresh)
        {
            if (_existing != null && !refresh) return _existing;
            var lists = await _policy.ExecuteAsync("GET /lists", token => _client.GetListsAsync(token), ct).ConfigureAwait(false);
            return _existing = lists.ToList();
        }

        /// <summary>Exact title first; else the one title that matches ignoring case.</summary>
        private static ListInfo? Find(IEnumerable<ListInfo> lists, string segment)
        {
            ListInfo? folded = null;
            foreach (var l in lists)
            {
                if (string.Equals(l.Title, segment, StringComparison.Ordinal)) return l;
                if (folded == null && string.Equals(l.Title, segment, StringComparison.OrdinalIgnoreCase)) folded = l;
            }
            return folded;
        }
    }
}
