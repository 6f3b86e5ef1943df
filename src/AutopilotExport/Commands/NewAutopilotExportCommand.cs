using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.Plan;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// Saves an export definition (connection, segments, field map). Saving does not run it. With -Force an existing
    /// definition is replaced, but its field map (when no -FieldMap is given), its run history and the settings made
    /// with Set-AutopilotExport are kept.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AutopilotExport", SupportsShouldProcess = true)]
    [OutputType(typeof(AutopilotExportDefinition))]
    public sealed class NewAutopilotExportCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, HelpMessage = "A name for the export, used by Start-AutopilotExport -Name.")]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Mandatory = true, HelpMessage = "The name of a saved connection (New-AutopilotConnection).")]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Connection { get; set; } = "";

        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SegmentCompleter))]
        public string[]? Segment { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SegmentProperty { get; set; }

        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int MaxProfiles { get; set; } = 100_000;

        [Parameter]
        public Hashtable? FieldMap { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            string name;
            try { name = StateNames.Validate(Name, "export"); }
            catch (StateException ex) { ThrowTerminatingError(StateError(ex, Name)); return; }

            var segments = (Segment ?? Array.Empty<string>()).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).ToList();
            if (segments.Count == 0 && string.IsNullOrWhiteSpace(SegmentProperty))
                Terminate(new ArgumentException("Name at least one -Segment (the Autopilot list the profiles join), or a -SegmentProperty that holds each row's segment."),
                    "SegmentRequired", ErrorCategory.InvalidArgument, name);
            foreach (var segment in segments)
            {
                var problem = RunPlanner.SegmentNameProblem(segment);
                if (problem != null) Terminate(new ArgumentException(problem), PlanErrorIds.InvalidSegmentName, ErrorCategory.InvalidArgument, segment);
            }

            FieldMap? map = null;
            if (FieldMap != null)
            {
                try { map = Engine.Mapping.FieldMap.FromDictionary(FieldMapInput.Plain(FieldMap)!).Validate(); }
                catch (ArgumentException ex) { Terminate(ex, "InvalidFieldMap", ErrorCategory.InvalidArgument, FieldMap); }
            }

            var connection = WithState(() => Connections.Find(Connection), Connection);
            if (connection == null)
                ThrowTerminatingError(NotFound(StateErrorIds.ConnectionNotFound, "connection", Connection));

            if (!Force.IsPresent && WithState(() => Exports.Exists(name), name))
                ThrowTerminatingError(StateError(new StateException(StateErrorIds.ExportExists,
                    $"An export named '{name}' exists already. Use Set-AutopilotExport or Set-AutopilotFieldMap to change it, or -Force to replace it (its field map is kept unless -FieldMap is given)."), name));

            if (!ShouldProcess($"Export '{name}' to lists {string.Join(", ", segments.Select(s => "'" + s + "'"))} via connection '{connection!.Name}'", "Save")) return;

            var now = DateTimeOffset.Now;
            var record = new ExportRecord
            {
                Name = name,
                Connection = connection.Name,
                Segments = segments,
                SegmentProperty = string.IsNullOrWhiteSpace(SegmentProperty) ? null : SegmentProperty!.Trim(),
                MaxProfiles = MaxProfiles,
                FieldMap = map == null ? null : FieldMapRecord.FromFieldMap(map),
                CreatedAt = now,
                ModifiedAt = now,
            };
            // -Force replaces what is given and keeps the field map when no -FieldMap is given (Set-AutopilotExport changes single settings).
            var saved = WithState(() => Exports.Save(record, overwrite: Force.IsPresent, keepFieldMap: FieldMap == null), name);
            if (FieldMap == null && saved.FieldMap != null)
                WriteVerbose($"Export '{saved.Name}' existed: its field map is kept ({saved.FieldMap.ToFieldMap().Describe()}). Give -FieldMap to replace it, or use Set-AutopilotFieldMap.");
            WriteObject(OutputConverter.ToOutput(saved));
        }
    }
}
