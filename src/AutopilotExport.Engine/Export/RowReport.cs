using System;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AutopilotExport.Engine.Export
{
    /// <summary>
    /// The row-level report: one JSON line per row that was not exported (row number, outcome, error id,
    /// email, segment, reason) and a closing summary line. Written on the pipeline thread only. Holds
    /// emails (personal data) but never the API key.
    /// </summary>
    internal sealed class RowReport : IDisposable
    {
        private static readonly JsonWriterOptions Options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        private readonly Stream _stream;
        private bool _disposed;

        public RowReport(string path)
        {
            Path = System.IO.Path.GetFullPath(path);
            var dir = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            _stream = Open(Path);
        }

        /// <summary>The report holds email addresses: owner-only, and never through a link planted at the path.</summary>
        private static Stream Open(string path) => State.PrivateFile.CreateOwnerOnly(path, 64 * 1024);

        public string Path { get; }

        public void WriteRow(RowProblemEvent row, string? segment)
        {
            if (_disposed) return;
            using (var w = new Utf8JsonWriter(_stream, Options))
            {
                w.WriteStartObject();
                w.WriteNumber("row", row.RowNumber);
                w.WriteString("outcome", row.Outcome.ToString());
                w.WriteString("errorId", row.ErrorId);
                if (row.Email != null) w.WriteString("email", row.Email); else w.WriteNull("email");
                if (segment != null) w.WriteString("segment", segment);
                w.WriteString("reason", row.Reason);
                w.WriteEndObject();
            }
            _stream.WriteByte((byte)'\n');
        }

        public void WriteSummary(ExportSummary s)
        {
            if (_disposed) return;
            using (var w = new Utf8JsonWriter(_stream, Options))
            {
                w.WriteStartObject();
                w.WriteStartObject("summary");
                w.WriteString("export", s.ExportName);
                w.WriteString("connection", s.ConnectionName);
                w.WriteString("status", s.Status.ToString());
                w.WriteBoolean("whatIf", s.DryRun);
                w.WriteNumber("received", s.Counters.Received);
                w.WriteNumber("exported", s.Counters.Exported);
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
            }
            _stream.WriteByte((byte)'\n');
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _stream.Dispose();
        }
    }
}
