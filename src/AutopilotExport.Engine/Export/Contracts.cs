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
        /// <summary>No row came in at all (an empty file, a forgotten pipe): nothing to export, nothing sent.</summary>
        NoInput,
    }

    /// <summary>How a received row ended. Every row ends in exactly one of these.</summary>
    public enum RowOutcome
    {
        Exported,
        Invalid,
        Duplicate,
        Failed,
    }
}
