using System;
using System.Management.Automation;
using System.Security;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Send;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// Saves a connection to an Autopilot instance: checks the key with GET /account, records the data-privacy
    /// consent and protects the key in the per-user state folder (or reads it from $env:AUTOPILOT_API_KEY at each use).
    /// </summary>
    [Cmdlet(VerbsCommon.New, "AutopilotConnection", SupportsShouldProcess = true)]
    [OutputType(typeof(AutopilotConnection))]
    public sealed class NewAutopilotConnectionCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, HelpMessage = "A name for the connection, used by -Connection of the other commands.")]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter(Position = 1)]
        public SecureString? ApiKey { get; set; }

        [Parameter]
        [ValidateNotNull]
        public Uri BaseUri { get; set; } = new Uri(BaseUriPolicy.Default);

        [Parameter]
        public SwitchParameter AcceptDataPrivacy { get; set; }

        [Parameter]
        [ValidateRange(0.0, 1000.0)]
        public double RequestsPerSecond { get; set; } = 5;

        [Parameter]
        public SwitchParameter SkipValidation { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            string name;
            try
            {
                name = StateNames.Validate(Name, "connection");
            }
            catch (StateException ex)
            {
                ThrowTerminatingError(StateError(ex, Name));
                return;
            }

            var uriProblem = BaseUriPolicy.Check(BaseUri);
            if (uriProblem != null)
                Terminate(new ArgumentException(uriProblem.Message, nameof(BaseUri)), uriProblem.ErrorId, ErrorCategory.InvalidArgument, BaseUriPolicy.Redact(BaseUri?.OriginalString));
            var baseUri = BaseUriPolicy.Normalize(BaseUri!);

            if (!AcceptDataPrivacy.IsPresent)
            {
                Terminate("ConsentRequired", ErrorCategory.PermissionDenied,
                    "Exporting sends customer profiles (names, email addresses and the fields you map) to Autopilot, a third-party service: " +
                    "the data leaves your organisation's compliance boundary and is processed under Autopilot's terms. " +
                    "Confirm that this is allowed for the data you will export (privacy policy, data processing agreement, consent of the people concerned) " +
                    "by running the command again with -AcceptDataPrivacy. The time of consent is recorded with the connection.",
                    name);
            }

            if (!Force.IsPresent && WithState(() => Connections.Exists(name), name))
            {
                ThrowTerminatingError(StateError(new StateException(StateErrorIds.ConnectionExists,
                    $"A connection named '{name}' exists already. Use -Force to replace it, or Remove-AutopilotConnection first."), name));
            }

            KeySource source;
            string key;
            if (ApiKey != null && ApiKey.Length > 0)
            {
                source = KeySource.Stored;
                key = SecretText.ToPlainText(ApiKey).Trim();
            }
            else
            {
                source = KeySource.Environment;
                key = Environment.GetEnvironmentVariable(ConnectionStore.ApiKeyEnvironmentVariable)?.Trim() ?? "";
            }
            if (key.Length == 0)
            {
                Terminate(StateErrorIds.ApiKeyMissing, ErrorCategory.AuthenticationError,
                    $"No API key: pass -ApiKey (a SecureString, e.g. from Read-Host -AsSecureString or Get-Secret), or set the environment variable {ConnectionStore.ApiKeyEnvironmentVariable} " +
                    "so the connection reads the key from there at each use.", name);
            }

            var endpoint = new Uri(baseUri);
            if (!ShouldProcess($"Connection '{name}' to {endpoint.Host}", Force.IsPresent ? "Create or replace" : "Create")) return;

            var now = DateTimeOffset.Now;
            var record = new ConnectionRecord
            {
                Name = name,
                BaseUri = baseUri,
                KeySource = source,
                RequestsPerSecond = RequestsPerSecond,
                ConsentedAt = now,
                CreatedAt = now,
            };

            if (!SkipValidation.IsPresent)
            {
                var account = CheckKey(endpoint, key, RequestsPerSecond, source == KeySource.Stored ? "-ApiKey" : "$env:" + ConnectionStore.ApiKeyEnvironmentVariable, name,
                    "nothing was saved", "use -SkipValidation to save it anyway");
                record.InstanceId = account.InstanceId;
                record.LastValidatedAt = DateTimeOffset.Now;
            }

            var saved = WithState(() => Connections.Save(record, source == KeySource.Stored ? key : null, overwrite: Force.IsPresent), name);
            WriteObject(OutputConverter.ToOutput(saved));
        }
    }
}
