using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// Lists the runs of saved exports from the run history, newest first. A run whose process died before it
    /// completed shows as Interrupted.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "AutopilotExportRun")]
    [OutputType(typeof(AutopilotExportRun))]
    public sealed class GetAutopilotExportRunCommand : AutopilotCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ExportNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        /// <summary>Only the newest N runs (of all the exports selected together).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int Last { get; set; }

        protected override void ProcessRecord()
        {
            var history = new RunHistoryStore(Home);
            var runs = WithState(() => history.List(), Name);
            var selected = new List<RunRecord>();
            if (Name == null || Name.Length == 0)
            {
                selected.AddRange(runs);
            }
            else
            {
                foreach (var raw in Name)
                {
                    var pattern = raw.Trim();
                    bool wildcard = WildcardPattern.ContainsWildcardCharacters(pattern);
                    var matcher = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                    var matched = runs.Where(r => wildcard ? matcher.IsMatch(r.Export) : string.Equals(r.Export, pattern, StringComparison.OrdinalIgnoreCase)).ToList();
                    // A saved export that never ran has no runs; a name that is neither saved nor in the history is an error.
                    if (matched.Count == 0 && !wildcard && !WithState(() => Exports.Exists(pattern), pattern))
                        WriteError(NotFound(StateErrorIds.ExportNotFound, "export", pattern));
                    selected.AddRange(matched.Where(r => !selected.Contains(r)));
                }
            }
            IEnumerable<RunRecord> ordered = selected.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal);
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Last))) ordered = ordered.Take(Last);
            foreach (var r in ordered) WriteObject(OutputConverter.ToOutput(r));
        }
    }
}
