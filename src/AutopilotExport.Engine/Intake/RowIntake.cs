using System;
using System.Collections.Generic;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;
using AutopilotExport.Engine.Tally;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Intake
{
    /// <summary>
    /// The pipeline thread's part of a run: map → de-duplicate → cap → batch by count and by bytes. Not
    /// thread-safe; it never waits and never sends: full batches are handed back to the caller.
    /// </summary>
    internal sealed class RowIntake
    {
        private readonly ExportRunOptions _options;
        private readonly IContactDestination _destination;
        private readonly RunTally _tally;
        private readonly RunMessages _messages;
        private readonly ProfileMapper _mapper;
        private readonly EmailDeduplicator _dedup;
        private InputShape? _shape; // null once it has decided: the first few rows only
        private readonly int _maxBytes;
        private Batch _batch;
        private bool _autoMatchTold;
        private bool _capTold;
        private long _accepted; // profiles taken for sending (the cap counts these)
        private readonly bool _hash;
        private readonly bool _skipUnchanged;
        private readonly Func<string, string?>? _listIdOf;
        private readonly Dictionary<string, string?> _listIds = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        // Mirror: every valid email per segment (sent, unchanged or failed): a contact in here is in the segment.
        private readonly Dictionary<string, HashSet<string>>? _seen;

        /// <param name="listIdOf">The id of a segment's existing list (null: none); incremental runs ask it once per segment.</param>
        public RowIntake(ExportRunOptions options, IContactDestination destination, RunTally tally, RunMessages messages, Func<string, string?>? listIdOf = null)
        {
            _listIdOf = listIdOf;
            _options = options; _destination = destination; _tally = tally; _messages = messages;
            // The profile is encoded before the next row is mapped and not kept: the mapper may reuse it.
            _mapper = new ProfileMapper(options.FieldMap, options.SegmentProperty, reuseProfile: true);
            // Sized for the run's cap: a run within it never re-hashes the table (MaxProfiles counts rows; a row with
            // several segments is several pairs, and the table simply grows then).
            _dedup = new EmailDeduplicator(options.MaxProfiles);
            _maxBytes = options.MaxBatchBytes > 0 ? Math.Min(options.MaxBatchBytes, destination.MaxBatchBytes) : destination.MaxBatchBytes;
            _batch = NewBatch();
            _shape = new InputShape(options.FieldMap);
            _hash = options.Sync != null && !options.DryRun;
            _skipUnchanged = _hash && !options.Full && listIdOf != null;
            if (options.Mirror && options.Sync != null) _seen = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>True once a row was turned away by the profile cap: the input was not taken whole.</summary>
        public bool CapReached => _capTold;

        /// <summary>Mirror: the valid emails that came for the segment (null: none).</summary>
        public ISet<string>? SeenIn(string segment) => _seen != null && _seen.TryGetValue(segment, out var set) ? set : null;

        private Batch NewBatch() => new Batch(_options.BatchSize, _destination.BatchOverheadBytes);

        /// <summary>Takes one row; a batch that became full is added to <paramref name="ready"/>.</summary>
        [MethodImpl(HotPath.Optimize)]
        public void Take(long rowNumber, IRecordReader? row, object? tag, List<Batch> ready)
        {
            var mapped = _mapper.Map(row);
            if (_shape != null) Warn(_shape.Look(row));
            if (!_autoMatchTold && _mapper.AutoMatchDescription != null)
            {
                _autoMatchTold = true;
                _messages.Tell(new VerboseEvent("No field map given: matched " + _mapper.AutoMatchDescription + "."));
            }
            if (!mapped.Success)
            {
                // The email as given and the segment the row was meant for, so the report line says which contact it was.
                var segment = mapped.Segment ?? (_options.Segments.Count > 0 ? _options.Segments[0] : null);
                _tally.Problem(rowNumber, tag, mapped.RawEmail, RowOutcome.Invalid, mapped.ErrorId!, mapped.Reason!, segment, quiet: false);
                return;
            }
            Accept(rowNumber, tag, mapped.Profile!, ready);
        }

        [MethodImpl(HotPath.Optimize)]
        private void Accept(long rowNumber, object? tag, MappedProfile profile, List<Batch> ready)
        {
            IReadOnlyList<string> segments = profile.Segment != null ? new[] { profile.Segment } : _options.Segments;
            if (segments.Count == 0)
            {
                _tally.Problem(rowNumber, tag, profile.Email, RowOutcome.Invalid, ErrorIds.MissingSegment,
                    $"property '{_options.SegmentProperty}' (the segment) is empty and no segment was given for the run", null, quiet: false);
                return;
            }

            if (_seen != null)
            {
                foreach (var segment in segments)
                {
                    if (!_seen.TryGetValue(segment, out var set)) _seen[segment] = set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                    set.Add(profile.Email);
                }
            }

            // One segment (the usual case) needs no list of the fresh ones.
            IReadOnlyList<string> fresh;
            long firstRow = 0;
            if (segments.Count == 1)
            {
                fresh = _dedup.TryAdd(profile.Email, segments[0], rowNumber, out firstRow) ? segments : Array.Empty<string>();
            }
            else
            {
                var list = new List<string>(segments.Count);
                foreach (var segment in segments)
                {
                    if (_dedup.TryAdd(profile.Email, segment, rowNumber, out var first)) list.Add(segment);
                    else firstRow = first;
                }
                fresh = list;
            }
            if (fresh.Count == 0)
            {
                _tally.Problem(rowNumber, tag, profile.Email, RowOutcome.Duplicate, ErrorIds.DuplicateEmail,
                    $"'{profile.Email}' already came in row {firstRow} for segment '{segments[0]}'; the first row is kept", segments[0], quiet: false);
                return;
            }

            if (_accepted >= _options.MaxProfiles)
            {
                var quiet = _capTold;
                _capTold = true;
                _tally.Problem(rowNumber, tag, profile.Email, RowOutcome.Failed, ErrorIds.ProfileLimitExceeded,
                    $"the run reached its limit of {_options.MaxProfiles} profiles; this row and every later one are not sent", fresh[0], quiet);
                return;
            }
            _accepted++;

            var ticket = new RowTicket(rowNumber, tag, profile.Email, fresh.Count);
            // Encoded once for every segment of the row; the profile itself is not kept past this point.
            var contact = _options.DryRun ? Array.Empty<byte>() : _destination.EncodeContact(profile);
            int bytes = contact.Length + _destination.ContactOverheadBytes;
            // The contact exactly as sent, without its list: equal bytes mean the destination holds it so already.
            ulong hash = _hash ? SyncRecord.HashPayload(contact) : 0;
            for (int i = 0; i < fresh.Count; i++) // by index: no enumerator for the interface
            {
                var state = _tally.Take(fresh[i]);
                if (_options.DryRun) continue;
                // A list not there yet holds nobody: its contacts are sent (IsUnchanged with no list would ignore lists).
                if (_skipUnchanged && ListIdOf(state.Name) is string listId && _options.Sync!.IsUnchanged(profile.Email, hash, listId))
                {
                    // Filtered before batching, so the few changed contacts of a big input share full batches.
                    _tally.Unchanged(new Entry(profile.Email, contact, state, ticket, bytes, hash));
                    continue;
                }
                if (_batch.Count > 0 && _batch.Bytes + bytes > _maxBytes) Close(ready);
                _batch.Add(new Entry(profile.Email, contact, state, ticket, bytes, hash));
                if (_batch.Count >= _options.BatchSize) Close(ready);
            }
            if (_options.DryRun) _tally.WouldExport(); // "would be exported"; the summary says DryRun
        }

        private string? ListIdOf(string segment)
        {
            if (!_listIds.TryGetValue(segment, out var id)) _listIds[segment] = id = _listIdOf!(segment);
            return id;
        }

        private void Close(List<Batch> ready)
        {
            ready.Add(_batch);
            _batch = NewBatch();
        }

        /// <summary>The input has ended (not stopped or cancelled): what its size and shape say, once.</summary>
        public void EndOfInput()
        {
            if (_shape != null) Warn(_shape.Finish());
            if (_tally.Snapshot().Received == 0)
                _messages.Tell(new WarningEvent("No input came in (an empty file, or nothing piped in?): there was nothing to export, and nothing was sent."));
        }

        private void Warn(string? warning)
        {
            if (_shape != null && _shape.Decided) _shape = null;
            if (warning != null) _messages.Tell(new WarningEvent(warning));
        }

        /// <summary>One warning per mapped property that no row had (a misspelt property name), for the end of the run.</summary>
        public IReadOnlyList<string> PropertiesNotFound() => _mapper.PropertiesNotFound();

        /// <summary>The partly filled batch at the end of the input, if any.</summary>
        public Batch? TakeRest()
        {
            if (_batch.Count == 0) return null;
            var rest = _batch;
            _batch = NewBatch();
            return rest;
        }
    }
}
