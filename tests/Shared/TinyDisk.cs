using System;
using System.Diagnostics;
using System.IO;

namespace AutopilotExport.Tests.Shared;

/// <summary>
/// A real full disk for tests: a tmpfs of a few KiB mounted on a fresh temporary folder, so writes past its size fail
/// with "no space left on device" exactly as they do on a full volume. Needs root on Linux (this project's developer
/// machines and CI run as root); anywhere else the test fails and says why, rather than passing without checking.
/// </summary>
public sealed class TinyDisk : IDisposable
{
    private TinyDisk(string path) => Path = path;

    public string Path { get; }

    public static TinyDisk Mount(int kibibytes = 32)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "apx-tinydisk-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0700", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"A full-disk test needs a small tmpfs (mount as root on Linux); mount said: {output}");
        }
        return new TinyDisk(path);
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var output = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output.Trim());
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
