using System;

namespace AutopilotExport.Commands
{
    internal static class BaseUriPolicy
    {
        public const string Default = "https://api2.autopilothq.com/v1";

        /// <summary>Null when the URI may be used; else why not (and the error id).</summary>
        public static (string ErrorId, string Message)? Check(Uri uri)
        {
            if (uri == null || !uri.IsAbsoluteUri)
                return ("InvalidBaseUri", $"The base URI '{uri}' is not an absolute http(s) URI such as {Default}.");
            if (uri.Scheme == Uri.UriSchemeHttps) return null;
            if (uri.Scheme != Uri.UriSchemeHttp)
                return ("InvalidBaseUri", $"The base URI '{uri}' uses '{uri.Scheme}'; only https (and http to this computer) are allowed.");
            if (IsLoopback(uri)) return null;
            return ("InsecureBaseUri",
                $"The base URI '{uri}' uses plain http to another host: the API key and the profiles would cross the network unencrypted. Use https; http is allowed only to this computer (localhost, 127.0.0.0/8, ::1).");
        }

        private static bool IsLoopback(Uri uri)
        {
            if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
            var host = uri.Host.Trim('[', ']');
            return System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip);
        }

        /// <summary>The form stored and shown: no trailing slash.</summary>
        public static string Normalize(Uri uri) => uri.AbsoluteUri.TrimEnd('/');
    }
}
