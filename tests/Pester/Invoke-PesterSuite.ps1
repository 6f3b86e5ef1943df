<#
.SYNOPSIS
    Runs the Pester tests in this folder with the given Pester and writes NUnit XML; build.ps1 starts it in a new
    PowerShell process.

.DESCRIPTION
    Exit code 0 only when the run passed with at least one passed test and no failed test, block or container;
    1 otherwise. Works with Pester 5 and 6, in Windows PowerShell 5.1 and PowerShell 7.

.EXAMPLE
    pwsh -File tests/Pester/Invoke-PesterSuite.ps1 -PesterModule .pester/pester/5.7.1/tools/Pester.psd1 -ResultPath TestResults/Pester.xml
#>
[CmdletBinding()]
param(
    # A path to Pester.psd1, or the name of an installed Pester (5 or later).
    [Parameter(Mandatory)] [string] $PesterModule,

    [Parameter(Mandatory)] [string] $ResultPath,

    # Test files or folders to run (default: this folder).
    [string[]] $Path = @($PSScriptRoot),

    # Only tests whose full name matches one of these wildcards.
    [string[]] $FullNameFilter
)

# No $ErrorActionPreference = 'Stop' here: the tests inherit this scope, and they run with the default, as users do.
try {
    if (Test-Path -LiteralPath $PesterModule -PathType Leaf) {
        # A relative path would be taken for a module name.
        $PesterModule = (Resolve-Path -LiteralPath $PesterModule).Path
    }
    Import-Module -Name $PesterModule -MinimumVersion 5.0.0 -Force -ErrorAction Stop
    $pester = Get-Module -Name Pester
    Write-Host "Pester $($pester.Version) from $($pester.ModuleBase), PowerShell $($PSVersionTable.PSVersion)"

    $configuration = New-PesterConfiguration
    $configuration.Run.Path = $Path
    $configuration.Run.PassThru = $true
    $configuration.Output.Verbosity = 'Detailed'
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputFormat = 'NUnitXml'
    $configuration.TestResult.OutputPath = $ResultPath
    if ($FullNameFilter) {
        $configuration.Filter.FullName = $FullNameFilter
    }
    $result = Invoke-Pester -Configuration $configuration
    if ($null -eq $result) {
        throw 'Invoke-Pester returned no result.'
    }

    $failedBlocks = @($result.FailedBlocks).Count + @($result.FailedContainers).Count
    Write-Host "Pester: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped, $failedBlocks failed blocks or files ($($result.Result))."
    if ($result.Result -ne 'Passed' -or $result.FailedCount -gt 0 -or $failedBlocks -gt 0 -or $result.PassedCount -eq 0) {
        exit 1
    }
    exit 0
}
catch {
    Write-Host "The Pester run could not complete: $($_.Exception.Message)" -ForegroundColor Red
    exit 1
}
