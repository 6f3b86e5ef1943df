using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Send;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Tab completion of saved connection names.</summary>
    public sealed class ConnectionNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            IReadOnlyList<string> names;
            try
            {
                names = new ConnectionStore(StateHome.Resolve()).GetAll().Select(c => c.Name).ToList();
            }
            catch (Exception)
            {
                // Completion must never throw at the user (corrupt state is reported by the commands themselves).
                return Array.Empty<CompletionResult>();
            }
            return NameCompletion.Complete(names, wordToComplete, "connection");
        }
    }

    /// <summary>Tab completion of saved export names.</summary>
    public sealed class ExportNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            IReadOnlyList<string> names;
            try
            {
                names = new ExportStore(StateHome.Resolve()).GetAll().Select(e => e.Name).ToList();
            }
            catch (Exception)
            {
                return Array.Empty<CompletionResult>();
            }
            return NameCompletion.Complete(names, wordToComplete, "export");
        }
    }

    /// <summary>
    /// Tab completion of -Segment (Autopilot list names): the segments the saved exports of the connection use, and,
    /// when the connection's API answers within <see cref="ApiTimeout"/>, the lists the account has. The connection is
    /// the one -Connection names; before -Connection is given, the segments of every saved export are offered.
    /// Completion never throws and never waits much longer than the timeout.
    /// </summary>
    public sealed class SegmentCompleter : IArgumentCompleter
    {
        /// <summary>How long completion waits for GET /lists: short, since the user is waiting at the prompt.</summary>
        internal static readonly TimeSpan ApiTimeout = TimeSpan.FromSeconds(2);

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var tips = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            try
            {
                var home = StateHome.Resolve();
                var exports = new ExportStore(home).GetAll();
                var connectionName = BoundString(fakeBoundParameters, "Connection");

                foreach (var export in exports)
                {
                    if (connectionName != null && !string.Equals(export.Connection, connectionName, StringComparison.OrdinalIgnoreCase)) continue;
                    foreach (var segment in export.Segments ?? new List<string>())
                        if (!string.IsNullOrWhiteSpace(segment) && !tips.ContainsKey(segment)) tips[segment] = $"Segment of saved export '{export.Name}'";
                }

                var connection = connectionName == null ? null : new ConnectionStore(home).Find(connectionName);
                if (connection != null)
                {
                    foreach (var title in ListTitles(connection, new ConnectionStore(home)))
                        if (!tips.ContainsKey(title)) tips[title] = $"Autopilot list of connection '{connection.Name}'";
                }
            }
            catch (Exception)
            {
                // Completion must never throw at the user; what was found so far is still offered.
            }
            return NameCompletion.Complete(tips, wordToComplete);
        }

        private static IReadOnlyList<string> ListTitles(ConnectionRecord connection, ConnectionStore store)
        {
            try
            {
                var endpoint = new Uri(connection.BaseUri);
                if (BaseUriPolicy.Check(endpoint) != null) return Array.Empty<string>();
                var key = store.ResolveApiKey(connection);
                using var cancel = new CancellationTokenSource(ApiTimeout);
                using var client = new AutopilotApiClient(endpoint, key);
                // Off the pipeline thread, so no synchronization context can deadlock it; the call takes its turn in the
                // account's pace like every other request of this session.
                var lists = Task.Run(() => ApiPace.RunOnceAsync(client, connection.RequestsPerSecond, client.GetListsAsync, cancel.Token));
                if (!lists.Wait(ApiTimeout + TimeSpan.FromMilliseconds(250))) return Array.Empty<string>();
                return lists.Result.Select(l => l.Title).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
            }
            catch (Exception)
            {
                // Unreachable, refused, slow or no key: offer the saved names only.
                return Array.Empty<string>();
            }
        }

        private static string? BoundString(IDictionary? bound, string name)
        {
            if (bound == null || !bound.Contains(name)) return null;
            var value = bound[name];
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            var text = value as string ?? (value as IEnumerable<object>)?.FirstOrDefault()?.ToString();
            return string.IsNullOrWhiteSpace(text) ? null : text!.Trim();
        }
    }

    internal static class NameCompletion
    {
        public static IEnumerable<CompletionResult> Complete(IEnumerable<string> names, string? wordToComplete, string what) =>
            Complete(names.Distinct(StringComparer.OrdinalIgnoreCase).ToDictionary(n => n, n => $"Saved {what} '{n}'", StringComparer.OrdinalIgnoreCase), wordToComplete);

        /// <summary>Names that start with the word typed so far, sorted, quoted where PowerShell needs it; tool tip per name.</summary>
        public static IEnumerable<CompletionResult> Complete(IReadOnlyDictionary<string, string> namesWithTips, string? wordToComplete)
        {
            var word = (wordToComplete ?? "").Trim().Trim('\'', '"');
            var pattern = new WildcardPattern(WildcardPattern.Escape(word) + "*", WildcardOptions.IgnoreCase);
            foreach (var name in namesWithTips.Keys.OrderBy(n => n, StringComparer.OrdinalIgnoreCase))
            {
                if (!pattern.IsMatch(name)) continue;
                yield return new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, namesWithTips[name]);
            }
        }

        private static string Quote(string name)
        {
            foreach (var c in name)
            {
                if (char.IsWhiteSpace(c) || "'\"`$&@(){}[];,|<>#".IndexOf(c) >= 0)
                    return "'" + name.Replace("'", "''") + "'";
            }
            return name;
        }
    }
}
