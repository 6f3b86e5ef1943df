using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace AutopilotEmulator;

/// <summary>Request counters and the bounded log of recent requests; replaced wholesale by a reset.</summary>
internal sealed class StatsCollector
{
    public const int LogCapacity = 10_000;

    private sealed class Data
    {
        public readonly ConcurrentDictionary<(string Method, string Template, int Status), StrongBox<long>> Routes = new();
        public long Total, Throttled, ContactsWritten;
        public int BulkMax;
        public long E500, E503, Reset, AcceptThenFail, Malformed, Latency;
        public readonly object LogGate = new();
        public readonly EmulatorRequest?[] Log = new EmulatorRequest?[LogCapacity];
        public long LogCount;
    }

    private volatile Data _d = new();

    public void Reset() => _d = new Data();

    public void Record(string method, string template, int status, int? contactCount, string? fault, string path)
    {
        var d = _d;
        Interlocked.Increment(ref d.Total);
        var box = d.Routes.GetOrAdd((method, template, status), static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
        var entry = new EmulatorRequest
        {
            Time = DateTimeOffset.UtcNow, Method = method, Path = path, Route = method + " " + template,
            Status = status, ContactCount = contactCount, Fault = fault,
        };
        lock (d.LogGate)
        {
            d.Log[d.LogCount % LogCapacity] = entry;
            d.LogCount++;
        }
    }

    public void Throttled() => Interlocked.Increment(ref _d.Throttled);
    public void ContactsWritten(int n) => Interlocked.Add(ref _d.ContactsWritten, n);
    public void Latency() => Interlocked.Increment(ref _d.Latency);

    public void Fault(FaultKind kind)
    {
        var d = _d;
        switch (kind)
        {
            case FaultKind.Error500: Interlocked.Increment(ref d.E500); break;
            case FaultKind.Error503: Interlocked.Increment(ref d.E503); break;
            case FaultKind.Reset: Interlocked.Increment(ref d.Reset); break;
            case FaultKind.AcceptThenFail: Interlocked.Increment(ref d.AcceptThenFail); break;
            case FaultKind.Malformed: Interlocked.Increment(ref d.Malformed); break;
        }
    }

    public void BulkReceived(int n)
    {
        var d = _d;
        int cur;
        while (n > (cur = Volatile.Read(ref d.BulkMax)))
            if (Interlocked.CompareExchange(ref d.BulkMax, n, cur) == cur) break;
    }

    public EmulatorStats Snapshot()
    {
        var d = _d;
        var routes = new List<EmulatorRouteStat>();
        foreach (var kv in d.Routes)
            routes.Add(new EmulatorRouteStat { Route = kv.Key.Method + " " + kv.Key.Template, Status = kv.Key.Status, Count = Volatile.Read(ref kv.Value.Value) });
        routes.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.Route, b.Route);
            return c != 0 ? c : a.Status.CompareTo(b.Status);
        });
        return new EmulatorStats
        {
            TotalRequests = Volatile.Read(ref d.Total),
            Requests = routes,
            Throttled = Volatile.Read(ref d.Throttled),
            FaultsInjected = new EmulatorFaultCounts
            {
                Error500 = Volatile.Read(ref d.E500), Error503 = Volatile.Read(ref d.E503), Reset = Volatile.Read(ref d.Reset),
                AcceptThenFail = Volatile.Read(ref d.AcceptThenFail), Malformed = Volatile.Read(ref d.Malformed), Latency = Volatile.Read(ref d.Latency),
            },
            ContactsWritten = Volatile.Read(ref d.ContactsWritten),
            BulkContactsMax = Volatile.Read(ref d.BulkMax),
        };
    }

    /// <summary>The logged requests, oldest first (at most the last <see cref="LogCapacity"/>), and how many were logged in all.</summary>
    public List<EmulatorRequest> Requests(out long total)
    {
        var d = _d;
        lock (d.LogGate)
        {
            total = d.LogCount;
            int n = (int)Math.Min(d.LogCount, LogCapacity);
            var list = new List<EmulatorRequest>(n);
            long start = d.LogCount - n;
            for (long i = start; i < d.LogCount; i++) list.Add(d.Log[i % LogCapacity]!);
            return list;
        }
    }
}
