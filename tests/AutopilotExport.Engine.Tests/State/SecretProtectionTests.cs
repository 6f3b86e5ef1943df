using System.Security.Cryptography;
using System.Text;
using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

public sealed class SecretProtectionTests : IDisposable
{
    private readonly StateTestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ISecretProtector Protector() => SecretProtection.ForCurrentPlatform(_folder.Home);

    [Fact]
    public void Round_trips_and_each_protection_differs()
    {
        var p = Protector();
        var secret = Encoding.UTF8.GetBytes("sk-TEST-9f8e7d6c5b4a");
        var a = p.Protect(secret, "Prod");
        var b = p.Protect(secret, "Prod");
        Assert.NotEqual(a, b); // random IV / DPAPI salt
        Assert.Equal(secret, p.Unprotect(a, "Prod"));
        Assert.Equal(secret, p.Unprotect(b, "prod")); // purpose is case-insensitive, as names are
        Assert.False(Bytes.Contains(a, secret));
    }

    [Fact]
    public void Tampered_ciphertext_is_rejected()
    {
        var p = Protector();
        var data = p.Protect(Encoding.UTF8.GetBytes("sk-TEST-9f8e7d6c5b4a"), "Prod");
        for (int i = 0; i < data.Length; i += Math.Max(1, data.Length / 12))
        {
            var copy = (byte[])data.Clone();
            copy[i] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => p.Unprotect(copy, "Prod"));
        }
        var truncated = data.Take(data.Length - 1).ToArray();
        Assert.ThrowsAny<CryptographicException>(() => p.Unprotect(truncated, "Prod"));
    }

    [Fact]
    public void Secret_bound_to_its_purpose()
    {
        var p = Protector();
        var data = p.Protect(Encoding.UTF8.GetBytes("sk-TEST-9f8e7d6c5b4a"), "Prod");
        Assert.ThrowsAny<CryptographicException>(() => p.Unprotect(data, "Staging"));
    }

    [Fact]
    public void Master_key_file_is_owner_only_and_reused()
    {
        if (!StateTestFolder.IsUnix) return;
        var p = new AesHmacSecretProtector(_folder.Home);
        var data = p.Protect(new byte[] { 1, 2, 3 }, "x");
        Assert.True(File.Exists(_folder.Home.MasterKeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(_folder.Home.MasterKeyFile));
        var keyBefore = File.ReadAllBytes(_folder.Home.MasterKeyFile);
        // A new protector instance (a new session) reads the same key.
        Assert.Equal(new byte[] { 1, 2, 3 }, new AesHmacSecretProtector(_folder.Home).Unprotect(data, "x"));
        Assert.Equal(keyBefore, File.ReadAllBytes(_folder.Home.MasterKeyFile));
        Assert.Contains("AES", p.ToString());
    }

    [Fact]
    public void A_different_master_key_cannot_decrypt()
    {
        if (!StateTestFolder.IsUnix) return;
        var data = new AesHmacSecretProtector(_folder.Home).Protect(new byte[] { 9, 9, 9 }, "x");
        using var other = new StateTestFolder();
        Assert.ThrowsAny<CryptographicException>(() => new AesHmacSecretProtector(other.Home).Unprotect(data, "x"));
    }

    [Fact]
    public void Damaged_master_key_file_is_rejected()
    {
        if (!StateTestFolder.IsUnix) return;
        var p = new AesHmacSecretProtector(_folder.Home);
        var data = p.Protect(new byte[] { 1 }, "x");
        File.WriteAllBytes(_folder.Home.MasterKeyFile, new byte[] { 1, 2, 3 });
        var ex = Assert.ThrowsAny<CryptographicException>(() => p.Unprotect(data, "x"));
        Assert.Contains(_folder.Home.MasterKeyFile, ex.Message);
    }
}
