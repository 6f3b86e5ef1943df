using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
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

    internal static class NameCompletion
    {
        public static IEnumerable<CompletionResult> Complete(IEnumerable<string> names, string? wordToComplete, string what)
        {
            var word = (wordToComplete ?? "").Trim().Trim('\'', '"');
            var pattern = new WildcardPattern(WildcardPattern.Escape(word) + "*", WildcardOptions.IgnoreCase);
            foreach (var name in names.OrderBy(n => n, StringComparer.OrdinalIgnoreCase))
            {
                if (!pattern.IsMatch(name)) continue;
                yield return new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, $"Saved {what} '{name}'");
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
