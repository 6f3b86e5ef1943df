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

    /// <summary>Files the test files dot-source; a parse error there breaks every file that uses them.</summary>
    public static IEnumerable<object[]> SupportFiles() =>
        (Directory.Exists(RepoPaths.PesterFolder) ? Directory.GetFiles(RepoPaths.PesterFolder, "*.ps1", SearchOption.AllDirectories) : Array.Empty<string>())
        .Where(f => !f.EndsWith(".Tests.ps1", StringComparison.OrdinalIgnoreCase))
        .OrderBy(f => f, StringComparer.Ordinal)
        .Select(f => new object[] { Path.GetRelativePath(RepoPaths.Root, f) });

    [Theory]
    [MemberData(nameof(SupportFiles))]
    public void Pester_support_file_parses_and_defines_the_helpers_the_tests_call(string relativePath)
    {
        var path = Path.Combine(RepoPaths.Root, relativePath);
        var ast = Parser.ParseFile(path, out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}: {e.Message}")));
        var defined = ast.FindAll(a => a is FunctionDefinitionAst, true).Cast<FunctionDefinitionAst>().Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var test in PesterFiles().Select(f => Path.Combine(RepoPaths.Root, (string)f[0])))
        {
            var testAst = Parser.ParseFile(test, out _, out _);
            if (!testAst.Extent.Text.Contains(Path.GetFileName(path), StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var name in new[] { "Enter-IsolatedState", "Exit-IsolatedState", "Start-TestEmulator", "Stop-ProcessTree" })
                if (testAst.Extent.Text.Contains(name, StringComparison.OrdinalIgnoreCase))
                    Assert.True(defined.Contains(name), $"{Path.GetFileName(test)} calls {name}, which {relativePath} does not define");
        }
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
