using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace AutopilotExport.Module.Tests.Infrastructure;

/// <summary>
/// A PowerShell host that records everything a user would see: Write/WriteLine (formatted output, What if:
/// lines), error/warning/verbose/debug lines, progress and information. Prompts take answers from a queue
/// and fail the test when none is queued (a command must not prompt unexpectedly).
/// </summary>
public sealed class CapturingHost : PSHost
{
    private readonly CapturingHostUI _ui = new();
    private readonly Guid _id = Guid.NewGuid();

    public override string Name => "AutopilotExport.Tests";
    public override Version Version => new(1, 0);
    public override Guid InstanceId => _id;
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.GetCultureInfo("en-US");

    public CapturingHostUI Capture => _ui;

    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
    public override void SetShouldExit(int exitCode) { }
}

public sealed class CapturingHostUI : PSHostUserInterface
{
    private readonly object _gate = new();
    private readonly StringBuilder _all = new();
    private readonly List<string> _lines = new();
    private readonly CapturingRawUI _raw = new();

    /// <summary>Answers for PromptForChoice (choice index), consumed in order.</summary>
    public Queue<int> ChoiceAnswers { get; } = new();
    public List<string> Prompts { get; } = new();
    public List<ProgressRecord> Progress { get; } = new();
    public List<string> Errors { get; } = new();
    public List<string> Warnings { get; } = new();
    public List<string> Verbose { get; } = new();
    public List<string> Debug { get; } = new();

    /// <summary>Everything written to the host, as one text.</summary>
    public string Text { get { lock (_gate) return _all.ToString() + string.Join("\n", Progress.Select(p => p.Activity + " " + p.StatusDescription + " " + p.CurrentOperation)); } }

    /// <summary>The "What if: ..." lines.</summary>
    public IReadOnlyList<string> WhatIfLines { get { lock (_gate) return _all.ToString().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("What if:", StringComparison.Ordinal)).ToList(); } }

    public void Clear()
    {
        lock (_gate) { _all.Clear(); _lines.Clear(); Progress.Clear(); Errors.Clear(); Warnings.Clear(); Verbose.Clear(); Debug.Clear(); Prompts.Clear(); }
    }

    private void Add(string text)
    {
        lock (_gate) _all.Append(text);
    }

    public override PSHostRawUserInterface RawUI => _raw;
    public override bool SupportsVirtualTerminal => false;

    public override void Write(string value) => Add(value);
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Add(value);
    public override void WriteLine(string value) => Add(value + "\n");
    public override void WriteErrorLine(string value) { lock (_gate) Errors.Add(value); Add("ERROR: " + value + "\n"); }
    public override void WriteDebugLine(string message) { lock (_gate) Debug.Add(message); Add("DEBUG: " + message + "\n"); }
    public override void WriteVerboseLine(string message) { lock (_gate) Verbose.Add(message); Add("VERBOSE: " + message + "\n"); }
    public override void WriteWarningLine(string message) { lock (_gate) Warnings.Add(message); Add("WARNING: " + message + "\n"); }
    public override void WriteProgress(long sourceId, ProgressRecord record) { lock (_gate) Progress.Add(record); }
    public override void WriteInformation(InformationRecord record) => Add("INFO: " + record.MessageData + "\n");

    public override string ReadLine() => throw new InvalidOperationException("The command tried to read a line from the host.");
    public override SecureString ReadLineAsSecureString() => throw new InvalidOperationException("The command tried to read a secure string from the host.");

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
        throw new InvalidOperationException($"The command prompted: {caption} {message}");

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        throw new InvalidOperationException("The command prompted for a credential.");

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
        throw new InvalidOperationException("The command prompted for a credential.");

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        lock (_gate)
        {
            Prompts.Add(caption + ": " + message);
            Add(caption + "\n" + message + "\n");
            if (ChoiceAnswers.Count == 0) throw new InvalidOperationException($"Unexpected prompt: {caption}: {message}");
            return ChoiceAnswers.Dequeue();
        }
    }
}

internal sealed class CapturingRawUI : PSHostRawUserInterface
{
    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override Size BufferSize { get; set; } = new(200, 3000);
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; } = 1;
    public override bool KeyAvailable => false;
    public override Size MaxPhysicalWindowSize => new(200, 100);
    public override Size MaxWindowSize => new(200, 100);
    public override Coordinates WindowPosition { get; set; }
    public override Size WindowSize { get; set; } = new(200, 100);
    public override string WindowTitle { get; set; } = "";
    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new InvalidOperationException("The command tried to read a key.");
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
}
