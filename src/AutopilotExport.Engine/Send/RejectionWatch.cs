using System.Threading;

namespace AutopilotExport.Engine.Send
{
    /// <summary>
    /// Tells a rejection of the rows from a rejection of the run: when the API refuses several contacts one
    /// after another for the same reason (position taken out), each the first of its request, and confirms
    /// none in between, the reason is not
    /// about a row (a custom field name it does not take, a field sent with another type than it was created
    /// with) and would cost one request per row. Shared by all senders.
    /// </summary>
    internal sealed class RejectionWatch
    {
        /// <summary>Rejections in a row, for one reason, that stop the run: few requests, and no chance that
        /// a handful of rows with the same bad value looks like a rule.</summary>
        public const int Threshold = 5;

        private readonly object _lock = new object();
        private string? _reason;
        private int _streak;

        /// <summary>A contact was confirmed: whatever was refused before is about rows, not the run.</summary>
        public void Confirmed()
        {
            if (Volatile.Read(ref _streak) == 0) return; // the hot path: no lock
            lock (_lock) { _streak = 0; _reason = null; }
        }

        /// <summary>One contact refused for <paramref name="reason"/>: how many in a row were refused for it, this
        /// one included. At <see cref="Threshold"/> the run stops; above it, the refusal is one of the requests that
        /// were already under way, and is told only by the run's error.</summary>
        public int Rejected(string reason)
        {
            lock (_lock)
            {
                if (reason == _reason) _streak++;
                else { _reason = reason; _streak = 1; }
                return _streak;
            }
        }
    }
}
