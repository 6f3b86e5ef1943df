using System.Management.Automation.Language;
using AutopilotExport.Module.Tests.Infrastructure;
using Xunit;

namespace AutopilotExport.Module.Tests;

/// <summary>No Pester here: at least make sure every Pester file parses and declares tests.</summary>
public sealed class PesterFileTests
{
    public static IEnumerable<object[]> PesterFiles() =>
        (Directory.Exists(RepoPaths.PesterFolder) ? Directory.GetFiles(RepoPaths.PesterFolder, "*.Tests.ps1", SearchOption.AllDirectories) : Array.Empty<string>())
        .OrderBy(f => f, StringComparer.Ordinal)
        .Select(f => new object[] { Path.GetRelativePath(RepoPaths.Root, f) });

    [Fact]
    public void There_are_Pester_test_files()
    {
        Assert.NotEmpty(PesterFiles());
    }

    [Theory]
    [MemberData(nameof(PesterFiles))]
    public void Pester_file_parses_and_has_a_Describe_block(string relativePath)
    {
        var path = Path.Combine(RepoPaths.Root, relativePath);
        var ast = Parser.ParseFile(path, out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}:{e.Extent.StartColumnNumber}: {e.Message}")));
        var describes = ast.FindAll(a => a is CommandAst c && string.Equals(c.GetCommandName(), "Describe", StringComparison.OrdinalIgnoreCase), searchNestedScriptBlocks: true);
        Assert.NotEmpty(describes);
    }
}
