using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Send;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Shared plumbing of the AutopilotExport cmdlets: state stores, error records, cancellable waits.</summary>
    public abstract class AutopilotCmdlet : PSCmdlet
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private StateHome? _home;
        private ConnectionStore? _connections;
        private ExportStore? _exports;

        /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
        protected CancellationToken Stopping => _stopping.Token;

        protected StateHome Home
        {
            get
            {
                if (_home == null)
                {
                    _home = StateHome.Resolve();
                    var source = string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(StateHome.EnvironmentVariable))
                        ? "the per-user default" : "$env:" + StateHome.EnvironmentVariable;
                    WriteDebug($"State folder: {_home.Path} (from {source}).");
                }
                return _home;
            }
        }
        protected ConnectionStore Connections => _connections ??= new ConnectionStore(Home);
        protected ExportStore Exports => _exports ??= new ExportStore(Home);

        protected override void StopProcessing()
        {
            try { _stopping.Cancel(); } catch (ObjectDisposedException) { }
            base.StopProcessing();
        }

        /// <summary>Waits for an engine call on the pipeline thread, cancelled by Ctrl+C and by <paramref name="timeout"/>.</summary>
        protected T Wait<T>(Func<CancellationToken, Task<T>> call, TimeSpan timeout)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            linked.CancelAfter(timeout);
            try
            {
                return call(linked.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (OperationCanceledException ex)
            {
                throw new TimeoutException($"No answer within {timeout.TotalSeconds:0} s.", ex);
            }
        }

        /// <summary>Ends the command with a terminating error.</summary>
        protected void Terminate(string errorId, ErrorCategory category, string message, object? target, Exception? inner = null)
        {
            EndWith(new ErrorRecord(new InvalidOperationException(message, inner), errorId, category, target));
        }

        protected void Terminate(Exception exception, string errorId, ErrorCategory category, object? target)
        {
            EndWith(new ErrorRecord(exception, errorId, category, target));
        }

        /// <summary>
        /// Ends the command because it cannot go on: a terminating error. A cmdlet that owes its caller an outcome
        /// (Start-AutopilotExport's result object) overrides it; the override must not return either.
        /// </summary>
        protected virtual void EndWith(ErrorRecord error) => ThrowTerminatingError(error);

        protected ErrorRecord StateError(StateException ex, object? target) =>
            new ErrorRecord(ex, ex.ErrorId, CategoryOf(ex.ErrorId), target);

        protected ErrorRecord IoError(Exception ex, object? target) =>
            new ErrorRecord(new IOException($"Cannot use the state folder '{Home.Path}': {ex.Message}", ex),
                "StateFolderUnavailable", ErrorCategory.WriteError, target);

        /// <summary>Runs a state operation; a state or file problem ends the command (the state is unusable).</summary>
        protected T WithState<T>(Func<T> action, object? target)
        {
            try
            {
                return action();
            }
            catch (StateException ex)
            {
                EndWith(StateError(ex, target));
                throw; // unreachable
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                EndWith(IoError(ex, target));
                throw;
            }
        }

        protected void WithState(Action action, object? target) => WithState(() => { action(); return true; }, target);

        protected static ErrorCategory CategoryOf(string stateErrorId)
        {
            switch (stateErrorId)
            {
                case StateErrorIds.StateFileCorrupt:
                case StateErrorIds.StateFileUnreadable: return ErrorCategory.ReadError;
                case StateErrorIds.UnsafeStatePermissions: return ErrorCategory.SecurityError;
                case StateErrorIds.StateLocked:
                case StateErrorIds.SyncRecordBusy: return ErrorCategory.ResourceBusy;
                case StateErrorIds.ConnectionExists:
                case StateErrorIds.ExportExists: return ErrorCategory.ResourceExists;
                case StateErrorIds.ConnectionNotFound:
                case StateErrorIds.ExportNotFound: return ErrorCategory.ObjectNotFound;
                case StateErrorIds.ApiKeyMissing: return ErrorCategory.AuthenticationError;
                case StateErrorIds.SecretUnreadable: return ErrorCategory.SecurityError;
                case StateErrorIds.InvalidName: return ErrorCategory.InvalidArgument;
                default: return ErrorCategory.NotSpecified;
            }
        }

        /// <summary>
        /// The address a saved connection sends its key to, checked by the one base-URI policy (a connection
        /// edited on disk gets no pass); null with <paramref name="error"/> set when the key must not go there.
        /// </summary>
        protected Uri? SendableEndpoint(ConnectionRecord connection, out ErrorRecord? error)
        {
            var problem = BaseUriPolicy.Check(connection.BaseUri, out var uri);
            error = problem == null ? null : new ErrorRecord(
                new InvalidOperationException($"Connection '{connection.Name}': {problem.Message} Fix it with New-AutopilotConnection -Name '{connection.Name}' -BaseUri <uri> -Force."),
                problem.ErrorId, ErrorCategory.InvalidData, connection.Name);
            return uri;
        }

        /// <summary>
        /// The key check of New- and Set-AutopilotConnection: GET /account at the endpoint (which the caller has passed
        /// through the base-URI policy), paced like an export. A refused key ends the command with InvalidApiKey, any
        /// other failure with ConnectionFailed; the messages never hold the key.
        /// </summary>
        protected AccountInfo CheckKey(Uri endpoint, string key, double requestsPerSecond, string keyOrigin, string target, string nothingDone, string otherwise)
        {
            WriteVerbose($"Checking the key with GET /account at {endpoint.Host} (key from {keyOrigin}).");
            try
            {
                using var client = new AutopilotApiClient(endpoint, key);
                // The key check takes its turn in the account's pace, shared with any export in this session (the API counts
                // per key), and a 429 or a passing fault is retried as an export retries it.
                var account = Wait(ct => KeyCheck.GetAccountAsync(client, requestsPerSecond, null, ct), KeyCheck.Budget);
                WriteVerbose($"The key is good: instance {account.InstanceId}.");
                return account;
            }
            catch (AutopilotApiException ex) when (ex.IsAuthFailure || ex.StatusCode == 200)
            {
                Terminate("InvalidApiKey", ErrorCategory.AuthenticationError,
                    $"Autopilot at {endpoint.Host} refused the API key ({SecretText.Scrub(ex.Message, key)}). Check the key in Autopilot under Settings > Autopilot API; {nothingDone}.",
                    target);
            }
            catch (AutopilotApiException ex)
            {
                Terminate("ConnectionFailed", ErrorCategory.ConnectionError,
                    $"Could not validate the connection at {endpoint.Host}: {SecretText.Scrub(ex.Message, key)}. {Capitalized(nothingDone)}; {otherwise}.",
                    target);
            }
            catch (TimeoutException ex)
            {
                Terminate("ConnectionFailed", ErrorCategory.ConnectionError,
                    $"Could not validate the connection at {endpoint.Host}: {ex.Message} {Capitalized(nothingDone)}; {otherwise}.", target);
            }
            throw new InvalidOperationException("unreachable");
        }

        private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);

        protected ErrorRecord NotFound(string errorId, string what, string name) =>
            new ErrorRecord(new ItemNotFoundException($"No saved {what} named '{name}' was found. {(what == "connection" ? "Get-AutopilotConnection" : "Get-AutopilotExport")} lists the saved ones."),
                errorId, ErrorCategory.ObjectNotFound, name);

        /// <summary>
        /// Items whose Name matches any of the patterns (wildcards allowed), each once, in the store's order.
        /// A plain name (no wildcard) that matches nothing is a non-terminating not-found error.
        /// </summary>
        protected IEnumerable<T> SelectByName<T>(IReadOnlyList<T> all, Func<T, string> name, string[]? patterns, string errorId, string what)
        {
            if (patterns == null || patterns.Length == 0)
            {
                foreach (var item in all) yield return item;
                yield break;
            }
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var raw in patterns)
            {
                var pattern = raw?.Trim() ?? "";
                if (pattern.Length == 0) continue;
                bool wildcard = WildcardPattern.ContainsWildcardCharacters(pattern);
                var matcher = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                bool any = false;
                foreach (var item in all)
                {
                    var n = name(item);
                    if (!(wildcard ? matcher.IsMatch(n) : string.Equals(n, pattern, StringComparison.OrdinalIgnoreCase))) continue;
                    any = true;
                    if (seen.Add(n)) yield return item;
                }
                if (!any && !wildcard) WriteError(NotFound(errorId, what, pattern));
            }
        }

        /// <summary>True when -WhatIf (or $WhatIfPreference) is in effect for this command.</summary>
        protected bool IsWhatIf()
        {
            if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var v))
                return v is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(v);
            var pref = GetVariableValue("WhatIfPreference");
            return pref != null && LanguagePrimitives.IsTrue(pref is PSObject p ? p.BaseObject : pref);
        }

        /// <summary>
        /// The confirm step of a high-impact change: -Force skips the prompt (unless -Confirm is given explicitly),
        /// -WhatIf is always honoured.
        /// </summary>
        protected bool ConfirmChange(bool force, string target, string action)
        {
            bool explicitConfirm = MyInvocation.BoundParameters.TryGetValue("Confirm", out var c) && LanguagePrimitives.IsTrue(c is SwitchParameter sp ? sp.IsPresent : c);
            if (force && !explicitConfirm && !IsWhatIf()) return true;
            return ShouldProcess(target, action);
        }
    }
}
