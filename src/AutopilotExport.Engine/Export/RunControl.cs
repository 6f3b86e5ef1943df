using System;
using System.Threading;

namespace AutopilotExport.Engine.Export
{
    /// <summary>
    /// Whether the run goes on: cancelled by the caller, or stopped because it cannot go on (a refused key, an
    /// outage, a rejection that is the same for every row). The first stop wins; its id and message end the run.
    /// </summary>
    internal sealed class RunControl : IDisposable
    {
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly object _lock = new object();
        private volatile bool _cancelled;
        private volatile string? _stopId;
        private string? _stopMessage;

        public CancellationToken Token => _cts.Token;
        public bool IsCancelled => _cancelled;
        public bool IsStopping => _cts.IsCancellationRequested;
        /// <summary>Set once the run had to stop; null while it may go on.</summary>
        public string? StopId => _stopId;
        public string? StopMessage => _stopMessage;

        public void Cancel()
        {
            _cancelled = true;
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }

        public void Stop(string errorId, string message)
        {
            lock (_lock)
            {
                if (_stopId != null) return;
                _stopMessage = message;
                _stopId = errorId;
            }
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }

        public void Dispose() => _cts.Dispose();
    }
}
