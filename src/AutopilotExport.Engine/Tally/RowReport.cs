using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AutopilotExport.Engine.Export;
using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine.Tally
{
    /// <summary>
    /// The row-level report: one JSON line per row that was not exported (row number, outcome, error id,
    /// email, segment, reason) and a closing summary line. Written on the pipeline thread only. Holds
    /// emails (personal data) but never the API key. A write that fails (a full disk, a file taken away) does
    /// not end the export: the report stops there, <see cref="Problem"/> says why, and the run goes on.
    /// Lines go through the file's own buffer and reach the file at least once a second (<see cref="FlushIfDue"/>)
    /// and at the end: flushing each line cost a write call per refused row, the most of a run's file work.
    /// </summary>
    internal sealed class RowReport : IDisposable
    {
        private static readonly JsonWriterOptions Options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        /// <summary>How long lines may wait in the buffer, in Stopwatch ticks: one second (tests shorten it).</summary>
        internal long FlushTicks { get; set; } = Stopwatch.Frequency;
        private readonly Stream _stream;
        private readonly Api.PayloadBuffer _line = new Api.PayloadBuffer(512);
        private readonly Utf8JsonWriter _writer;
        private long _lastFlush = Stopwatch.GetTimestamp();
        private bool _unflushed;
        private bool _disposed;

        public RowReport(string path)
        {
            Path = System.IO.Path.GetFullPath(path);
            _stream = Open(Path);
            _writer = new Utf8JsonWriter(_line, Options);
        }

        /// <summary>Over a stream the caller opened (tests give one that fails).</summary>
        internal RowReport(string path, Stream stream)
        {
            Path = path;
            _stream = stream;
            _writer = new Utf8JsonWriter(_line, Options);
        }

        /// <summary>Creates the report file. Kept apart: how the file is opened is a security decision of its own.</summary>
        private static Stream Open(string fullPath)
        {
            var dir = System.IO.Path.GetDirectoryName(fullPath);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            // The report holds email addresses: owner-only, and never through a link planted at the path.
            return State.PrivateFile.CreateOwnerOnly(fullPath, 64 * 1024);
        }

        public string Path { get; }

        /// <summary>Why the report stopped being written; null while every line was written.</summary>
        public string? Problem { get; private set; }

        public void WriteRow(RowProblemEvent row, string? segment) => Write(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("row", row.RowNumber);
            w.WriteString("outcome", row.Outcome.ToString());
            w.WriteString("errorId", row.ErrorId);
            if (row.Email != null) w.WriteString("email", row.Email); else w.WriteNull("email");
            if (segment != null) w.WriteString("segment", segment);
            w.WriteString("reason", row.Reason);
            w.WriteEndObject();
        });

        public void WriteSummary(ExportSummary s) => Write(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("summary");
            w.WriteString("export", s.ExportName);
            w.WriteString("connection", s.ConnectionName);
            w.WriteString("status", s.Status.ToString());
            w.WriteBoolean("whatIf", s.DryRun);
            w.WriteNumber("received", s.Counters.Received);
            w.WriteNumber("exported", s.Counters.Exported);
            w.WriteNumber("unchanged", s.Counters.Unchanged);
            w.WriteNumber("removed", s.Counters.Removed);
            if (s.Counters.RemovalsFailed > 0) w.WriteNumber("removalsFailed", s.Counters.RemovalsFailed);
            w.WriteNumber("invalid", s.Counters.Invalid);
            w.WriteNumber("duplicate", s.Counters.Duplicate);
            w.WriteNumber("failed", s.Counters.Failed);
            w.WriteNumber("batches", s.Counters.Batches);
            w.WriteNumber("requests", s.Counters.Requests);
            w.WriteNumber("retries", s.Counters.Retries);
            w.WriteNumber("throttled", s.Counters.Throttled);
            w.WriteString("startedAt", s.StartedAt);
            w.WriteNumber("durationSeconds", Math.Round(s.Duration.TotalSeconds, 3));
            if (s.FatalErrorId != null) { w.WriteString("errorId", s.FatalErrorId); w.WriteString("error", s.FatalMessage); }
            w.WriteEndObject();
            w.WriteEndObject();
        });

        [MethodImpl(HotPath.Optimize)]
        private void Write(Action<Utf8JsonWriter> line)
        {
            if (_disposed || Problem != null) return;
            try
            {
                _line.Clear();
                _writer.Reset(_line);
                line(_writer);
                _writer.Flush();
                _line.GetSpan(1)[0] = (byte)'\n';
                _line.Advance(1);
                var bytes = _line.WrittenSegment;
                _stream.Write(bytes.Array!, bytes.Offset, bytes.Count);
                _unflushed = true;
                FlushIfDue();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Problem = ex.Message;
            }
        }

        /// <summary>Hands buffered lines to the file when the last hand-over is a second old, so a process killed
        /// mid-run leaves at most a second of lines unwritten. Cheap when nothing is due.</summary>
        public void FlushIfDue()
        {
            if (!_unflushed || _disposed || Problem != null) return;
            long now = Stopwatch.GetTimestamp();
            if (now - _lastFlush < FlushTicks) return;
            _lastFlush = now;
            _unflushed = false;
            try { _stream.Flush(); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Problem = ex.Message;
            }
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _writer.Dispose();
            try { _stream.Dispose(); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // The last buffered lines could not be written.
                Problem ??= ex.Message;
            }
        }
    }
}
