using System;
using System.Diagnostics;
using System.Management.Automation;
using AutopilotExport.Engine.Api;
using AutopilotExport.Engine.Send;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>Checks a saved connection with GET /account: is the host reachable and is the key accepted?</summary>
    [Cmdlet(VerbsDiagnostic.Test, "AutopilotConnection")]
    [OutputType(typeof(AutopilotConnectionTestResult))]
    [OutputType(typeof(bool))]
    public sealed class TestAutopilotConnectionCommand : AutopilotCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "The name of the saved connection to test.")]
        [ArgumentCompleter(typeof(ConnectionNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            ConnectionRecord? connection = null;
            try
            {
                connection = Connections.Find(Name);
            }
            catch (StateException ex)
            {
                WriteError(StateError(ex, Name));
                return;
            }
            if (connection == null)
            {
                WriteError(NotFound(StateErrorIds.ConnectionNotFound, "connection", Name));
                return;
            }

            var endpoint = SendableEndpoint(connection, out var uriError);
            if (endpoint == null)
            {
                WriteError(uriError!);
                return;
            }

            var result = new AutopilotConnectionTestResult { Name = connection.Name };
            string key;
            try
            {
                key = Connections.ResolveApiKey(connection);
            }
            catch (StateException ex)
            {
                // No key in this session is a test result; a stored key or state that is damaged or not to be
                // trusted is also an error with its id, like every other command reports it.
                if (ex.ErrorId != StateErrorIds.ApiKeyMissing) WriteError(StateError(ex, connection.Name));
                result.Message = ex.Message;
                Emit(result);
                return;
            }

            var watch = Stopwatch.StartNew();
            try
            {
                WriteVerbose($"GET /account at {endpoint.Host} for connection '{connection.Name}'.");
                using var client = new AutopilotApiClient(endpoint, key);
                // The key check takes its turn in the account's pace, shared with any export in this session (the API counts
                    // per key), and a 429 or a passing fault is retried as an export retries it.
                var account = Wait(ct => KeyCheck.GetAccountAsync(client, connection.RequestsPerSecond, null, ct), KeyCheck.Budget);
                result.Success = true;
                result.StatusCode = 200;
                result.InstanceId = account.InstanceId;
                result.Message = "The key is accepted.";
                var now = DateTimeOffset.Now;
                try
                {
                    Connections.Update(connection.Name, c => { c.LastValidatedAt = now; c.InstanceId = account.InstanceId; });
                }
                catch (Exception ex) when (ex is StateException || ex is System.IO.IOException || ex is UnauthorizedAccessException)
                {
                    WriteWarning($"The test passed, but the time of validation could not be saved: {ex.Message}");
                }
            }
            catch (AutopilotApiException ex)
            {
                result.StatusCode = ex.StatusCode;
                result.Message = ex.IsAuthFailure
                    ? $"The key was refused ({SecretText.Scrub(ex.Message, key)})."
                    : SecretText.Scrub(ex.Message, key);
            }
            catch (TimeoutException ex)
            {
                result.Message = ex.Message;
            }
            finally
            {
                result.ResponseTime = watch.Elapsed;
            }
            Emit(result);
        }

        private void Emit(AutopilotConnectionTestResult result)
        {
            if (Quiet.IsPresent) WriteObject(result.Success);
            else WriteObject(result);
        }
    }
}
