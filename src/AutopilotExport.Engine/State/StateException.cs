using System;

namespace AutopilotExport.Engine.State
{
    /// <summary>Stable ids of state problems; the cmdlets use them as error ids.</summary>
    public static class StateErrorIds
    {
        public const string StateFileCorrupt = "StateFileCorrupt";
        /// <summary>A state file, the state folder or the key file cannot be read: a folder or a link to nothing in its place, no access.</summary>
        public const string StateFileUnreadable = "StateFileUnreadable";
        /// <summary>The state folder or one of its files is owned by another user or writable by group/others (Unix StrictModes).</summary>
        public const string UnsafeStatePermissions = "UnsafeStatePermissions";
        public const string StateLocked = "StateLocked";
        public const string ConnectionExists = "ConnectionExists";
        public const string ConnectionNotFound = "ConnectionNotFound";
        public const string ExportExists = "ExportExists";
        public const string ExportNotFound = "ExportNotFound";
        public const string ApiKeyMissing = "ApiKeyMissing";
        public const string SecretUnreadable = "SecretUnreadable";
        public const string InvalidName = "InvalidName";
        /// <summary>The sync record of an export is held by another run of the same export.</summary>
        public const string SyncRecordBusy = "SyncRecordBusy";
    }

    /// <summary>
    /// A problem with the saved state (a corrupt file, a name that exists or does not, a key that cannot be
    /// read). <see cref="ErrorId"/> is one of <see cref="StateErrorIds"/>. Messages never contain a secret.
    /// </summary>
    public sealed class StateException : Exception
    {
        public StateException(string errorId, string message, string? path = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Path = path;
        }

        public string ErrorId { get; }

        /// <summary>The file concerned, when there is one.</summary>
        public string? Path { get; }
    }
}
