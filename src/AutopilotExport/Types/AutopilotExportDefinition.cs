using System;

namespace AutopilotExport
{
    /// <summary>A saved export: where profiles go and how they are matched. Saving does not run it.</summary>
    public sealed class AutopilotExportDefinition
    {
        public string Name { get; set; } = "";
        public string Connection { get; set; } = "";
        public string[] Segments { get; set; } = Array.Empty<string>();
        public string? SegmentProperty { get; set; }
        public int MaxProfiles { get; set; }
        /// <summary>Null: common property names are matched automatically (Email/EmailAddress/Mail/UserPrincipalName, FirstName/GivenName, LastName/Surname/sn).</summary>
        public AutopilotFieldMap? FieldMap { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public DateTimeOffset ModifiedAt { get; set; }
        public DateTimeOffset? LastRunAt { get; set; }
        public string? LastRunStatus { get; set; }

        public override string ToString() => Name;
    }
}
