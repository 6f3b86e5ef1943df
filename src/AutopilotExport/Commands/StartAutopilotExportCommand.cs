using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using AutopilotExport.Engine;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.Plan;
using AutopilotExport.Engine.State;
using System.Runtime.CompilerServices;

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
        public const string LastResultVariable = "AutopilotLastExportResult";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = SavedSet, HelpMessage = "The name of a saved export (New-AutopilotExport).")]
        [ArgumentCompleter(typeof(ExportNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = AdHocSet, HelpMessage = "The name of a saved connection (New-AutopilotConnection).")]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Connection { get; set; } = "";

        // In both sets: with -Name it replaces the saved segments for this run, as the other saved settings can be given again.
        [Parameter(ParameterSetName = AdHocSet)]
        [Parameter(ParameterSetName = SavedSet)]
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

        /// <summary>Send every profile, also those the sync record shows unchanged (a saved export's runs are incremental).</summary>
        [Parameter]
        public SwitchParameter Full { get; set; }

        /// <summary>Upsert (add and update) or Mirror (also take this export's contacts that left the segment off its list); overrides the saved export's mode.</summary>
        [Parameter]
        [ValidateSet(ExportSettings.Upsert, ExportSettings.Mirror, IgnoreCase = true)]
        public string? SyncMode { get; set; }

        /// <summary>Mirror: remove even when more than the export's MaxRemovalPercent of its contacts on a list would go.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        private ExportRunner? _runner;
        private AutopilotApiClient? _client;
        private ExportRunOptions? _options;
        private ExportRecord? _savedExport;
        private string[] _segments = Array.Empty<string>();
        private string? _apiKey;
        private KeySource _keySource;
        private bool _declined;
        private bool _finished;
        private volatile bool _stopping;
        private DateTime _lastProgress = DateTime.MinValue;
        // Submit and Complete run under this gate, so a termination signal (handled on another thread) can end
        // the run between two rows, or while the pipeline thread waits for input, without racing it.
        private readonly object _runGate = new object();
        private TerminationSignal? _termination;
        private bool _preparing;
        private string? _failedId; // the run could not start, or stopped as a whole: later input is skipped
        private long _skippedRows;
        // A saved export's run history entry (Running until completed) and its sync record; null for ad hoc runs and WhatIf.
        private ActiveRun? _history;
        private SyncRecord? _sync;

        protected override void BeginProcessing()
        {
            _preparing = true;
            try
            {
                Prepare();
            }
            catch (RunNotStartedException ex)
            {
                FailBeforeStart(ex.Error);
            }
            finally
            {
                _preparing = false;
            }
        }

        /// <summary>Plans the run, reads the key, confirms and starts the engine. A failure ends it through
        /// <see cref="EndWith"/>, which turns it into a Failed result and an error (<see cref="FailBeforeStart"/>).</summary>
        private void Prepare()
        {
            // 1. What to run: the saved export or the ad hoc parameters, planned by the engine.
            ConnectionRecord? connection;
            string reportStem = "adhoc";
            if (ParameterSetName == SavedSet)
            {
                _savedExport = WithState(() => Exports.Find(Name), Name);
                if (_savedExport == null) EndWith(NotFound(StateErrorIds.ExportNotFound, "export", Name));
                var saved = _savedExport!;
                connection = WithState(() => Connections.Find(saved.Connection), saved.Connection);
                if (connection == null)
                    EndWith(new ErrorRecord(new ItemNotFoundException(
                        $"Export '{saved.Name}' uses connection '{saved.Connection}', which does not exist (any more). Create it with New-AutopilotConnection."),
                        StateErrorIds.ConnectionNotFound, ErrorCategory.ObjectNotFound, saved.Connection));
                reportStem = saved.Name;
            }
            else
            {
                connection = WithState(() => Connections.Find(Connection), Connection);
                if (connection == null) EndWith(NotFound(StateErrorIds.ConnectionNotFound, "connection", Connection));
            }
            var conn = connection!;

            ExportRunOptions options = null!;
            try
            {
                options = RunPlanner.Plan(new RunRequest
                {
                    SavedExport = _savedExport,
                    Connection = conn,
                    Segments = Segment,
                    SegmentProperty = SegmentProperty,
                    FieldMap = FieldMapInput.Plain(FieldMap),
                    MaxProfiles = Bound(nameof(MaxProfiles)) ? MaxProfiles : (int?)null,
                    Concurrency = Concurrency,
                    RequestsPerSecond = Bound(nameof(RequestsPerSecond)) ? RequestsPerSecond : (double?)null,
                });
            }
            catch (PlanException ex) when (ex.ErrorId == PlanErrorIds.SegmentRequired)
            {
                Terminate(new ArgumentException("Name at least one -Segment (the Autopilot list the profiles join), or a -SegmentProperty that holds each row's segment.", ex),
                    ex.ErrorId, ErrorCategory.InvalidArgument, null);
            }
            catch (PlanException ex)
            {
                Terminate(new ArgumentException(ex.Message, ex), ex.ErrorId, ErrorCategory.InvalidArgument,
                    ex.ErrorId == PlanErrorIds.InvalidSegmentName ? (object?)Segment : FieldMap);
            }
            _segments = options.Segments.ToArray();
            PlanSync(options);
            var segmentProperty = options.SegmentProperty;
            var map = options.FieldMap;
            int maxProfiles = options.MaxProfiles;

            // 2. Where to: the connection and its key (read now, held in memory only).
            var endpoint = SendableEndpoint(conn, out var uriError);
            if (endpoint == null)
            {
                EndWith(uriError!);
                return;
            }
            _keySource = conn.KeySource;
            try
            {
                _apiKey = Connections.ResolveApiKey(conn);
            }
            catch (StateException ex)
            {
                EndWith(StateError(ex, conn.Name));
            }

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
            if (_savedExport != null && !options.DryRun) BeginHistory(_savedExport, conn, options);
            if (_savedExport != null) OpenSyncRecord(_savedExport, conn, options);

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
                if (!options.DryRun)
                {
                    // SIGTERM (timeout, systemd, a scheduler's time limit) ends the process: end the run first,
                    // as Ctrl+C ends it, so the report and LastRunStatus say Cancelled.
                    _termination = TerminationSignal.Register(EndOnTermination);
                }
            }
            catch (ArgumentException ex)
            {
                FailHistory("InvalidExportOptions", Scrub(ex.Message));
                Terminate(new ArgumentException(Scrub(ex.Message), ex.ParamName), "InvalidExportOptions", ErrorCategory.InvalidArgument, null);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // The row report could not be created.
                FailHistory("ReportPathUnavailable", ex.Message);
                Terminate(new IOException($"Cannot write the row report '{options.ReportPath}': {ex.Message}", ex), "ReportPathUnavailable", ErrorCategory.WriteError, options.ReportPath);
            }
        }

        [MethodImpl(HotPath.Optimize)]
        protected override void ProcessRecord()
        {
            if (_failedId != null)
            {
                _skippedRows++;
                return;
            }
            if (_declined || _runner == null) return;
            // Called once without input when nothing is piped in: that is no row. (ExpectingInput is asked first:
            // in a pipeline it is true, and the bound-parameter look-up is skipped for every row.)
            bool piped = MyInvocation.ExpectingInput;
            if (!piped && !MyInvocation.BoundParameters.ContainsKey(nameof(InputObject))) return;

            var input = InputObject;
            if (!piped && IsCollection(input))
            {
                // -InputObject $rows: each element is a row, as if piped; their number is known, so progress shows percent and time left.
                var items = (input is PSObject ps ? ps.BaseObject : input) as ICollection;
                if (items != null) _runner.ExpectRows(items.Count);
                foreach (var item in LanguagePrimitives.GetEnumerable(input)) SubmitRow(item);
            }
            else
            {
                SubmitRow(input);
            }
        }

        protected override void EndProcessing()
        {
            if (_failedId != null)
            {
                if (_skippedRows > 0) WriteVerbose($"{_skippedRows} more input object(s) came after the run ended with {_failedId}; they were not read.");
                return;
            }
            if (_declined || _runner == null) return;
            ExportSummary summary;
            try
            {
                lock (_runGate)
                {
                    if (_finished) return; // ended by a termination signal
                    summary = _runner.Complete(Sink);
                }
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
            WriteProgress(new ProgressRecord(RunWording.ProgressId, RunWording.ProgressActivity, "Done") { RecordType = ProgressRecordType.Completed });

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

        /// <summary>
        /// The process is ending (SIGTERM) while the run is under way: cancel it, and once the pipeline thread is
        /// between two rows, complete it here: the report gets its summary and a saved export its LastRunStatus.
        /// Nothing can reach the pipeline any more, so the one line about it goes to standard error.
        /// </summary>
        private void EndOnTermination()
        {
            var runner = _runner;
            if (runner == null || _finished) return;
            _stopping = true;
            try { runner.Cancel(); } catch (Exception) { }
            if (!Monitor.TryEnter(_runGate, TimeSpan.FromSeconds(10))) return;
            try
            {
                if (_finished) return;
                _finished = true;
                var summary = runner.Complete(null);
                RecordRun(OutputConverter.ToOutput(summary, _segments));
                var c = summary.Counters;
                Console.Error.WriteLine(Scrub(string.Format(CultureInfo.InvariantCulture,
                    "Start-AutopilotExport: the process is ending; export '{0}' {1}: {2} of {3} exported, {4} failed{5}.",
                    summary.ExportName, summary.Status, c.Exported, c.Received, c.Failed,
                    summary.ReportPath != null ? ", report " + summary.ReportPath : "")));
            }
            catch (Exception) { /* the process is ending: never throw from here */ }
            finally { Monitor.Exit(_runGate); }
        }

        public void Dispose()
        {
            try { _termination?.Dispose(); } catch (Exception) { }
            _termination = null;
            // Reached after a stop (Ctrl+C, or a failure elsewhere in the pipeline) without EndProcessing: keep
            // the Cancelled result available in $global:AutopilotLastExportResult.
            try
            {
                if (_runner != null && !_finished && !_declined && !(_options?.DryRun ?? false)) FinishCancelled();
            }
            catch (Exception) { /* disposal must not throw */ }
            try { _runner?.Dispose(); } catch (Exception) { }
            try { _client?.Dispose(); } catch (Exception) { }
            // Not completed (an exception escaped the run): the entry reads Interrupted, which is what it was.
            try { _history?.Dispose(); } catch (Exception) { }
            try { _sync?.Dispose(); } catch (Exception) { }
            _history = null;
            _sync = null;
            _runner = null;
            _client = null;
        }

        [MethodImpl(HotPath.Optimize)]
        private void SubmitRow(object? row)
        {
            try
            {
                // PSObjects are read here, on the pipeline thread, inside Submit: the engine keeps plain data only.
                lock (_runGate)
                {
                    if (_finished) return; // ended by a termination signal
                    _runner!.Submit(RecordReaders.For(row), row, _sink ??= Sink); // one delegate for the run, not one per row
                }
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

        private Action<RunEvent>? _sink;

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

        private ErrorRecord RowError(RowProblemEvent p) => RunWording.RowError(p, Scrub(p.Reason) + Advice(p.ErrorId));

        private string Advice(string errorId) => RunWording.Advice(errorId, _keySource, _options?.ConnectionName ?? "");

        private void WriteRunProgress(ProgressEvent e)
        {
            var now = DateTime.UtcNow;
            if ((now - _lastProgress).TotalMilliseconds < 200) return;
            _lastProgress = now;
            WriteProgress(RunWording.Progress(e));
        }

        private void ReportDryRun(ExportSummary summary)
        {
            foreach (var s in summary.Segments ?? Array.Empty<SegmentSummary>())
            {
                var state = s.ListExists == true ? "exists" : s.ListExists == false ? "will be created" : "existence unknown";
                ShouldProcess($"Export {s.Profiles} profiles to list '{s.Name}' ({state})", "", "Start-AutopilotExport");
            }
            ReportDryRunRemovals(summary);
            var c = summary.Counters;
            if (c != null && c.Invalid + c.Duplicate + c.Failed > 0)
                ShouldProcess($"Skip {c.Invalid + c.Duplicate + c.Failed} of {c.Received} rows ({c.Invalid} invalid, {c.Duplicate} duplicate, {c.Failed} not exportable)", "", "Start-AutopilotExport");
        }

        /// <summary>WhatIf with Mirror: who would leave which list. The WhatIf line names the first ones; verbose names up to a thousand.</summary>
        private void ReportDryRunRemovals(ExportSummary summary)
        {
            const int Named = 50, Listed = 1000;
            foreach (var r in summary.Removals)
            {
                var names = string.Join(", ", r.Emails.Take(Named)) + (r.Emails.Count > Named ? $" and {r.Emails.Count - Named} more" : "");
                var refused = r.OverLimit && !_options!.ForceRemovals
                    ? $"; refused: more than {_options.MaxRemovalPercent}% of the list (-Force removes them)" : "";
                ShouldProcess($"Remove {r.Emails.Count} of the {r.Members} contacts this export put on list '{r.Segment}' from that list (not in the segment now){refused}: {names}", "", "Start-AutopilotExport");
                foreach (var email in r.Emails.Take(Listed)) WriteVerbose($"WhatIf: Mirror would take '{email}' off list '{r.Segment}'.");
                if (r.Emails.Count > Listed) WriteVerbose($"WhatIf: ... and {r.Emails.Count - Listed} more off list '{r.Segment}'.");
            }
        }

        private void Abort(ExportAbortedException ex)
        {
            _finished = true;
            var result = OutputConverter.ToOutput(ex.Summary, _segments);
            result.Status = ExportStatus.Failed.ToString();
            result.ErrorId = ex.ErrorId;
            result.ErrorMessage = Scrub(result.ErrorMessage ?? ex.Message) + Advice(ex.ErrorId);
            WriteProgress(new ProgressRecord(RunWording.ProgressId, RunWording.ProgressActivity, "Stopped") { RecordType = ProgressRecordType.Completed });
            PublishResult(result);
            WriteObject(result);
            var category = ex.ErrorId == ErrorIds.Unauthorized ? ErrorCategory.AuthenticationError
                : ex.ErrorId == ErrorIds.ServiceUnavailable || ex.ErrorId == ErrorIds.ListUnavailable ? ErrorCategory.ConnectionError
                : ex.ErrorId == ErrorIds.RejectedForEveryRow ? ErrorCategory.InvalidData
                : ErrorCategory.OperationStopped;
            // The result was written before the error; it is also the error's target, so a script that catches
            // the error (-ErrorAction Stop) has the counts and the report path in $_.TargetObject. Not a terminating
            // error: that would leave `$r = ... | Start-AutopilotExport` unset exactly when the result matters.
            // The run has ended (no request is sent any more); input still coming is skipped.
            _failedId = ex.ErrorId;
            WriteError(new ErrorRecord(new InvalidOperationException(result.ErrorMessage), ex.ErrorId, category, result));
        }

        /// <summary>While the run is prepared, a failure is not a terminating error: <see cref="BeginProcessing"/> turns it into a result.</summary>
        protected override void EndWith(ErrorRecord error)
        {
            if (_preparing) throw new RunNotStartedException(error);
            base.EndWith(error);
        }

        /// <summary>
        /// The run could not start (no such export or connection, no segment, a bad field map, no key, an address
        /// the key must not go to, an unusable report path or state folder): the Failed result (Received 0, the
        /// error id) and then the error itself, non-terminating, so the caller's assignment still gets the result.
        /// -WhatIf writes no result, as a dry run never does. Nothing is read from the pipeline afterwards.
        /// </summary>
        private void FailBeforeStart(ErrorRecord error)
        {
            var errorId = error.FullyQualifiedErrorId.Split(',')[0];
            _failedId = errorId;
            if (!IsWhatIf())
            {
                var result = new AutopilotExportResult
                {
                    Export = _options?.ExportName ?? _savedExport?.Name ?? (ParameterSetName == SavedSet ? Name : "(ad hoc)"),
                    Connection = _options?.ConnectionName ?? _savedExport?.Connection ?? Connection,
                    Segments = Segment ?? _savedExport?.Segments?.ToArray() ?? Array.Empty<string>(),
                    Status = ExportStatus.Failed.ToString(),
                    StartTime = DateTimeOffset.Now,
                    ErrorId = errorId,
                    ErrorMessage = Scrub(error.Exception?.Message),
                };
                PublishResult(result);
                WriteObject(result);
            }
            WriteError(error);
        }

        /// <summary>Carries a failure out of <see cref="Prepare"/> to <see cref="FailBeforeStart"/>.</summary>
        private sealed class RunNotStartedException : Exception
        {
            public RunNotStartedException(ErrorRecord error) : base(error.Exception?.Message) { Error = error; }
            public ErrorRecord Error { get; }
        }

        /// <summary>After a stop: collect the Cancelled summary (no writes: the pipeline is stopping) and publish it.</summary>
        private void FinishCancelled()
        {
            if (_finished || _runner == null) return;
            _stopping = true;
            ExportSummary summary;
            try
            {
                _runner.Cancel();
                lock (_runGate)
                {
                    if (_finished) return;
                    _finished = true;
                    summary = _runner.Complete(_ => { });
                }
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
            RecordRun(result);
        }

        /// <summary>Records the run on a saved export: LastRunAt and LastRunStatus, and completes its history entry.</summary>
        private void RecordRun(AutopilotExportResult result)
        {
            if (_savedExport == null) return;
            try
            {
                Exports.RecordRun(_savedExport.Name, result.StartTime == default ? DateTimeOffset.Now : result.StartTime, result.Status);
            }
            catch (Exception ex) when (ex is StateException || ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteDebugSafe($"Could not record the run on export '{_savedExport.Name}': {ex.Message}");
            }
            CompleteHistory(new RunOutcome
            {
                Status = Enum.TryParse<RunStatus>(result.Status, out var status) ? status : RunStatus.Failed,
                Counts = new RunCounts
                {
                    Received = result.Received, Exported = result.Exported, Unchanged = result.Unchanged, Removed = result.Removed,
                    Invalid = result.Invalid, Duplicate = result.Duplicate, Failed = result.Failed,
                    Batches = result.Batches, Retries = result.Retries, Throttled = result.Throttled,
                },
                ReportPath = result.ReportPath,
                ErrorId = result.ErrorId,
                Message = result.ErrorMessage,
            });
        }

        /// <summary>Incremental and Mirror belong to saved exports: only they keep a sync record.</summary>
        private void PlanSync(ExportRunOptions options)
        {
            var mode = SyncMode != null ? ExportSettings.NormalizeSyncMode(SyncMode) : _savedExport?.EffectiveSyncMode;
            if (_savedExport == null)
            {
                if (mode == ExportSettings.Mirror)
                    Terminate(new ArgumentException("-SyncMode Mirror needs a saved export (-Name): only a saved export records which contacts it put on a list, and Mirror removes no others."),
                        "MirrorNeedsSavedExport", ErrorCategory.InvalidArgument, SyncMode);
                return;
            }
            options.Full = Full;
            options.Mirror = mode == ExportSettings.Mirror;
            options.MaxRemovalPercent = _savedExport.EffectiveMaxRemovalPercent;
            options.ForceRemovals = Force;
        }

        /// <summary>
        /// Opens the saved export's sync record (held until the run ends: one run per export at a time). Under WhatIf it
        /// is only read, for Mirror's names, and a record in use is no reason to refuse a dry run.
        /// </summary>
        private void OpenSyncRecord(ExportRecord saved, ConnectionRecord conn, ExportRunOptions options)
        {
            if (options.DryRun && !options.Mirror) return;
            try
            {
                var map = options.FieldMap != null ? FieldMapRecord.FromFieldMap(options.FieldMap) : null;
                _sync = new SyncRecordStore(Home).Open(saved.Name, SyncFingerprint.Of(conn, map));
            }
            catch (Exception ex) when (ex is StateException || ex is IOException || ex is UnauthorizedAccessException)
            {
                if (options.DryRun)
                {
                    WriteWarning($"WhatIf: the sync record of export '{saved.Name}' cannot be read ({ex.Message}), so who Mirror would remove is not known.");
                    return;
                }
                var message = ex is StateException busy && busy.ErrorId == StateErrorIds.SyncRecordBusy
                    ? $"Another run of export '{saved.Name}' is under way (it holds the export's sync record); this run did not start. {ex.Message}"
                    : $"The sync record of export '{saved.Name}' cannot be used: {ex.Message}";
                var errorId = ex is StateException se ? se.ErrorId : "StateFolderUnavailable";
                FailHistory(errorId, message);
                Terminate(new InvalidOperationException(message, ex), errorId, ErrorCategory.ResourceUnavailable, saved.Name);
                return;
            }
            options.Sync = _sync;
            var rebased = _sync.Rebased == SyncRebase.FieldMapChanged ? "; the field map changed, so every profile is sent once"
                : _sync.Rebased == SyncRebase.ConnectionChanged ? "; the connection's account changed, so the record starts over" : "";
            WriteVerbose($"Sync record of '{saved.Name}': {_sync.Count} contacts known{rebased}; {(options.Full ? "-Full: every profile is sent" : "profiles it shows unchanged are not sent")}; mode {(options.Mirror ? ExportSettings.Mirror : ExportSettings.Upsert)}{(options.Mirror ? ", at most " + options.MaxRemovalPercent + "% of a list removed" + (options.ForceRemovals ? " unless -Force (given)" : "") : "")}.");
        }

        /// <summary>Writes the saved export's Running history entry; the run is not refused when the history cannot be written.</summary>
        private void BeginHistory(ExportRecord saved, ConnectionRecord conn, ExportRunOptions options)
        {
            try
            {
                _history = new RunHistoryStore(Home).Begin(new RunStart
                {
                    Export = saved.Name,
                    Connection = conn.Name,
                    Segments = options.Segments.ToArray(),
                    SyncMode = options.Mirror ? ExportSettings.Mirror : ExportSettings.Upsert,
                    Full = options.Full,
                    ReportPath = options.ReportPath,
                    KeepRuns = saved.EffectiveKeepRuns,
                }, DateTimeOffset.Now);
            }
            catch (Exception ex) when (ex is StateException || ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteWarning($"The run of export '{saved.Name}' is not recorded in its history: {ex.Message}");
            }
        }

        /// <summary>A run that ends before the engine started (bad options, report not writable): its history says Failed.</summary>
        private void FailHistory(string errorId, string message) =>
            CompleteHistory(new RunOutcome { Status = RunStatus.Failed, ErrorId = errorId, Message = message, ReportPath = _options?.ReportPath });

        private void CompleteHistory(RunOutcome outcome)
        {
            var run = _history;
            if (run == null) return;
            _history = null;
            try
            {
                run.Complete(outcome, DateTimeOffset.Now);
            }
            catch (Exception ex) when (ex is StateException || ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteDebugSafe($"Could not complete the history entry of export '{_savedExport?.Name}': {ex.Message}");
            }
            finally
            {
                run.Dispose();
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

        private bool Bound(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

        private static bool IsCollection(object? value)
        {
            var v = value is PSObject p ? p.BaseObject : value;
            return v is IEnumerable && !(v is string) && !(v is IDictionary);
        }
    }
}
