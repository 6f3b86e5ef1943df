using System;
using System.Collections.Generic;

namespace AutopilotExport.Engine.Export
{
    /// <summary>Final state of a run, as a scheduled task acts on it.</summary>
    public enum ExportStatus
    {
        Succeeded,
        CompletedWithErrors,
        Failed,
        Cancelled,
    }

    /// <summary>How a received row ended. Every row ends in exactly one of these.</summary>
    public enum RowOutcome
    {
        Exported,
        Invalid,
        Duplicate,
        Failed,
    }

    /// <summary>Stable error ids: they appear in ErrorRecord.FullyQualifiedErrorId and in the row report.</summary>
    public static class ErrorIds
    {
        public const string MissingEmail = "MissingEmail";
        public const string InvalidEmail = "InvalidEmail";
        public const string InvalidFieldValue = "InvalidFieldValue";
        public const string MissingSegment = "MissingSegment";
        public const string NullRow = "NullRow";
        public const string DuplicateEmail = "DuplicateEmail";
        public const string ProfileLimitExceeded = "ProfileLimitExceeded";
        public const string RejectedByApi = "RejectedByApi";
        public const string NotInEmailContactMap = "NotInEmailContactMap";
        public const string SendFailed = "SendFailed";
        public const string Unauthorized = "Unauthorized";
        public const string ServiceUnavailable = "ServiceUnavailable";
        public const string ListUnavailable = "ListUnavailable";
    }
}
