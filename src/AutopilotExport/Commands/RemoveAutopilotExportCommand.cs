using System.Linq;
using System.Management.Automation;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Deletes saved export definitions with their run history and sync record (the contacts in Autopilot stay).</summary>
    [Cmdlet(VerbsCommon.Remove, "AutopilotExport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    public sealed class RemoveAutopilotExportCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The name(s) of the saved export(s) to remove.")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ExportNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = new string[0];

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var all = WithState(() => Exports.GetAll(), Name);
            foreach (var e in SelectByName(all, e => e.Name, Name, StateErrorIds.ExportNotFound, "export").ToList())
            {
                if (!ConfirmChange(Force.IsPresent, e.Name, "Remove saved export, its run history and its sync record")) continue;
                try
                {
                    // The sync record first: it is held while a run of the export is under way (SyncRecordBusy), and
                    // then nothing is removed.
                    bool hadSync = new SyncRecordStore(Home).Remove(e.Name);
                    if (!Exports.Remove(e.Name))
                    {
                        WriteError(NotFound(StateErrorIds.ExportNotFound, "export", e.Name));
                        continue;
                    }
                    bool hadHistory = new RunHistoryStore(Home).Remove(e.Name);
                    WriteVerbose($"Removed export '{e.Name}'{(hadHistory ? ", its run history" : "")}{(hadSync ? ", its sync record" : "")}.");
                }
                catch (StateException ex)
                {
                    WriteError(StateError(ex, e.Name));
                }
                catch (System.Exception ex) when (ex is System.IO.IOException || ex is System.UnauthorizedAccessException)
                {
                    WriteError(IoError(ex, e.Name));
                }
            }
        }
    }
}
