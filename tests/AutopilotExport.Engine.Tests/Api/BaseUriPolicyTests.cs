using AutopilotExport.Engine.Api;

namespace AutopilotExport.Engine.Tests.Api;

/// <summary>The one rule for where the API key may be sent, as text from a connection file or as a parsed Uri.</summary>
public sealed class BaseUriPolicyTests
{
    [Theory]
    [InlineData("https://api2.autopilothq.com/v1")]
    [InlineData("https://api2.autopilothq.com/v1/")]
    [InlineData("https://proxy.example.com:8443/autopilot/v1")]
    [InlineData("http://localhost:5099/v1")]
    [InlineData("http://LOCALHOST:5099")]
    [InlineData("http://127.0.0.1:5099")]
    [InlineData("http://127.8.9.10/v1")]
    [InlineData("http://[::1]:5099/v1")]
    [InlineData("https://10.1.2.3/v1")]
    [InlineData("https://169.253.255.255/v1")]
    [InlineData("https://[fe7f::1]/v1")]
    [InlineData("https://[fec0::1]/v1")]
    [InlineData("  https://api2.autopilothq.com/v1  ")]
    public void Allowed(string text)
    {
        Assert.Null(BaseUriPolicy.Check(text, out var uri));
        Assert.NotNull(uri);
        Assert.Null(BaseUriPolicy.Check(uri));
    }

    [Theory]
    // not an absolute http(s) URI
    [InlineData(null, "InvalidBaseUri")]
    [InlineData("", "InvalidBaseUri")]
    [InlineData("   ", "InvalidBaseUri")]
    [InlineData("api2.autopilothq.com/v1", "InvalidBaseUri")]
    [InlineData("/v1", "InvalidBaseUri")]
    [InlineData("https://", "InvalidBaseUri")]
    [InlineData("https://exa mple.com/v1", "InvalidBaseUri")]
    [InlineData("https://[::1/v1", "InvalidBaseUri")]
    [InlineData("ftp://example.com/v1", "InvalidBaseUri")]
    [InlineData("file:///etc/passwd", "InvalidBaseUri")]
    [InlineData("ws://localhost:5099/v1", "InvalidBaseUri")]
    [InlineData("javascript:alert(1)", "InvalidBaseUri")]
    [InlineData("mailto:ops@example.com", "InvalidBaseUri")]
    // user info: would be stored and shown
    [InlineData("https://user:pw@api2.autopilothq.com/v1", "InvalidBaseUri")]
    [InlineData("https://user@api2.autopilothq.com/v1", "InvalidBaseUri")]
    [InlineData("https://:pw@api2.autopilothq.com/v1", "InvalidBaseUri")]
    [InlineData("http://user:pw@127.0.0.1:5099/v1", "InvalidBaseUri")]
    [InlineData("https://api2.autopilothq.com@evil.example/v1", "InvalidBaseUri")]
    // query or fragment
    [InlineData("https://api2.autopilothq.com/v1?x=1", "InvalidBaseUri")]
    [InlineData("https://api2.autopilothq.com/v1?", "InvalidBaseUri")]
    [InlineData("https://api2.autopilothq.com/v1#frag", "InvalidBaseUri")]
    [InlineData("https://api2.autopilothq.com/v1#", "InvalidBaseUri")]
    // plain http off this computer
    [InlineData("http://example.com/v1", "InsecureBaseUri")]
    [InlineData("http://10.1.2.3:8080/v1", "InsecureBaseUri")]
    [InlineData("http://[2001:db8::1]/v1", "InsecureBaseUri")]
    [InlineData("http://localhost.evil.example/v1", "InsecureBaseUri")]
    [InlineData("http://127.0.0.1.nip.io/v1", "InsecureBaseUri")]
    // link-local and metadata addresses, also over https and in other spellings
    [InlineData("https://169.254.169.254/latest", "InsecureBaseUri")]
    [InlineData("http://169.254.169.254/latest", "InsecureBaseUri")]
    [InlineData("https://169.254.0.1/v1", "InsecureBaseUri")]
    [InlineData("https://169.254.255.255/v1", "InsecureBaseUri")]
    [InlineData("https://2852039166/v1", "InsecureBaseUri")]
    [InlineData("https://0xA9FEA9FE/v1", "InsecureBaseUri")]
    [InlineData("https://[fe80::1]/v1", "InsecureBaseUri")]
    [InlineData("https://[FE80::a:b:c:d]:8443/v1", "InsecureBaseUri")]
    [InlineData("https://[febf::1]/v1", "InsecureBaseUri")]
    [InlineData("https://[::ffff:169.254.169.254]/v1", "InsecureBaseUri")]
    [InlineData("https://[fd00:ec2::254]/v1", "InsecureBaseUri")]
    [InlineData("https://metadata.google.internal/computeMetadata/v1", "InsecureBaseUri")]
    [InlineData("https://METADATA.GOOGLE.INTERNAL./computeMetadata/v1", "InsecureBaseUri")]
    public void Refused(string? text, string errorId)
    {
        var problem = BaseUriPolicy.Check(text, out var uri);
        Assert.NotNull(problem);
        Assert.Equal(errorId, problem!.ErrorId);
        Assert.Null(uri);
        // A sentence, and never the password.
        Assert.EndsWith(".", problem.Message.TrimEnd(')'));
        Assert.DoesNotContain("pw", problem.Message);
        // The parsed form is refused the same way (what the API client checks).
        if (text != null && Uri.TryCreate(text.Trim(), UriKind.Absolute, out var parsed))
        {
            Assert.Equal(errorId, BaseUriPolicy.Check(parsed)!.ErrorId);
            var ex = Assert.Throws<BaseUriException>(() => BaseUriPolicy.Require(parsed));
            Assert.Equal(errorId, ex.ErrorId);
        }
    }

    [Fact]
    public void The_api_client_refuses_to_be_built_for_a_refused_uri()
    {
        var ex = Assert.Throws<BaseUriException>(() => new AutopilotApiClient(new Uri("http://attacker.example/v1"), "sk-TEST-9f8e7d6c5b4a"));
        Assert.Equal(BaseUriPolicy.InsecureBaseUri, ex.ErrorId);
        Assert.DoesNotContain("sk-TEST", ex.Message);
        Assert.Throws<BaseUriException>(() => new AutopilotApiClient(new Uri("https://169.254.169.254/"), "sk-TEST-9f8e7d6c5b4a"));
    }

    [Theory]
    [InlineData("https://user:secret@host.example/v1", "https://***@host.example/v1")]
    [InlineData("https://secret@host.example", "https://***@host.example")]
    [InlineData("https://host.example/v1@x", "https://host.example/v1@x")]
    [InlineData("https://host.example/v1", "https://host.example/v1")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Redact_hides_user_info(string? text, string shown) => Assert.Equal(shown, BaseUriPolicy.Redact(text));
}
