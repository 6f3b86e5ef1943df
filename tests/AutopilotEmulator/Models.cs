using System;
using System.Collections.Generic;
using System.Globalization;

namespace AutopilotEmulator;

/// <summary>Snapshot of one stored contact.</summary>
public sealed class EmulatorContact
{
    /// <summary>"person_&lt;UPPERCASE GUID&gt;".</summary>
    public required string ContactId { get; init; }
    /// <summary>The email, spelled as in the latest write that carried it.</summary>
    public required string Email { get; init; }
    /// <summary>Every standard field stored (Email included; <c>unsubscribed</c> is <see cref="Unsubscribed"/>): string values, NumberOfEmployees may be a long.</summary>
    public required IReadOnlyDictionary<string, object> Fields { get; init; }
    /// <summary>Custom fields by typed key ("string--Loyalty--Tier"): string (string, date), long (integer), double (float) or bool (boolean).</summary>
    public required IReadOnlyDictionary<string, object> Custom { get; init; }
    public required bool Unsubscribed { get; init; }
    /// <summary>Ids of the lists the contact is on, in joining order.</summary>
    public required IReadOnlyList<string> Lists { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>A standard field as text (null when not stored).</summary>
    public string? this[string field] =>
        Fields.TryGetValue(field, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

    public override string ToString() => $"{ContactId} <{Email}>";
}

/// <summary>Snapshot of one list.</summary>
public sealed class EmulatorList
{
    public required string ListId { get; init; }
    public required string Title { get; init; }
    /// <summary>Contact ids on the list, in joining order.</summary>
    public required IReadOnlyList<string> ContactIds { get; init; }
    public int ContactCount => ContactIds.Count;
    public override string ToString() => $"{ListId} '{Title}' ({ContactCount})";
}

/// <summary>Request count for one route template ("POST /v1/contacts") and status (0 = connection aborted by a fault).</summary>
public sealed class EmulatorRouteStat
{
    public required string Route { get; init; }
    public required int Status { get; init; }
    public required long Count { get; init; }
}

/// <summary>Number of injected faults per kind.</summary>
public sealed class EmulatorFaultCounts
{
    public long Error500 { get; init; }
    public long Error503 { get; init; }
    public long Reset { get; init; }
    public long AcceptThenFail { get; init; }
    public long Malformed { get; init; }
    /// <summary>Requests delayed by latencyMs and/or a latency spike.</summary>
    public long Latency { get; init; }
    public long Total => Error500 + Error503 + Reset + AcceptThenFail + Malformed;
}

/// <summary>Snapshot of the emulator's counters since start or the last reset (inspection routes are not counted).</summary>
public sealed class EmulatorStats
{
    public required long TotalRequests { get; init; }
    public required IReadOnlyList<EmulatorRouteStat> Requests { get; init; }
    /// <summary>Requests answered 429.</summary>
    public required long Throttled { get; init; }
    public required EmulatorFaultCounts FaultsInjected { get; init; }
    /// <summary>Contact writes (each upserted contact of each accepted call counts once).</summary>
    public required long ContactsWritten { get; init; }
    /// <summary>Largest number of items received in one POST /v1/contacts body (rejected bodies included).</summary>
    public required int BulkContactsMax { get; init; }

    /// <summary>Requests on a route template ("POST /v1/contacts"), optionally only those answered <paramref name="status"/>.</summary>
    public long Count(string route, int? status = null)
    {
        long n = 0;
        foreach (var r in Requests)
            if (string.Equals(r.Route, route, StringComparison.OrdinalIgnoreCase) && (status == null || r.Status == status)) n += r.Count;
        return n;
    }
}

/// <summary>One entry of the recent-request log.</summary>
public sealed class EmulatorRequest
{
    public required DateTimeOffset Time { get; init; }
    public required string Method { get; init; }
    public required string Path { get; init; }
    /// <summary>"POST /v1/contacts" (the route template), or "GET (unmatched)".</summary>
    public required string Route { get; init; }
    /// <summary>Status answered; 0 when the connection was aborted by a fault.</summary>
    public required int Status { get; init; }
    /// <summary>Items in the body of a bulk call (POST /v1/contacts); null otherwise.</summary>
    public int? ContactCount { get; init; }
    /// <summary>Injected fault: error500, error503, reset, acceptThenFail, malformed; null when none.</summary>
    public string? Fault { get; init; }
}
