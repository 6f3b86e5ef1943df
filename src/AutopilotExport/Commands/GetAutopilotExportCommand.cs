using System.Management.Automation;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Lists saved export definitions.</summary>
    [Cmdlet(VerbsCommon.Get, "AutopilotExport")]
    [OutputType(typeof(AutopilotExportDefinition))]
    public sealed class GetAutopilotExportCommand : AutopilotCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ExportNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        protected override void ProcessRecord()
        {
            var all = WithState(() => Exports.GetAll(), Name);
            foreach (var e in SelectByName(all, e => e.Name, Name, StateErrorIds.ExportNotFound, "export"))
                WriteObject(OutputConverter.ToOutput(e));
        }
    }
}
