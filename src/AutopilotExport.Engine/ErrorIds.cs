namespace AutopilotExport.Engine
{
    /// <summary>Stable error ids: they appear in ErrorRecord.FullyQualifiedErrorId and in the row report.</summary>
    public static class ErrorIds
    {
        public const string MissingEmail = "MissingEmail";
        public const string InvalidEmail = "InvalidEmail";
        public const string InvalidFieldValue = "InvalidFieldValue";
        public const string MissingSegment = "MissingSegment";
        public const string NullRow = "NullRow";
        /// <summary>A segment name (from -Segment, a saved export or a row's segment property) that cannot be a list
        /// name: a control character, a lone surrogate, a non-plain space or an invisible format character.</summary>
        public const string InvalidSegmentName = "InvalidSegmentName";
        /// <summary>A mapped property is not on the row, and two of the row's properties equal it once surrounding
        /// spaces are ignored (' Email' and 'Email '), so either could be meant.</summary>
        public const string AmbiguousProperty = "AmbiguousProperty";
        public const string DuplicateEmail = "DuplicateEmail";
        public const string ProfileLimitExceeded = "ProfileLimitExceeded";
        public const string RejectedByApi = "RejectedByApi";
        public const string NotInEmailContactMap = "NotInEmailContactMap";
        public const string SendFailed = "SendFailed";
        public const string Unauthorized = "Unauthorized";
        public const string ServiceUnavailable = "ServiceUnavailable";
        public const string ListUnavailable = "ListUnavailable";
        /// <summary>The API refused several contacts in a row for one reason that is not about the row (a custom
        /// field name it does not take, a field sent with another type than it was created with): the run stops.</summary>
        public const string RejectedForEveryRow = "RejectedForEveryRow";
        /// <summary>Mirror would take more than the export's limit of its contacts off a list: nobody was removed.</summary>
        public const string RemovalLimitExceeded = "RemovalLimitExceeded";
        /// <summary>Mirror could not get a list-membership removal confirmed.</summary>
        public const string RemovalFailed = "RemovalFailed";
    }
}
