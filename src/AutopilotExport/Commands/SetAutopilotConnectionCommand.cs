using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// Changes a saved connection: rotates its API key (checked with GET /account before it is stored) or changes its
    /// pace. Everything else (base URI, consent, exports that use it) is kept.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "AutopilotConnection", SupportsShouldProcess = true)]
    [OutputType(typeof(AutopilotConnection))]
    public sealed class SetAutopilotConnectionCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The name of the saved connection to change.")]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        /// <summary>The new key, stored protected once GET /account accepts it. A connection that read its key from the environment then stores it.</summary>
        [Parameter]
        [ValidateNotNull]
        public SecureString? ApiKey { get; set; }

        [Parameter]
        [ValidateRange(0.0, 1000.0)]
        public double RequestsPerSecond { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            if (!MyInvocation.BoundParameters.ContainsKey(nameof(ApiKey)) && !MyInvocation.BoundParameters.ContainsKey(nameof(RequestsPerSecond)))
                Terminate(new ArgumentException("Nothing to change: give -ApiKey (to rotate the key) or -RequestsPerSecond (to change the pace)."),
                    "NothingToChange", ErrorCategory.InvalidArgument, null);
            if (ApiKey != null && ApiKey.Length == 0)
                Terminate(new ArgumentException("-ApiKey is empty."), StateErrorIds.ApiKeyMissing, ErrorCategory.InvalidArgument, null);
        }

        protected override void ProcessRecord()
        {
            ConnectionRecord? existing;
            try { existing = Connections.Find(Name); }
            catch (StateException ex) { WriteError(StateError(ex, Name)); return; }
            if (existing == null)
            {
                WriteError(NotFound(StateErrorIds.ConnectionNotFound, "connection", Name));
                return;
            }
            bool pace = MyInvocation.BoundParameters.ContainsKey(nameof(RequestsPerSecond));
            var changes = new List<string>();
            if (ApiKey != null) changes.Add(existing.KeySource == KeySource.Environment ? "store a new API key (instead of reading $env:" + ConnectionStore.ApiKeyEnvironmentVariable + ")" : "rotate the API key");
            if (pace) changes.Add($"pace {RequestsPerSecond.ToString("0.##", CultureInfo.InvariantCulture)} requests/s");

            if (ApiKey == null)
            {
                if (!ShouldProcess(existing.Name, "Set " + string.Join("; ", changes))) return;
                WithState(() => Connections.Update(existing.Name, c => c.RequestsPerSecond = RequestsPerSecond), Name);
                Done(existing.Name);
                return;
            }

            // The key goes only where the base-URI policy allows, as for every other use of a saved connection.
            var endpoint = SendableEndpoint(existing, out var uriError);
            if (endpoint == null)
            {
                WriteError(uriError!);
                return;
            }
            if (!ShouldProcess($"{existing.Name} ({endpoint.Host})", "Set " + string.Join("; ", changes))) return;

            var key = SecretText.ToPlainText(ApiKey).Trim();
            var account = CheckKey(endpoint, key, pace ? RequestsPerSecond : existing.RequestsPerSecond, "-ApiKey", existing.Name,
                "the connection keeps its old key", "try again later");
            if (!string.IsNullOrEmpty(existing.InstanceId) && !string.Equals(existing.InstanceId, account.InstanceId, StringComparison.Ordinal))
                WriteWarning($"The new key belongs to Autopilot instance {account.InstanceId}, not to {existing.InstanceId} as the old one did: the exports that use connection " +
                    $"'{existing.Name}' now send to another account, and their sync records start afresh (every contact is sent once).");

            var record = existing.Clone();
            record.KeySource = KeySource.Stored;
            record.InstanceId = account.InstanceId;
            record.LastValidatedAt = DateTimeOffset.Now;
            if (pace) record.RequestsPerSecond = RequestsPerSecond;
            WithState(() => Connections.Save(record, key, overwrite: true), Name);
            Done(existing.Name);
        }

        private void Done(string name)
        {
            if (!PassThru.IsPresent) return;
            var saved = WithState(() => Connections.Find(name), name);
            if (saved != null) WriteObject(OutputConverter.ToOutput(saved));
        }
    }
}
