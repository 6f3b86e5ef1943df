using System;
using System.Globalization;
using System.Management.Automation;
using AutopilotExport.Engine;
using AutopilotExport.Engine.Export;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// How Start-AutopilotExport words a run's events for PowerShell: error records and their categories, the
    /// advice that names this module's cmdlets and parameters (the engine names none), and progress records.
    /// </summary>
    internal static class RunWording
    {
        public const string ProgressActivity = "Exporting to Autopilot";
        public const int ProgressId = 0x4150; // "AP"

        /// <summary>A row's error; <paramref name="reason"/> is already scrubbed of the key, with its advice.</summary>
        public static ErrorRecord RowError(RowProblemEvent p, string reason)
        {
            ErrorCategory category;
            switch (p.ErrorId)
            {
                case ErrorIds.ProfileLimitExceeded: category = ErrorCategory.LimitsExceeded; break;
                case ErrorIds.SendFailed:
                case ErrorIds.ServiceUnavailable:
                case ErrorIds.ListUnavailable: category = ErrorCategory.ConnectionError; break;
                default:
                    category = p.Outcome == RowOutcome.Failed ? ErrorCategory.WriteError : ErrorCategory.InvalidData;
                    break;
            }
            // A refused address is quoted by the reason itself (shortened, control characters shown as '?').
            bool showEmail = !string.IsNullOrEmpty(p.Email) && p.ErrorId != ErrorIds.InvalidEmail && p.ErrorId != ErrorIds.MissingEmail;
            var message = reason.StartsWith("Row ", StringComparison.Ordinal)
                ? reason
                : $"Row {p.RowNumber.ToString(CultureInfo.InvariantCulture)}{(showEmail ? " (" + p.Email + ")" : "")}: {reason}";
            return new ErrorRecord(new Exception(message), p.ErrorId, category, p.Tag);
        }

        /// <summary>What the user can do about an error id; the advice on a refused key fits where the key comes from.</summary>
        public static string Advice(string errorId, KeySource keySource, string connection)
        {
            switch (errorId)
            {
                case ErrorIds.ProfileLimitExceeded:
                    return " (raise -MaxProfiles if your Autopilot contract allows more)";
                case ErrorIds.Unauthorized:
                    return keySource == KeySource.Environment
                        ? $" The key of connection '{connection}' comes from $env:{ConnectionStore.ApiKeyEnvironmentVariable}, which holds a wrong or revoked key; set it to a valid key."
                        : $" The key of connection '{connection}' is wrong or was revoked; store a new one with New-AutopilotConnection -Name '{connection}' -Force.";
                case ErrorIds.RemovalLimitExceeded:
                    return " If the input is complete and they did leave the segment, run again with -Force, or raise the limit with Set-AutopilotExport -MaxRemovalPercent; -WhatIf names them.";
                case ErrorIds.RejectedForEveryRow:
                    return " Check the field map's custom field names and types against the fields in Autopilot (Get-AutopilotExport shows the map); the row report lists the rows not sent.";
                default:
                    return "";
            }
        }

        /// <summary>Rate and elapsed time always; percent and time left only when the number of rows is known,
        /// because a pipeline's backlog says nothing about what is still to come.</summary>
        public static ProgressRecord Progress(ProgressEvent e)
        {
            var c = e.Counters;
            var skipped = c.Invalid + c.Duplicate + c.Failed;
            var status = string.Format(CultureInfo.CurrentCulture, "{0:N0} received, {1:N0} exported{2}, {3:N0} profiles/s, {4} elapsed{5}",
                c.Received, c.Exported,
                skipped > 0 ? string.Format(CultureInfo.CurrentCulture, ", {0:N0} not exported", skipped) : "",
                e.ProfilesPerSecond,
                FormatDuration(e.Elapsed),
                e.Eta.HasValue ? ", " + FormatDuration(e.Eta.Value) + " left" : "");
            return new ProgressRecord(ProgressId, ProgressActivity, status)
            {
                PercentComplete = e.PercentComplete ?? -1,
                SecondsRemaining = e.Eta.HasValue ? (int)Math.Min(int.MaxValue, Math.Max(0, e.Eta.Value.TotalSeconds)) : -1,
            };
        }

        private static string FormatDuration(TimeSpan span) =>
            span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }
}
