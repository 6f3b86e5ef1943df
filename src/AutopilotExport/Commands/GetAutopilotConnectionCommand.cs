using System.Management.Automation;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Lists saved connections (never their keys).</summary>
    [Cmdlet(VerbsCommon.Get, "AutopilotConnection")]
    [OutputType(typeof(AutopilotConnection))]
    public sealed class GetAutopilotConnectionCommand : AutopilotCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        protected override void ProcessRecord()
        {
            var all = WithState(() => Connections.GetAll(), Name);
            foreach (var c in SelectByName(all, c => c.Name, Name, StateErrorIds.ConnectionNotFound, "connection"))
                WriteObject(OutputConverter.ToOutput(c));
        }
    }
}
