using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// Changes settings of a saved export: segments, the profile cap, pace, concurrency, sync mode, Mirror's guard rail
    /// and the history kept. Everything not given is kept, the field map above all (Set-AutopilotFieldMap changes that).
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "AutopilotExport", SupportsShouldProcess = true)]
    [OutputType(typeof(AutopilotExportDefinition))]
    public sealed class SetAutopilotExportCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The name of the saved export to change.")]
        [ArgumentCompleter(typeof(ExportNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        /// <summary>Replaces the segments (the lists every row joins).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Segment { get; set; }

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int MaxProfiles { get; set; }

        /// <summary>The export's own pace; overrides the connection's.</summary>
        [Parameter]
        [ValidateRange(0.0, ExportSettings.MaxRequestsPerSecond)]
        public double RequestsPerSecond { get; set; }

        [Parameter]
        [ValidateRange(1, ExportSettings.MaxConcurrency)]
        public int Concurrency { get; set; }

        [Parameter]
        [ValidateSet(ExportSettings.Upsert, ExportSettings.Mirror)]
        public string? SyncMode { get; set; }

        [Parameter]
        [ValidateRange(0, 100)]
        public int MaxRemovalPercent { get; set; }

        [Parameter]
        [ValidateRange(1, RunHistoryStore.MaxKeepRuns)]
        public int KeepRuns { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private readonly List<string> _changes = new List<string>();

        protected override void BeginProcessing()
        {
            if (Given(nameof(Segment))) _changes.Add("segments " + string.Join(", ", Segment!.Select(s => "'" + s.Trim() + "'")));
            if (Given(nameof(MaxProfiles))) _changes.Add($"max profiles {MaxProfiles}");
            if (Given(nameof(RequestsPerSecond))) _changes.Add($"pace {RequestsPerSecond.ToString("0.##", CultureInfo.InvariantCulture)} requests/s");
            if (Given(nameof(Concurrency))) _changes.Add($"concurrency {Concurrency}");
            if (Given(nameof(SyncMode))) _changes.Add($"sync mode {SyncMode}");
            if (Given(nameof(MaxRemovalPercent))) _changes.Add($"max removal {MaxRemovalPercent}%");
            if (Given(nameof(KeepRuns))) _changes.Add($"keep {KeepRuns} runs");
            if (_changes.Count == 0)
                Terminate(new ArgumentException("Nothing to change: give at least one of -Segment, -MaxProfiles, -RequestsPerSecond, -Concurrency, -SyncMode, -MaxRemovalPercent, -KeepRuns."),
                    "NothingToChange", ErrorCategory.InvalidArgument, null);
            if (Given(nameof(Segment)) && Segment!.All(string.IsNullOrWhiteSpace))
                Terminate(new ArgumentException("-Segment names no segment."), "SegmentRequired", ErrorCategory.InvalidArgument, Segment);
            foreach (var segment in Given(nameof(Segment)) ? Segment! : Array.Empty<string>())
            {
                var problem = string.IsNullOrWhiteSpace(segment) ? null : Engine.Plan.RunPlanner.SegmentNameProblem(segment.Trim());
                if (problem != null)
                    Terminate(new ArgumentException(problem), Engine.Plan.PlanErrorIds.InvalidSegmentName, ErrorCategory.InvalidArgument, segment);
            }
        }

        protected override void ProcessRecord()
        {
            ExportRecord? existing;
            try { existing = Exports.Find(Name); }
            catch (StateException ex) { WriteError(StateError(ex, Name)); return; }
            if (existing == null)
            {
                WriteError(NotFound(StateErrorIds.ExportNotFound, "export", Name));
                return;
            }
            if (!ShouldProcess(existing.Name, "Set " + string.Join("; ", _changes))) return;

            ExportRecord? updated;
            try
            {
                updated = Exports.Update(existing.Name, Apply, DateTimeOffset.Now);
            }
            catch (ArgumentException ex) { WriteError(new ErrorRecord(ex, "InvalidExportSetting", ErrorCategory.InvalidArgument, Name)); return; }
            catch (StateException ex) { WriteError(StateError(ex, Name)); return; }
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException) { WriteError(IoError(ex, Name)); return; }
            if (updated == null)
            {
                WriteError(NotFound(StateErrorIds.ExportNotFound, "export", Name));
                return;
            }
            WriteVerbose($"Export '{updated.Name}': {string.Join("; ", _changes)}. Kept: connection '{updated.Connection}', " +
                (updated.FieldMap == null ? "automatic field matching" : "field map " + updated.FieldMap.ToFieldMap().Describe()) + ".");
            if (PassThru.IsPresent) WriteObject(OutputConverter.ToOutput(updated));
        }

        private void Apply(ExportRecord e)
        {
            if (Given(nameof(Segment))) e.Segments = Segment!.ToList();
            if (Given(nameof(MaxProfiles))) e.MaxProfiles = MaxProfiles;
            if (Given(nameof(RequestsPerSecond))) e.RequestsPerSecond = RequestsPerSecond;
            if (Given(nameof(Concurrency))) e.Concurrency = Concurrency;
            if (Given(nameof(SyncMode))) e.SyncMode = SyncMode;
            if (Given(nameof(MaxRemovalPercent))) e.MaxRemovalPercent = MaxRemovalPercent;
            if (Given(nameof(KeepRuns))) e.KeepRuns = KeepRuns;
        }

        private bool Given(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);
    }
}
