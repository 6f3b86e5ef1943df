using System.Linq;
using System.Management.Automation;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Deletes saved connections and their stored keys.</summary>
    [Cmdlet(VerbsCommon.Remove, "AutopilotConnection", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    public sealed class RemoveAutopilotConnectionCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The name(s) of the saved connection(s) to remove.")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = new string[0];

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var all = WithState(() => Connections.GetAll(), Name);
            foreach (var c in SelectByName(all, c => c.Name, Name, StateErrorIds.ConnectionNotFound, "connection").ToList())
            {
                if (!ConfirmChange(Force.IsPresent, c.Name, "Remove connection and its stored API key")) continue;
                try
                {
                    var users = Exports.UsingConnection(c.Name);
                    if (users.Count > 0)
                        WriteWarning($"Saved export(s) {string.Join(", ", users.Select(e => "'" + e.Name + "'"))} use connection '{c.Name}'; they cannot run until a connection of that name exists again.");
                    if (!Connections.Remove(c.Name))
                        WriteError(NotFound(StateErrorIds.ConnectionNotFound, "connection", c.Name));
                    else
                        WriteVerbose($"Removed connection '{c.Name}'{(c.KeySource == KeySource.Stored ? " and its stored key" : "")}.");
                }
                catch (StateException ex)
                {
                    WriteError(StateError(ex, c.Name));
                }
                catch (System.Exception ex) when (ex is System.IO.IOException || ex is System.UnauthorizedAccessException)
                {
                    WriteError(IoError(ex, c.Name));
                }
            }
        }
    }
}
