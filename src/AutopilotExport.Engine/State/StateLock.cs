using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// A cross-process lock around read-modify-write of the state files (two scheduled tasks saving at once must
    /// not lose each other's change). An exclusive open of <c>.lock</c> in the state folder: .NET maps
    /// FileShare.None to a share lock on Windows and to flock on Unix.
    /// </summary>
    internal sealed class StateLock : IDisposable
    {
        private readonly FileStream _stream;

        private StateLock(FileStream stream) { _stream = stream; }

        public static StateLock Acquire(StateHome home, TimeSpan? timeout = null)
        {
            home.EnsureExists();
            var limit = timeout ?? TimeSpan.FromSeconds(15);
            var watch = Stopwatch.StartNew();
            int delay = 5;
            while (true)
            {
                try
                {
                    var stream = new FileStream(home.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                    // Every atomic write in the state folder happens under this lock: a temporary file seen now was
                    // left by a writer that was killed, and is removed.
                    AtomicFile.RemoveLeftovers(home.Path);
                    AtomicFile.RemoveLeftovers(home.SecretsFolder);
                    return new StateLock(stream);
                }
                catch (IOException) when (watch.Elapsed < limit)
                {
                    Thread.Sleep(delay);
                    delay = Math.Min(delay * 2, 100);
                }
                catch (IOException ex)
                {
                    throw new StateException(StateErrorIds.StateLocked,
                        $"The state folder '{home.Path}' stayed locked by another AutopilotExport process for {limit.TotalSeconds:0} s.", home.LockFile, ex);
                }
            }
        }

        public void Dispose() => _stream.Dispose();
    }
}
