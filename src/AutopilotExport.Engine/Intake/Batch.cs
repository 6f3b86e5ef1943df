using System.Collections.Generic;
using AutopilotExport.Engine.Tally;

namespace AutopilotExport.Engine.Intake
{
    /// <summary>One received row on its way: done when every segment's contact has an answer.</summary>
    internal sealed class RowTicket
    {
        public RowTicket(long row, object? tag, string email, int parts) { Row = row; Tag = tag; Email = email; Remaining = parts; }
        public long Row { get; }
        /// <summary>The caller's own input object, handed back with the row's error.</summary>
        public object? Tag { get; }
        public string Email { get; }
        public int Remaining;
        public RowFailure? Failure;
        /// <summary>1 once a part of the row was sent and confirmed; a row whose parts were all unchanged ends Unchanged.</summary>
        public int Sent;
    }

    internal sealed class RowFailure
    {
        public RowFailure(string errorId, string reason, string segment, bool quiet) { ErrorId = errorId; Reason = reason; Segment = segment; Quiet = quiet; }
        public string ErrorId { get; }
        public string Reason { get; }
        public string Segment { get; }
        /// <summary>Counted and reported, but not raised as an error of its own (the run's one error says why).</summary>
        public bool Quiet { get; }
    }

    /// <summary>One contact to send: a row's profile for one segment, encoded as the destination carries it.</summary>
    internal readonly struct Entry
    {
        public Entry(string email, byte[] contact, RunTally.SegmentState segment, RowTicket ticket, int bytes, ulong hash = 0)
        {
            Email = email; Contact = contact; State = segment; Ticket = ticket; Bytes = bytes; Hash = hash;
        }
        public string Email { get; }
        /// <summary>The contact without its list reference (empty in a WhatIf run, which encodes nothing).</summary>
        public byte[] Contact { get; }
        /// <summary>The segment's counters: held here so a confirmed contact is counted without a look-up.</summary>
        public RunTally.SegmentState State { get; }
        /// <summary>The segment's name; one instance per segment, so entries of a segment compare by reference.</summary>
        public string Segment => State.Name;
        public RowTicket Ticket { get; }
        /// <summary>Upper bound of what the contact adds to a request body, list reference included.</summary>
        public int Bytes { get; }
        /// <summary>Hash of the contact as sent, without its list (incremental runs); 0: not hashed.</summary>
        public ulong Hash { get; }
    }

    /// <summary>Contacts for one bulk call, bounded by count and by bytes.</summary>
    internal sealed class Batch
    {
        public Batch(int capacity, int overheadBytes) { Entries = new List<Entry>(capacity); Bytes = overheadBytes; }
        public List<Entry> Entries { get; }
        public int Bytes { get; private set; }
        public int Count => Entries.Count;

        public void Add(Entry entry)
        {
            Entries.Add(entry);
            Bytes += entry.Bytes;
        }
    }
}
