using System;
using System.Runtime.InteropServices;
using System.Security;

namespace AutopilotExport.Commands
{
    internal static class SecretText
    {
        /// <summary>The plain text of a SecureString, for the one moment it is handed to the engine.</summary>
        public static string ToPlainText(SecureString secure)
        {
            if (secure == null || secure.Length == 0) return "";
            IntPtr p = IntPtr.Zero;
            try
            {
                p = Marshal.SecureStringToGlobalAllocUnicode(secure);
                return Marshal.PtrToStringUni(p) ?? "";
            }
            finally
            {
                if (p != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(p);
            }
        }

        /// <summary>Replaces the key in a message, in case any text ever carried it (defence in depth).</summary>
        public static string Scrub(string? message, string? key)
        {
            if (string.IsNullOrEmpty(message)) return message ?? "";
            if (string.IsNullOrEmpty(key) || key!.Length < 4) return message!;
            return message!.Replace(key, "***");
        }
    }
}
