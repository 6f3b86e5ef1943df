using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace AutopilotExport.Engine.State
{
    /// <summary>
    /// The run history of saved exports: history/&lt;export&gt;.json per export, newest first, at most
    /// <see cref="RunStart.KeepRuns"/> (default <see cref="DefaultKeepRuns"/>) runs per export; the row reports of runs
    /// pruned from the history are deleted with them when they lie in the state folder's reports folder (a report the
    /// user sent elsewhere with -ReportPath is theirs and is never deleted).
    /// <para>
    /// A dead run is told from a live one by a lock that the live run holds: <see cref="Begin"/> creates
    /// history/&lt;export&gt;.&lt;id&gt;.running and keeps it open exclusively until <see cref="Complete"/> (or until the
    /// <see cref="ActiveRun"/> is disposed, or the process ends — the operating system then drops the lock, whatever
    /// killed the process). A reader that can take that lock, or finds no lock file and no live process with the
    /// recorded id and start time, reports the run as <see cref="RunStatus.Interrupted"/> and stores that. The
    /// process id and start time are a fallback for a lock file removed by hand, and tell the user which process it was.
    /// </para>
    /// Every change is a locked read-modify-write with an atomic replace, like the other state files, and the files
    /// get the same StrictModes checks.
    /// </summary>
    public sealed class RunHistoryStore
    {
        public const int DefaultKeepRuns = 50;
        public const int MaxKeepRuns = 10_000;
        private const string RunningSuffix = ".running";

        public RunHistoryStore(StateHome home, int defaultKeepRuns = DefaultKeepRuns)
        {
            Home = home ?? throw new ArgumentNullException(nameof(home));
            if (defaultKeepRuns < 1 || defaultKeepRuns > MaxKeepRuns) throw new ArgumentOutOfRangeException(nameof(defaultKeepRuns));
            DefaultKeep = defaultKeepRuns;
        }

        public StateHome Home { get; }
        public int DefaultKeep { get; }
        public string HistoryFolder => Path.Combine(Home.Path, "history");

        /// <summary>The history file of an export (names are case-insensitive; the file name is made safe).</summary>
        public string FileOf(string export) => Path.Combine(HistoryFolder, StateNames.ToFileName(export, ".json"));

        /// <summary>
        /// Records a run as <see cref="RunStatus.Running"/> and holds its liveness lock; prunes the oldest runs beyond the
        /// limit (with their reports). Dispose the result when the run is over (after <see cref="Complete"/>).
        /// </summary>
        public ActiveRun Begin(RunStart start, DateTimeOffset now)
        {
            if (start == null) throw new ArgumentNullException(nameof(start));
            var export = StateNames.Validate(start.Export, "export");
            var keep = start.KeepRuns ?? DefaultKeep;
            if (keep < 1 || keep > MaxKeepRuns) throw new ArgumentOutOfRangeException(nameof(start), $"KeepRuns must be 1 to {MaxKeepRuns}.");
            var record = new RunRecord
            {
                Id = NewId(now),
                Export = export,
                Connection = start.Connection ?? "",
                StartedAt = now,
                Status = RunStatus.Running,
                Segments = (start.Segments ?? Array.Empty<string>()).ToList(),
                SyncMode = string.IsNullOrWhiteSpace(start.SyncMode) ? "Upsert" : start.SyncMode,
                Full = start.Full,
                ReportPath = start.ReportPath,
                MachineName = Environment.MachineName,
            };
            using (var self = Process.GetCurrentProcess())
            {
                record.ProcessId = self.Id;
                try { record.ProcessStartedAt = new DateTimeOffset(self.StartTime); }
                catch (Exception ex) when (ex is InvalidOperationException || ex is NotSupportedException || ex is System.ComponentModel.Win32Exception) { }
            }

            FileStream liveness;
            var pruned = new List<RunRecord>();
            using (StateLock.Acquire(Home))
            {
                Home.EnsureFolder(HistoryFolder);
                AtomicFile.RemoveLeftovers(HistoryFolder);
                // The lock first: a record never says Running without a live lock behind it.
                liveness = new FileStream(LivenessFile(export, record.Id), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                try
                {
                    UnixPermissions.Set(LivenessFile(export, record.Id), UnixPermissions.OwnerOnlyFile);
                    var doc = Load(export);
                    MarkDeadRuns(doc);
                    doc.Runs.Insert(0, record.Clone());
                    while (doc.Runs.Count > keep)
                    {
                        var oldest = doc.Runs.OrderBy(r => r.StartedAt).ThenBy(r => r.Id, StringComparer.Ordinal).First();
                        doc.Runs.Remove(oldest);
                        pruned.Add(oldest);
                    }
                    Store(export, doc);
                }
                catch
                {
                    liveness.Dispose();
                    DeleteQuietly(LivenessFile(export, record.Id));
                    throw;
                }
            }
            foreach (var old in pruned) DeleteOwnReport(old.ReportPath);
            return new ActiveRun(this, record, liveness);
        }

        /// <summary>Completes the run's record with its outcome and releases its liveness lock. Returns the stored record.</summary>
        public RunRecord Complete(ActiveRun run, RunOutcome outcome, DateTimeOffset now)
        {
            if (run == null) throw new ArgumentNullException(nameof(run));
            if (outcome == null) throw new ArgumentNullException(nameof(outcome));
            if (outcome.Status == RunStatus.Running) throw new ArgumentException("A completed run cannot be Running.", nameof(outcome));
            var record = run.Record.Clone();
            record.Status = outcome.Status;
            record.EndedAt = now;
            record.Counts = (outcome.Counts ?? new RunCounts()).Clone();
            if (outcome.ReportPath != null) record.ReportPath = outcome.ReportPath;
            record.ErrorId = outcome.ErrorId;
            record.Message = outcome.Message;
            using (StateLock.Acquire(Home))
            {
                var doc = Load(record.Export);
                var index = doc.Runs.FindIndex(r => r.Id == record.Id);
                // Pruned meanwhile (a tiny limit and many parallel runs): the outcome is still recorded.
                if (index >= 0) doc.Runs[index] = record.Clone(); else doc.Runs.Insert(0, record.Clone());
                Store(record.Export, doc);
            }
            run.Release(completed: true);
            return record;
        }

        /// <summary>
        /// Runs newest first: of one export (null: of all), at most <paramref name="last"/> (null: all kept). A run
        /// recorded as Running whose process is gone is returned, and stored, as <see cref="RunStatus.Interrupted"/>.
        /// </summary>
        public IReadOnlyList<RunRecord> List(string? export = null, int? last = null)
        {
            if (last.HasValue && last.Value < 1) throw new ArgumentOutOfRangeException(nameof(last));
            var exports = new List<string>();
            if (export != null)
            {
                exports.Add(export.Trim());
            }
            else
            {
                if (!Home.RequireTrusted() || !StrictModes.RequireTrustedFolder(HistoryFolder, "history folder")) return Array.Empty<RunRecord>();
                foreach (var file in Directory.GetFiles(HistoryFolder, "*.json").OrderBy(f => f, StringComparer.Ordinal))
                {
                    var doc = JsonStateFile.Read(Home, file, StateJsonContext.Default.RunHistoryDocument, () => new RunHistoryDocument(), d => d.Version);
                    if (!string.IsNullOrWhiteSpace(doc.Export)) exports.Add(doc.Export);
                }
            }
            var all = new List<RunRecord>();
            foreach (var name in exports) all.AddRange(ListOne(name));
            IEnumerable<RunRecord> ordered = all.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal);
            if (last.HasValue) ordered = ordered.Take(last.Value);
            return ordered.Select(r => r.Clone()).ToList();
        }

        /// <summary>Forgets the history of an export (Remove-AutopilotExport); its reports in the reports folder go with it.</summary>
        public bool Remove(string export)
        {
            List<RunRecord> runs;
            using (StateLock.Acquire(Home))
            {
                var doc = Load(export);
                if (!File.Exists(FileOf(export))) return false;
                runs = doc.Runs;
                File.Delete(FileOf(export));
            }
            foreach (var r in runs) DeleteOwnReport(r.ReportPath);
            return true;
        }

        private IEnumerable<RunRecord> ListOne(string export)
        {
            var doc = Load(export);
            if (!doc.Runs.Any(r => r.Status == RunStatus.Running)) return doc.Runs;
            if (!doc.Runs.Any(r => r.Status == RunStatus.Running && !IsAlive(r))) return doc.Runs;
            using (StateLock.Acquire(Home))
            {
                doc = Load(export);
                if (MarkDeadRuns(doc)) Store(export, doc);
                return doc.Runs;
            }
        }

        /// <summary>Turns the Running records whose process is gone into Interrupted; true when any changed.</summary>
        private bool MarkDeadRuns(RunHistoryDocument doc)
        {
            bool changed = false;
            foreach (var r in doc.Runs)
            {
                if (r.Status != RunStatus.Running || IsAlive(r)) continue;
                r.Status = RunStatus.Interrupted;
                r.Message ??= $"The process that ran it (id {r.ProcessId}{(string.IsNullOrEmpty(r.MachineName) ? "" : " on " + r.MachineName)}) ended before the run completed.";
                DeleteQuietly(LivenessFile(doc.Export, r.Id));
                changed = true;
            }
            return changed;
        }

        private bool IsAlive(RunRecord r)
        {
            var lockFile = LivenessFile(r.Export, r.Id);
            if (File.Exists(lockFile))
            {
                try
                {
                    // Taking the lock succeeds only when no process holds it any more.
                    using (new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None)) { }
                    return false;
                }
                catch (FileNotFoundException) { return false; }
                catch (IOException) { return true; }
                catch (UnauthorizedAccessException) { return true; }
            }
            return IsProcessAlive(r);
        }

        /// <summary>The fallback without a lock file: a process with the recorded id and start time on this machine.</summary>
        private static bool IsProcessAlive(RunRecord r)
        {
            // Another machine sharing the folder: nothing here can tell, so the run is taken to be alive.
            if (!string.IsNullOrEmpty(r.MachineName) && !string.Equals(r.MachineName, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return true;
            try
            {
                using (var p = Process.GetProcessById(r.ProcessId))
                {
                    if (p.HasExited) return false;
                    if (r.ProcessStartedAt == null) return true;
                    // A reused id belongs to a process that started later.
                    return Math.Abs((new DateTimeOffset(p.StartTime) - r.ProcessStartedAt.Value).TotalSeconds) < 2;
                }
            }
            catch (ArgumentException) { return false; }
            catch (InvalidOperationException) { return false; }
            catch (Exception ex) when (ex is NotSupportedException || ex is System.ComponentModel.Win32Exception) { return true; }
        }

        private RunHistoryDocument Load(string export)
        {
            var path = FileOf(export);
            if (Home.RequireTrusted()) StrictModes.RequireTrustedFolder(HistoryFolder, "history folder");
            var doc = JsonStateFile.Read(Home, path, StateJsonContext.Default.RunHistoryDocument, () => new RunHistoryDocument(), d => d.Version);
            doc.Export = string.IsNullOrWhiteSpace(doc.Export) ? export.Trim() : doc.Export;
            doc.Runs = (doc.Runs ?? new List<RunRecord>()).Where(r => r != null && !string.IsNullOrWhiteSpace(r.Id)).ToList();
            foreach (var r in doc.Runs)
            {
                r.Export = string.IsNullOrWhiteSpace(r.Export) ? doc.Export : r.Export;
                r.Counts ??= new RunCounts();
                r.Segments ??= new List<string>();
                // The id names the liveness file: one edited to hold a path is refused, not followed.
                if (r.Id.Length > 40 || r.Id.Any(c => !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))))
                    throw JsonStateFile.Corrupt(path, $"run id '{r.Id}' is not one this module writes", null);
            }
            return doc;
        }

        private void Store(string export, RunHistoryDocument doc)
        {
            doc.Version = JsonStateFile.SupportedVersion;
            doc.Runs = doc.Runs.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).ToList();
            Home.EnsureFolder(HistoryFolder);
            JsonStateFile.Write(Home, FileOf(export), doc, StateJsonContext.Default.RunHistoryDocument);
        }

        private string LivenessFile(string export, string id) =>
            Path.Combine(HistoryFolder, Path.GetFileNameWithoutExtension(StateNames.ToFileName(export, "")) + "." + id + RunningSuffix);

        /// <summary>Deletes a pruned run's report only when it is a file in the state folder's reports folder.</summary>
        private void DeleteOwnReport(string? reportPath)
        {
            if (string.IsNullOrWhiteSpace(reportPath)) return;
            string full;
            try { full = Path.GetFullPath(reportPath); }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException) { return; }
            var folder = Path.GetDirectoryName(full);
            var comparison = UnixPermissions.IsUnix ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
            if (!string.Equals(folder, Path.GetFullPath(Home.ReportsFolder), comparison)) return;
            DeleteQuietly(full);
        }

        private static string NewId(DateTimeOffset now) =>
            now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N").Substring(0, 8);

        private static void DeleteQuietly(string path)
        {
            try { if (File.Exists(path)) File.Delete(path); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A run begun with <see cref="RunHistoryStore.Begin"/>: its record and the lock that shows it is alive.</summary>
    public sealed class ActiveRun : IDisposable
    {
        private readonly RunHistoryStore _store;
        private FileStream? _liveness;

        internal ActiveRun(RunHistoryStore store, RunRecord record, FileStream liveness)
        {
            _store = store; Record = record; _liveness = liveness;
        }

        public RunRecord Record { get; }

        /// <summary>Completes the record (see <see cref="RunHistoryStore.Complete"/>).</summary>
        public RunRecord Complete(RunOutcome outcome, DateTimeOffset now) => _store.Complete(this, outcome, now);

        /// <summary>Drops the lock; the lock file goes only with a completed record (an unlocked file marks a dead run).</summary>
        internal void Release(bool completed)
        {
            var stream = _liveness;
            _liveness = null;
            if (stream == null) return;
            var path = stream.Name;
            stream.Dispose();
            if (!completed) return;
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        /// <summary>Without <see cref="Complete"/> first, the run reads as Interrupted from now on.</summary>
        public void Dispose() => Release(completed: false);
    }
}
