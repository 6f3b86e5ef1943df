using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Text;

namespace AutopilotExport.Module.Tests.Infrastructure;

/// <summary>What one script run produced, stream by stream, plus what the host showed.</summary>
public sealed class RunResult
{
    public required List<PSObject> Output { get; init; }
    public required List<ErrorRecord> Errors { get; init; }
    public required List<string> Verbose { get; init; }
    public required List<string> Warnings { get; init; }
    public required List<string> Debug { get; init; }
    public required List<string> Information { get; init; }
    public required List<ProgressRecord> Progress { get; init; }
    public required string HostText { get; init; }
    public required IReadOnlyList<string> WhatIf { get; init; }
    /// <summary>An exception that escaped the script (a terminating error not caught by it).</summary>
    public Exception? Thrown { get; init; }

    public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId);

    /// <summary>Everything the run produced as text: every stream, every output property, the host, error details.</summary>
    public string AllText()
    {
        var sb = new StringBuilder();
        foreach (var o in Output) Dump(sb, o, 0);
        foreach (var e in Errors)
        {
            sb.AppendLine(e.ToString()).AppendLine(e.FullyQualifiedErrorId).AppendLine(e.Exception?.ToString());
            sb.AppendLine(e.ErrorDetails?.Message).AppendLine(e.CategoryInfo.ToString()).AppendLine(e.InvocationInfo?.Line);
            if (e.TargetObject != null) Dump(sb, PSObject.AsPSObject(e.TargetObject), 0);
        }
        foreach (var s in Verbose.Concat(Warnings).Concat(Debug).Concat(Information)) sb.AppendLine(s);
        foreach (var p in Progress) sb.AppendLine(p.Activity).AppendLine(p.StatusDescription).AppendLine(p.CurrentOperation);
        sb.AppendLine(HostText);
        if (Thrown != null) sb.AppendLine(Thrown.ToString());
        return sb.ToString();
    }

    private static void Dump(StringBuilder sb, PSObject o, int depth)
    {
        sb.AppendLine(o.ToString());
        if (depth > 2) return;
        foreach (var p in o.Properties)
        {
            object? v;
            try { v = p.Value; } catch (Exception) { continue; }
            sb.Append(p.Name).Append('=');
            switch (v)
            {
                case null: sb.AppendLine(); break;
                case string s: sb.AppendLine(s); break;
                case IEnumerable en:
                    foreach (var item in en) if (item != null) Dump(sb, PSObject.AsPSObject(item), depth + 1);
                    break;
                default:
                    if (v.GetType().IsPrimitive || v is DateTimeOffset || v is TimeSpan || v is DateTime) sb.AppendLine(v.ToString());
                    else Dump(sb, PSObject.AsPSObject(v), depth + 1);
                    break;
            }
        }
    }
}

/// <summary>
/// A runspace with the Core engine, a capturing host and the module imported from the repository manifest,
/// exactly as a user imports it.
/// </summary>
public sealed class ModuleSession : IDisposable
{
    public ModuleSession(bool importModule = true)
    {
        Host = new CapturingHost();
        var iss = InitialSessionState.CreateDefault2();
        Runspace = RunspaceFactory.CreateRunspace(Host, iss);
        Runspace.Open();
        if (importModule)
        {
            var r = Run($"Import-Module '{RepoPaths.Manifest.Replace("'", "''")}' -ErrorAction Stop");
            if (r.Errors.Count > 0 || r.Thrown != null)
                throw new InvalidOperationException("Import-Module failed: " + string.Join("; ", r.Errors.Select(e => e.ToString())) + r.Thrown);
        }
        Host.Capture.Clear();
    }

    public CapturingHost Host { get; }
    public Runspace Runspace { get; }

    public void SetVariable(string name, object? value) => Runspace.SessionStateProxy.SetVariable(name, value);
    public object? GetVariable(string name) => Runspace.SessionStateProxy.GetVariable(name);

    public static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text) s.AppendChar(c);
        s.MakeReadOnly();
        return s;
    }

    /// <summary>Runs a script; terminating errors the script does not catch end up in <see cref="RunResult.Thrown"/>.</summary>
    public RunResult Run(string script, bool toHost = false)
    {
        Host.Capture.Clear();
        using var ps = PowerShell.Create();
        ps.Runspace = Runspace;
        if (toHost)
        {
            // What a user at the console sees: every stream merged into the output and rendered by Out-Default.
            ps.AddScript("& { " + script + "\n } *>&1 | Out-Default");
        }
        else
        {
            ps.AddScript(script);
        }
        var output = new List<PSObject>();
        Exception? thrown = null;
        try
        {
            var results = ps.Invoke();
            output.AddRange(results.Where(r => r != null));
        }
        catch (RuntimeException ex)
        {
            thrown = ex;
        }
        return new RunResult
        {
            Output = output,
            Errors = ps.Streams.Error.ToList(),
            Verbose = ps.Streams.Verbose.Select(v => v.Message).ToList(),
            Warnings = ps.Streams.Warning.Select(v => v.Message).ToList(),
            Debug = ps.Streams.Debug.Select(v => v.Message).ToList(),
            Information = ps.Streams.Information.Select(v => v.MessageData?.ToString() ?? "").ToList(),
            Progress = ps.Streams.Progress.ToList().Concat(Host.Capture.Progress).ToList(),
            HostText = Host.Capture.Text,
            WhatIf = Host.Capture.WhatIfLines,
            Thrown = thrown,
        };
    }

    /// <summary>Runs a script that must not produce any error.</summary>
    public RunResult RunClean(string script)
    {
        var r = Run(script);
        if (r.Thrown != null || r.Errors.Count > 0)
            throw new Xunit.Sdk.XunitException($"Script failed:\n{script}\n---\n" + string.Join("\n", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e))
                + (r.Thrown != null ? "\nThrown: " + r.Thrown : ""));
        return r;
    }

    public void Dispose()
    {
        Runspace.Dispose();
    }
}
