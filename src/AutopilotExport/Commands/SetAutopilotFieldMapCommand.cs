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
            // The map is the same for every piped export: build (and validate) it once.
            var map = new FieldMap { Email = Email.Trim() };
            try
            {
                if (!string.IsNullOrWhiteSpace(FirstName)) map.Standard["FirstName"] = FirstName!.Trim();
                if (!string.IsNullOrWhiteSpace(LastName)) map.Standard["LastName"] = LastName!.Trim();
                if (Field != null)
                {
                    foreach (DictionaryEntry entry in Field)
                    {
                        var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture)?.Trim() ?? "";
                        if (!StandardFields.TryGetCanonical(key, out var canonical))
                            throw new ArgumentException($"-Field key '{key}' is not an Autopilot standard field ({string.Join(", ", StandardFields.Names)}). Use -CustomField for custom fields.");
                        if (canonical == StandardFields.Email)
                            throw new ArgumentException("Use -Email for the email property, not -Field.");
                        var property = Convert.ToString(entry.Value is PSObject p ? p.BaseObject : entry.Value, CultureInfo.InvariantCulture)?.Trim();
                        if (string.IsNullOrEmpty(property)) throw new ArgumentException($"-Field key '{key}' names no input property.");
                        if (map.Standard.ContainsKey(canonical))
                            throw new ArgumentException($"Standard field '{canonical}' is mapped twice (by -{canonical} and by -Field).");
                        map.Standard[canonical] = property!;
                    }
                }
                if (CustomField != null) Engine.Mapping.FieldMap.AddCustomFields(map, CustomField);
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
