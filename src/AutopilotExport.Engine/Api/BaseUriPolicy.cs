using System;
using System.Net;
using System.Net.Sockets;

namespace AutopilotExport.Engine.Api
{
    /// <summary>Why a base URI may not receive the API key: a stable error id and a sentence that never holds a password.</summary>
    public sealed class BaseUriProblem
    {
        internal BaseUriProblem(string errorId, string message)
        {
            ErrorId = errorId;
            Message = message;
        }

        /// <summary><see cref="BaseUriPolicy.InvalidBaseUri"/> or <see cref="BaseUriPolicy.InsecureBaseUri"/>.</summary>
        public string ErrorId { get; }
        public string Message { get; }
    }

    /// <summary>Thrown when a key would be sent to a base URI the policy refuses.</summary>
    public sealed class BaseUriException : ArgumentException
    {
        public BaseUriException(BaseUriProblem problem) : base(problem.Message)
        {
            ErrorId = problem.ErrorId;
        }

        public string ErrorId { get; }
    }

    /// <summary>
    /// The one rule for where the API key may go, applied whenever a key is about to be sent (saving, testing and
    /// running a connection, and in the API client itself, so a connection edited on disk cannot skip it):
    /// an absolute https URI, or plain http to this computer only; no user info (a password in the URI would be
    /// stored and shown), no query or fragment (the client appends paths), and never a link-local or cloud
    /// metadata address (169.254.0.0/16, fe80::/10), where a planted URI would hand the key to whatever answers there.
    /// </summary>
    public static class BaseUriPolicy
    {
        public const string Default = "https://api2.autopilothq.com/v1";
        public const string InvalidBaseUri = "InvalidBaseUri";
        public const string InsecureBaseUri = "InsecureBaseUri";

        /// <summary>Null when the key may be sent to <paramref name="text"/> (parsed into <paramref name="uri"/>), else why not.</summary>
        public static BaseUriProblem? Check(string? text, out Uri? uri)
        {
            uri = null;
            if (string.IsNullOrWhiteSpace(text))
                return new BaseUriProblem(InvalidBaseUri, $"The base URI is empty; give an absolute https URI such as {Default}.");
            if (!Uri.TryCreate(text!.Trim(), UriKind.Absolute, out var parsed))
                return new BaseUriProblem(InvalidBaseUri, $"The base URI '{Redact(text)}' is not an absolute http(s) URI such as {Default}.");
            var problem = Check(parsed);
            if (problem == null) uri = parsed;
            return problem;
        }

        /// <summary>Null when the key may be sent to <paramref name="uri"/>, else why not.</summary>
        public static BaseUriProblem? Check(Uri? uri)
        {
            if (uri == null || !uri.IsAbsoluteUri)
                return new BaseUriProblem(InvalidBaseUri, $"The base URI '{Redact(uri?.OriginalString)}' is not an absolute http(s) URI such as {Default}.");
            var shown = Redact(uri.OriginalString);
            if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                return new BaseUriProblem(InvalidBaseUri, $"The base URI '{shown}' uses '{uri.Scheme}'; only https (and http to this computer) are allowed.");
            if (uri.UserInfo.Length > 0 || uri.OriginalString.IndexOf('@') >= 0)
                return new BaseUriProblem(InvalidBaseUri,
                    $"The base URI '{shown}' holds a user name or password: it would be stored and shown in clear. The API key is the only credential; remove the part before '@'.");
            if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.OriginalString.IndexOfAny(new[] { '?', '#' }) >= 0)
                return new BaseUriProblem(InvalidBaseUri, $"The base URI '{shown}' has a query or fragment ('?' or '#'); give the API's base address only, such as {Default}.");
            if (uri.Host.Length == 0)
                return new BaseUriProblem(InvalidBaseUri, $"The base URI '{shown}' has no host.");
            if (IsLinkLocalOrMetadata(uri))
                return new BaseUriProblem(InsecureBaseUri,
                    $"The base URI '{shown}' points at a link-local or cloud metadata address (169.254.0.0/16, fe80::/10): the API key must never be sent there.");
            if (uri.Scheme == Uri.UriSchemeHttps || IsLoopback(uri)) return null;
            return new BaseUriProblem(InsecureBaseUri,
                $"The base URI '{shown}' uses plain http to another host: the API key and the profiles would cross the network unencrypted. Use https; http is allowed only to this computer (localhost, 127.0.0.0/8, ::1).");
        }

        /// <summary>The parsed URI, or <see cref="BaseUriException"/> with the reason.</summary>
        public static Uri Require(Uri? uri)
        {
            var problem = Check(uri);
            if (problem != null) throw new BaseUriException(problem);
            return uri!;
        }

        /// <summary>The form stored and shown: no trailing slash.</summary>
        public static string Normalize(Uri uri) => uri.AbsoluteUri.TrimEnd('/');

        /// <summary>A URI as it may be shown: any user info replaced by "***" (the text may be a URI edited on disk).</summary>
        public static string Redact(string? text)
        {
            if (string.IsNullOrEmpty(text)) return text ?? "";
            var s = text!;
            int scheme = s.IndexOf("://", StringComparison.Ordinal);
            int start = scheme >= 0 ? scheme + 3 : 0;
            int end = s.IndexOfAny(new[] { '/', '?', '#' }, start);
            if (end < 0) end = s.Length;
            if (end <= start) return s;
            int at = s.LastIndexOf('@', end - 1, end - start);
            return at < 0 ? s : s.Substring(0, start) + "***" + s.Substring(at);
        }

        private static bool IsLoopback(Uri uri)
        {
            if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
            return TryAddress(uri, out var ip) && IPAddress.IsLoopback(ip);
        }

        private static bool IsLinkLocalOrMetadata(Uri uri)
        {
            // Names that resolve to the metadata service on the big clouds.
            var host = uri.Host.TrimEnd('.');
            if (string.Equals(host, "metadata.google.internal", StringComparison.OrdinalIgnoreCase)
                || string.Equals(host, "metadata", StringComparison.OrdinalIgnoreCase)) return true;
            if (!TryAddress(uri, out var ip)) return false;
            if (ip.AddressFamily == AddressFamily.InterNetworkV6)
            {
                if (ip.IsIPv6LinkLocal) return true;
                var b = ip.GetAddressBytes();
                // fd00:ec2::254, the IPv6 address of the AWS instance metadata service.
                if (ip.Equals(IPAddress.Parse("fd00:ec2::254"))) return true;
                // An IPv4 address mapped into IPv6 (::ffff:169.254.169.254).
                bool mapped = true;
                for (int i = 0; i < 10; i++) if (b[i] != 0) { mapped = false; break; }
                if (!mapped || b[10] != 0xFF || b[11] != 0xFF) return false;
                return b[12] == 169 && b[13] == 254;
            }
            var v4 = ip.GetAddressBytes();
            return v4[0] == 169 && v4[1] == 254;
        }

        private static bool TryAddress(Uri uri, out IPAddress ip)
        {
            // Uri has already turned hex, octal and single-number IPv4 forms (0xA9FEA9FE, 2852039166) into dotted quads.
            var host = uri.Host.Trim('[', ']');
            int zone = host.IndexOf('%');
            if (zone >= 0) host = host.Substring(0, zone);
            return IPAddress.TryParse(host, out ip!) && (uri.HostNameType == UriHostNameType.IPv4 || uri.HostNameType == UriHostNameType.IPv6);
        }
    }
}
