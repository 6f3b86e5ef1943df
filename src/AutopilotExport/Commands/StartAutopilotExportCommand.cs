using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// Exports the profiles piped in to Autopilot lists: matches fields, validates, removes duplicates, upserts in
    /// bulk within the rate limit, retries, and reports per row. Ends with an AutopilotExportResult.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "AutopilotExport", SupportsShouldProcess = true, DefaultParameterSetName = SavedSet)]
    [OutputType(typeof(AutopilotExportResult))]
    public sealed class StartAutopilotExportCommand : AutopilotCmdlet, IDisposable
    {
        private const string SavedSet = "Saved";
        private const string AdHocSet = "AdHoc";
        private const string ProgressActivity = "Exporting to Autopilot";
        private const int ProgressId = 0x4150; // "AP"
        public const string LastResultVariable = "AutopilotLastExportResult";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = SavedSet, HelpMessage = "The name of a saved export (New-AutopilotExport).")]
        [ArgumentCompleter(typeof(ExportNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = AdHocSet, HelpMessage = "The name of a saved connection (New-AutopilotConnection).")]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Connection { get; set; } = "";

        [Parameter(ParameterSetName = AdHocSet)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SegmentCompleter))]
        public string[]? Segment { get; set; }

        [Parameter(ValueFromPipeline = true)]
        [AllowNull]
        public object? InputObject { get; set; }

        [Parameter]
        public Hashtable? FieldMap { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SegmentProperty { get; set; }

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int MaxProfiles { get; set; } = 100_000;

        [Parameter]
        [ValidateRange(0.0, 1000.0)]
        public double RequestsPerSecond { get; set; }

        [Parameter]
        [ValidateRange(1, 16)]
        public int Concurrency { get; set; } = 4;

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? ReportPath { get; set; }

        private ExportRunner? _runner;
        private AutopilotApiClient? _client;
        private ExportRunOptions? _options;
        private ExportRecord? _savedExport;
        private string[] _segments = Array.Empty<string>();
        private string? _apiKey;
        private bool _declined;
        private bool _finished;
        private volatile bool _stopping;
        private DateTime _lastProgress = DateTime.MinValue;

        protected override void BeginProcessing()
        {
            // 1. What to run: a saved export, or the ad hoc parameters.
            ConnectionRecord? connection;
            var options = new ExportRunOptions();
            FieldMap? map = null;
            string? segmentProperty = string.IsNullOrWhiteSpace(SegmentProperty) ? null : SegmentProperty!.Trim();
            int maxProfiles = MaxProfiles;
            string reportStem;

            if (ParameterSetName == SavedSet)
            {
                _savedExport = WithState(() => Exports.Find(Name), Name);
                if (_savedExport == null) ThrowTerminatingError(NotFound(StateErrorIds.ExportNotFound, "export", Name));
                var saved = _savedExport!;
                options.ExportName = saved.Name;
                _segments = saved.Segments.ToArray();
                segmentProperty ??= saved.SegmentProperty;
                if (!MyInvocation.BoundParameters.ContainsKey(nameof(MaxProfiles))) maxProfiles = saved.MaxProfiles;
                map = saved.FieldMap?.ToFieldMap();
                connection = WithState(() => Connections.Find(saved.Connection), saved.Connection);
                if (connection == null)
                    ThrowTerminatingError(new ErrorRecord(new ItemNotFoundException(
                        $"Export '{saved.Name}' uses connection '{saved.Connection}', which does not exist (any more). Create it with New-AutopilotConnection."),
                        StateErrorIds.ConnectionNotFound, ErrorCategory.ObjectNotFound, saved.Connection));
                reportStem = saved.Name;
            }
            else
            {
                connection = WithState(() => Connections.Find(Connection), Connection);
                if (connection == null) ThrowTerminatingError(NotFound(StateErrorIds.ConnectionNotFound, "connection", Connection));
                _segments = (Segment ?? Array.Empty<string>()).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim())
                    .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
                reportStem = "adhoc";
            }
            var conn = connection!;

            if (_segments.Length == 0 && segmentProperty == null)
                Terminate(new ArgumentException("Name at least one -Segment (the Autopilot list the profiles join), or a -SegmentProperty that holds each row's segment."),
                    "SegmentRequired", ErrorCategory.InvalidArgument, null);

            if (FieldMap != null)
            {
                try
                {
                    map = Engine.Mapping.FieldMap.FromDictionary(FieldMap);
                    if (string.IsNullOrWhiteSpace(map.Email))
                        throw new ArgumentException("The field map has no Email entry: name the input property that holds the email address, e.g. @{ Email = 'Mail' }.");
                }
                catch (ArgumentException ex)
                {
                    Terminate(ex, "InvalidFieldMap", ErrorCategory.InvalidArgument, FieldMap);
                }
            }

            // 2. Where to: the connection and its key (read now, held in memory only).
            var endpoint = SendableEndpoint(conn, out var uriError);
            if (endpoint == null)
            {
                ThrowTerminatingError(uriError!);
                return;
            }
            try
            {
                _apiKey = Connections.ResolveApiKey(conn);
            }
            catch (StateException ex)
            {
                ThrowTerminatingError(StateError(ex, conn.Name));
            }

            options.ConnectionName = conn.Name;
            options.Segments = _segments;
            options.SegmentProperty = segmentProperty;
            options.FieldMap = map;
            options.MaxProfiles = maxProfiles;
            options.Concurrency = Concurrency;
            options.RequestsPerSecond = MyInvocation.BoundParameters.ContainsKey(nameof(RequestsPerSecond)) ? RequestsPerSecond : conn.RequestsPerSecond;

            // 3. Confirm once for the whole run. WhatIf turns the run into a dry run that sends nothing.
            var target = _segments.Length > 0 ? string.Join(", ", _segments.Select(s => "'" + s + "'")) : "the segment in property '" + segmentProperty + "'";
            var description = $"Export the piped profiles to Autopilot list(s) {target} at {endpoint.Host} (connection '{conn.Name}', at most {maxProfiles} profiles).";
            if (!ShouldProcess(description, $"Export profiles to Autopilot list(s) {target} at {endpoint.Host}?", "Start-AutopilotExport", out var reason))
            {
                if (reason == ShouldProcessReason.WhatIf)
                {
                    options.DryRun = true;
                }
                else
                {
                    _declined = true;
                    return;
                }
            }

            if (!options.DryRun)
            {
                try
                {
                    options.ReportPath = ResolveReportPath(reportStem);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException || ex is SessionStateException || ex is InvalidOperationException)
                {
                    Terminate(new IOException($"Cannot use the report path '{ReportPath ?? Home.ReportsFolder}': {ex.Message}", ex), "ReportPathUnavailable", ErrorCategory.WriteError, ReportPath);
                }
            }
            _options = options;

            WriteVerbose($"Connection '{conn.Name}': {endpoint.Host}, key {(conn.KeySource == KeySource.Stored ? "from the protected store (" + conn.KeyProtection + ")" : "from $env:" + ConnectionStore.ApiKeyEnvironmentVariable)}.");
            WriteVerbose($"Segments: {(_segments.Length > 0 ? string.Join(", ", _segments) : "(none)")}{(segmentProperty != null ? "; per-row segment from property '" + segmentProperty + "'" : "")}.");
            WriteVerbose(map != null
                ? $"Field map: {map.Describe()}."
                : "Field map: automatic (Email/EmailAddress/Mail/UserPrincipalName, FirstName/GivenName, LastName/Surname/sn).");
            WriteVerbose($"Max profiles {options.MaxProfiles}, concurrency {options.Concurrency}, pace {(options.RequestsPerSecond > 0 ? options.RequestsPerSecond.ToString("0.##", CultureInfo.InvariantCulture) + " requests/s" : "unlimited")}" +
                $"{(options.ReportPath != null ? ", row report " + options.ReportPath : "")}{(options.DryRun ? ", WhatIf: nothing is sent" : "")}.");

            // 4. The engine.
            try
            {
                _client = new AutopilotApiClient(endpoint, _apiKey!);
                _runner = new ExportRunner(_client, options);
            }
            catch (ArgumentException ex)
            {
                Terminate(new ArgumentException(Scrub(ex.Message), ex.ParamName), "InvalidExportOptions", ErrorCategory.InvalidArgument, null);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // The row report could not be created.
                Terminate(new IOException($"Cannot write the row report '{options.ReportPath}': {ex.Message}", ex), "ReportPathUnavailable", ErrorCategory.WriteError, options.ReportPath);
            }
        }

        protected override void ProcessRecord()
        {
            if (_declined || _runner == null) return;
            // Called once without input when nothing is piped in: that is no row.
            bool bound = MyInvocation.BoundParameters.ContainsKey(nameof(InputObject));
            if (!MyInvocation.ExpectingInput && !bound) return;

            var input = InputObject;
            if (!MyInvocation.ExpectingInput && IsCollection(input))
            {
                // -InputObject $rows: each element is a row, as if piped.
                foreach (var item in LanguagePrimitives.GetEnumerable(input)) SubmitRow(item);
            }
            else
            {
                SubmitRow(input);
            }
        }

        protected override void EndProcessing()
        {
            if (_declined || _runner == null) return;
            ExportSummary summary;
            try
            {
                summary = _runner.Complete(Sink);
            }
            catch (ExportAbortedException ex)
            {
                Abort(ex);
                return;
            }
            catch (Exception ex) when (ex is PipelineStoppedException || ex is OperationCanceledException)
            {
                FinishCancelled();
                throw;
            }
            if (summary.FatalErrorId != null)
            {
                // The run had to stop after the last row was in (bad key, outage): the same end as a stop during input.
                Abort(new ExportAbortedException(summary.FatalErrorId, summary.FatalMessage ?? summary.FatalErrorId, summary));
                return;
            }
            _finished = true;
            WriteProgress(new ProgressRecord(ProgressId, ProgressActivity, "Done") { RecordType = ProgressRecordType.Completed });

            if (_options!.DryRun)
            {
                ReportDryRun(summary);
                return;
            }

            var result = OutputConverter.ToOutput(summary, _segments);
            PublishResult(result);
            WriteObject(result);
        }

        protected override void StopProcessing()
        {
            _stopping = true;
            try { _runner?.Cancel(); } catch (Exception) { /* Ctrl+C must always work */ }
            base.StopProcessing();
        }

        public void Dispose()
        {
            // Reached after a stop (Ctrl+C, or a failure elsewhere in the pipeline) without EndProcessing: keep
            // the Cancelled result available in $global:AutopilotLastExportResult.
            try
            {
                if (_runner != null && !_finished && !_declined && !(_options?.DryRun ?? false)) FinishCancelled();
            }
            catch (Exception) { /* disposal must not throw */ }
            try { _runner?.Dispose(); } catch (Exception) { }
            try { _client?.Dispose(); } catch (Exception) { }
            _runner = null;
            _client = null;
        }

        private void SubmitRow(object? row)
        {
            try
            {
                // PSObjects are read here, on the pipeline thread, inside Submit: the engine keeps plain data only.
                _runner!.Submit(RecordReaders.For(row), row, Sink);
            }
            catch (ExportAbortedException ex)
            {
                Abort(ex);
            }
            catch (Exception ex) when (ex is PipelineStoppedException || ex is OperationCanceledException)
            {
                FinishCancelled();
                throw;
            }
        }

        private void Sink(RunEvent e)
        {
            if (_stopping) return;
            switch (e)
            {
                case RowProblemEvent p:
                    WriteError(RowError(p));
                    break;
                case VerboseEvent v:
                    WriteVerbose(Scrub(v.Message));
                    break;
                case WarningEvent w:
                    WriteWarning(Scrub(w.Message));
                    break;
                case ProgressEvent pr:
                    WriteRunProgress(pr);
                    break;
            }
        }

        private ErrorRecord RowError(RowProblemEvent p)
        {
            ErrorCategory category;
            switch (p.ErrorId)
            {
                case ErrorIds.ProfileLimitExceeded: category = ErrorCategory.LimitsExceeded; break;
                case ErrorIds.SendFailed:
                case ErrorIds.ServiceUnavailable:
                case ErrorIds.ListUnavailable: category = ErrorCategory.ConnectionError; break;
                default:
                    category = p.Outcome == RowOutcome.Failed ? ErrorCategory.WriteError : ErrorCategory.InvalidData;
                    break;
            }
            var reason = Scrub(p.Reason);
            var message = reason.StartsWith("Row ", StringComparison.Ordinal)
                ? reason
                : $"Row {p.RowNumber.ToString(CultureInfo.InvariantCulture)}{(string.IsNullOrEmpty(p.Email) ? "" : " (" + p.Email + ")")}: {reason}";
            return new ErrorRecord(new Exception(message), p.ErrorId, category, p.Tag);
        }

        private void WriteRunProgress(ProgressEvent e)
        {
            var now = DateTime.UtcNow;
            if ((now - _lastProgress).TotalMilliseconds < 200) return;
            _lastProgress = now;
            var c = e.Counters;
            var skipped = c.Invalid + c.Duplicate + c.Failed;
            var status = string.Format(CultureInfo.CurrentCulture, "{0:N0} received, {1:N0} exported{2}, {3:N0} profiles/s{4}",
                c.Received, c.Exported,
                skipped > 0 ? string.Format(CultureInfo.CurrentCulture, ", {0:N0} not exported", skipped) : "",
                e.ProfilesPerSecond,
                e.Eta.HasValue ? ", ETA " + FormatEta(e.Eta.Value) : "");
            var record = new ProgressRecord(ProgressId, ProgressActivity, status)
            {
                SecondsRemaining = e.Eta.HasValue ? (int)Math.Min(int.MaxValue, Math.Max(0, e.Eta.Value.TotalSeconds)) : -1,
            };
            WriteProgress(record);
        }

        private static string FormatEta(TimeSpan eta) =>
            eta.TotalHours >= 1 ? eta.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : eta.ToString(@"m\:ss", CultureInfo.InvariantCulture);

        private void ReportDryRun(ExportSummary summary)
        {
            foreach (var s in summary.Segments ?? Array.Empty<SegmentSummary>())
            {
                var state = s.ListExists == true ? "exists" : s.ListExists == false ? "will be created" : "existence unknown";
                ShouldProcess($"Export {s.Profiles} profiles to list '{s.Name}' ({state})", "", "Start-AutopilotExport");
            }
            var c = summary.Counters;
            if (c != null && c.Invalid + c.Duplicate + c.Failed > 0)
                ShouldProcess($"Skip {c.Invalid + c.Duplicate + c.Failed} of {c.Received} rows ({c.Invalid} invalid, {c.Duplicate} duplicate, {c.Failed} not exportable)", "", "Start-AutopilotExport");
        }

        private void Abort(ExportAbortedException ex)
        {
            _finished = true;
            var result = OutputConverter.ToOutput(ex.Summary, _segments);
            result.Status = ExportStatus.Failed.ToString();
            result.ErrorMessage = Scrub(result.ErrorMessage ?? ex.Message);
            WriteProgress(new ProgressRecord(ProgressId, ProgressActivity, "Stopped") { RecordType = ProgressRecordType.Completed });
            PublishResult(result);
            WriteObject(result);
            var category = ex.ErrorId == ErrorIds.Unauthorized ? ErrorCategory.AuthenticationError
                : ex.ErrorId == ErrorIds.ServiceUnavailable || ex.ErrorId == ErrorIds.ListUnavailable ? ErrorCategory.ConnectionError
                : ErrorCategory.OperationStopped;
            var error = new ErrorRecord(new InvalidOperationException(Scrub(ex.Message)), ex.ErrorId, category, _options?.ExportName);
            ThrowTerminatingError(error);
        }

        /// <summary>After a stop: collect the Cancelled summary (no writes: the pipeline is stopping) and publish it.</summary>
        private void FinishCancelled()
        {
            if (_finished || _runner == null) return;
            _finished = true;
            _stopping = true;
            ExportSummary summary;
            try
            {
                _runner.Cancel();
                summary = _runner.Complete(_ => { });
            }
            catch (ExportAbortedException ex)
            {
                summary = ex.Summary;
            }
            catch (Exception)
            {
                return;
            }
            if (_options?.DryRun == true) return;
            var result = OutputConverter.ToOutput(summary, _segments);
            PublishResult(result);
        }

        /// <summary>Sets $global:AutopilotLastExportResult and records the run on a saved export.</summary>
        private void PublishResult(AutopilotExportResult result)
        {
            try
            {
                // The scope-qualified name reaches the global scope from inside any script or function.
                SessionState.PSVariable.Set("global:" + LastResultVariable, result);
            }
            catch (Exception ex) when (!(ex is PipelineStoppedException))
            {
                WriteDebugSafe($"Could not set ${LastResultVariable}: {ex.Message}");
            }
            if (_savedExport != null)
            {
                try
                {
                    var at = result.StartTime == default ? DateTimeOffset.Now : result.StartTime;
                    Exports.RecordRun(_savedExport.Name, at, result.Status);
                }
                catch (Exception ex) when (ex is StateException || ex is IOException || ex is UnauthorizedAccessException)
                {
                    WriteDebugSafe($"Could not record the run on export '{_savedExport.Name}': {ex.Message}");
                }
            }
        }

        private void WriteDebugSafe(string message)
        {
            if (_stopping) return;
            try { WriteDebug(message); } catch (PipelineStoppedException) { }
        }

        private string ResolveReportPath(string stem)
        {
            if (!string.IsNullOrWhiteSpace(ReportPath))
            {
                var resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ReportPath, out var provider, out _);
                if (!string.Equals(provider?.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
                    throw new NotSupportedException($"the path is on the {provider?.Name} provider; the report must be a file.");
                var folder = Path.GetDirectoryName(resolved);
                if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder)) Directory.CreateDirectory(folder);
                return resolved;
            }
            var invalid = Path.GetInvalidFileNameChars();
            var safe = new string(stem.Select(ch => invalid.Contains(ch) || ch == ' ' ? '_' : ch).ToArray());
            var reports = WithState(() => Home.EnsureFolder(Home.ReportsFolder), null);
            // The run id keeps quick runs (several within a second) from sharing one report.
            var runId = Guid.NewGuid().ToString("N").Substring(0, 8);
            return Path.Combine(reports, $"{safe}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{runId}.jsonl");
        }

        private string Scrub(string? message) => SecretText.Scrub(message, _apiKey);

        private static bool IsCollection(object? value)
        {
            var v = value is PSObject p ? p.BaseObject : value;
            return v is IEnumerable && !(v is string) && !(v is IDictionary);
        }
    }
}
