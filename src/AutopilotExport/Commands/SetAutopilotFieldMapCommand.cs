using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using AutopilotExport.Engine.Mapping;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Replaces the field map of a saved export: which input property feeds Email, the other standard fields and custom fields.</summary>
    [Cmdlet(VerbsCommon.Set, "AutopilotFieldMap", SupportsShouldProcess = true)]
    [OutputType(typeof(AutopilotExportDefinition))]
    public sealed class SetAutopilotFieldMapCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The name of the saved export whose field map is replaced.")]
        [Alias("Name")]
        [ArgumentCompleter(typeof(ExportNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Export { get; set; } = "";

        [Parameter(Mandatory = true, HelpMessage = "The input property that holds the email address (e.g. Mail, EmailAddress, UserPrincipalName).")]
        [ValidateNotNullOrEmpty]
        public string Email { get; set; } = "";

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? FirstName { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? LastName { get; set; }

        /// <summary>Other standard fields: @{ Company = 'Org'; Phone = 'TelephoneNumber' }.</summary>
        [Parameter]
        public Hashtable? Field { get; set; }

        /// <summary>Custom fields: @{ 'Loyalty Tier' = 'Tier' } or @{ 'Order Count' = @{ Property = 'Orders'; Type = 'integer' } }.</summary>
        [Parameter]
        public Hashtable? CustomField { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        private FieldMap? _map;

        protected override void BeginProcessing()
        {
            // The map is the same for every piped export: build (and validate) it once, by the rules of every field map.
            var map = new FieldMap();
            try
            {
                map.AddStandard(StandardFields.Email, Email, "-Email");
                if (!string.IsNullOrWhiteSpace(FirstName)) map.AddStandard("FirstName", FirstName, "-FirstName");
                if (!string.IsNullOrWhiteSpace(LastName)) map.AddStandard("LastName", LastName, "-LastName");
                var fields = FieldMapInput.Plain(Field);
                if (fields != null)
                {
                    foreach (DictionaryEntry entry in fields)
                    {
                        var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture)?.Trim() ?? "";
                        if (StandardFields.TryGetCanonical(key, out var canonical) && canonical == StandardFields.Email)
                            throw new ArgumentException("Use -Email for the email property, not -Field.");
                        if (!StandardFields.TryGetCanonical(key, out _))
                            throw new ArgumentException($"-Field key '{key}' is not an Autopilot standard field ({string.Join(", ", StandardFields.Names)}). Use -CustomField for custom fields.");
                        map.AddStandard(key, entry.Value, $"-Field key '{key}'");
                    }
                }
                var customs = FieldMapInput.Plain(CustomField);
                if (customs != null) Engine.Mapping.FieldMap.AddCustomFields(map, customs);
                map.Validate();
            }
            catch (ArgumentException ex)
            {
                Terminate(ex, "InvalidFieldMap", ErrorCategory.InvalidArgument, Field ?? (object?)CustomField);
            }
            _map = map;
        }

        protected override void ProcessRecord()
        {
            ExportRecord? existing;
            try { existing = Exports.Find(Export); }
            catch (StateException ex) { WriteError(StateError(ex, Export)); return; }
            if (existing == null)
            {
                WriteError(NotFound(StateErrorIds.ExportNotFound, "export", Export));
                return;
            }
            if (!ShouldProcess(existing.Name, $"Set field map: {_map!.Describe()}")) return;
            ExportRecord? updated;
            try { updated = Exports.SetFieldMap(existing.Name, _map, DateTimeOffset.Now); }
            catch (StateException ex) { WriteError(StateError(ex, Export)); return; }
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException) { WriteError(IoError(ex, Export)); return; }
            if (updated == null)
            {
                WriteError(NotFound(StateErrorIds.ExportNotFound, "export", Export));
                return;
            }
            if (PassThru.IsPresent) WriteObject(OutputConverter.ToOutput(updated));
        }
    }
}
