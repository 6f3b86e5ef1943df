#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages the AutopilotExport module.

.DESCRIPTION
    Tasks:
      Build    dotnet build AutopilotPS.sln (the module lands in module/bin).
      Test     dotnet test AutopilotPS.sln (TRX files in TestResults/), then the Pester tests in tests/Pester
               (NUnit XML in TestResults/Pester.xml). Fails when either suite fails or cannot run.
      Pester   Build, then only the Pester tests in tests/Pester.
      Demo     Build, start the Autopilot API emulator on a free loopback port and export examples/segment.csv
               through a saved export, in a throw-away state folder; shows the result and what the emulator holds.
      Package  Build, lay the module out in out/AutopilotExport/<version> and make the package
               out/packages/AutopilotExport.<version>.nupkg for Install-PSResource (needs Microsoft.PowerShell.PSResourceGet,
               in-box in PowerShell 7.4 and later).
      Clean    dotnet clean, and remove out/, module/bin, TestResults/ and .pester/.

    Pester: an installed Pester 5 or later is used when there is one; otherwise (or when -PesterVersion is given)
    the Pester package of that version (5.7.1 by default) is restored into the ignored .pester/ folder with
    dotnet restore and imported from there by path. The Pester tests run in a new process of this same
    PowerShell (also when it runs as 'dotnet pwsh.dll').

    Works in Windows PowerShell 5.1 and PowerShell 7.4 or later. Every failure ends the script with a non-zero
    exit code, so CI systems and scheduled builds can rely on it; a suite that cannot run is a failure, never a skip.

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test

.EXAMPLE
    ./build.ps1 -Task Demo

.EXAMPLE
    ./build.ps1 -Task Pester -PesterVersion 6.2.0
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Demo', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [string] $Configuration = 'Release',

    # Restore and use this Pester package version instead of an installed Pester (default: installed, else 5.7.1).
    [ValidatePattern('^\d+\.\d+\.\d+$')]
    [string] $PesterVersion
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# Exit codes of dotnet and of the child PowerShell processes are checked explicitly ($LASTEXITCODE), in every edition.
$PSNativeCommandUseErrorActionPreference = $false

$RepoRoot = $PSScriptRoot
$Solution = Join-Path $RepoRoot 'AutopilotPS.sln'
$ManifestPath = Join-Path $RepoRoot 'AutopilotExport.psd1'
$ModuleSource = Join-Path $RepoRoot 'module'
$PesterTests = Join-Path $RepoRoot 'tests/Pester'
$PesterPackageProject = Join-Path $RepoRoot 'tests/Pester/PesterPackage/PesterPackage.csproj'
$PesterPackages = Join-Path $RepoRoot '.pester'
$PinnedPesterVersion = '5.7.1'
$TestResults = Join-Path $RepoRoot 'TestResults'
$OutRoot = Join-Path $RepoRoot 'out'

function Write-Step {
    param([string] $Message)
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Invoke-Dotnet {
    # Runs dotnet with the given arguments and fails when it returns a non-zero exit code.
    param([string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')"
    # Out-Host: dotnet's output is shown, never returned as the caller's function output.
    & dotnet @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "'dotnet $($Arguments[0])' failed with exit code $LASTEXITCODE."
    }
}

function Assert-Dotnet {
    if (-not (Get-Command -Name dotnet -CommandType Application -ErrorAction SilentlyContinue)) {
        throw 'The .NET SDK (dotnet) was not found on PATH. Install the .NET SDK 10.0 or later and try again.'
    }
}

function Invoke-Build {
    Assert-Dotnet
    Write-Step "Building $Configuration"
    Invoke-Dotnet @('build', $Solution, '-c', $Configuration)
}

function Invoke-DotnetTest {
    # Returns $true when every xunit test passed; the TRX files land in TestResults/ for CI to count.
    Assert-Dotnet
    Write-Step "Running dotnet test ($Configuration)"
    $arguments = @('test', $Solution, '-c', $Configuration, '--logger', 'trx', '--results-directory', $TestResults)
    Write-Host "dotnet $($arguments -join ' ')"
    & dotnet @arguments | Out-Host
    if ($LASTEXITCODE -ne 0) {
        Write-Host "dotnet test failed with exit code $LASTEXITCODE." -ForegroundColor Red
        return $false
    }
    return $true
}

function Get-PowerShellCommand {
    <# The command line that starts this same PowerShell again: @{ FilePath; Arguments }.
       A tool-installed pwsh runs as 'dotnet <PSHOME>/pwsh.dll': its process is dotnet, so pwsh.dll goes first. #>
    $path = $null
    if ($PSVersionTable.PSEdition -eq 'Core') {
        $path = [Environment]::ProcessPath
    }
    if (-not $path) {
        $path = (Get-Process -Id $PID).Path
    }
    $leaf = [System.IO.Path]::GetFileNameWithoutExtension($path)
    if ($leaf -eq 'dotnet') {
        $dll = Join-Path $PSHOME 'pwsh.dll'
        if (-not (Test-Path -LiteralPath $dll -PathType Leaf)) {
            throw "PowerShell runs under $path, but $dll was not found."
        }
        return @{ FilePath = $path; Arguments = @($dll) }
    }
    return @{ FilePath = $path; Arguments = @() }
}

function Get-PesterModule {
    <# What the Pester run imports: the path of Pester.psd1 restored from the package, or the name and version of
       an installed Pester 5 or later. Throws when Pester cannot be had. #>
    if (-not $PesterVersion) {
        $installed = Get-Module -ListAvailable -Name Pester |
            Where-Object { $_.Version -ge [version]'5.0.0' } | Sort-Object -Property Version -Descending | Select-Object -First 1
        if ($installed) {
            Write-Host "Using the installed Pester $($installed.Version) ($($installed.ModuleBase))"
            return $installed.Path
        }
    }
    $version = if ($PesterVersion) { $PesterVersion } else { $PinnedPesterVersion }
    $psd1 = Join-Path $PesterPackages "pester/$version/tools/Pester.psd1"
    if (-not (Test-Path -LiteralPath $psd1 -PathType Leaf)) {
        Assert-Dotnet
        Write-Step "Restoring the Pester $version package into $PesterPackages"
        Invoke-Dotnet @('restore', $PesterPackageProject, '--packages', $PesterPackages, "-p:PesterVersion=$version", '--verbosity', 'quiet')
        if (-not (Test-Path -LiteralPath $psd1 -PathType Leaf)) {
            throw "Restoring Pester $version did not produce $psd1."
        }
    }
    return $psd1
}

function Invoke-PesterTests {
    # Returns $true when the Pester run passed with at least one test; its NUnit XML is TestResults/Pester.xml.
    $pester = Get-PesterModule
    $shell = Get-PowerShellCommand
    $resultFile = Join-Path $TestResults 'Pester.xml'
    if (Test-Path -LiteralPath $resultFile) {
        Remove-Item -LiteralPath $resultFile -Force
    }
    Write-Step "Running the Pester tests in tests/Pester with $($shell.FilePath) $($shell.Arguments -join ' ')"
    $runner = Join-Path $PesterTests 'Invoke-PesterSuite.ps1'
    $arguments = @($shell.Arguments) + @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $runner,
        '-PesterModule', $pester, '-ResultPath', $resultFile)
    & $shell.FilePath @arguments | Out-Host
    if ($LASTEXITCODE -ne 0) {
        Write-Host "The Pester tests failed (exit code $LASTEXITCODE)." -ForegroundColor Red
        return $false
    }
    if (-not (Test-Path -LiteralPath $resultFile -PathType Leaf)) {
        Write-Host "The Pester run wrote no result file ($resultFile)." -ForegroundColor Red
        return $false
    }
    return $true
}

function Invoke-TestTask {
    Assert-Dotnet
    if (Test-Path -LiteralPath $TestResults) {
        Remove-Item -LiteralPath $TestResults -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path $TestResults -Force
    # Both suites run even when the first fails, so one run reports everything; either failing fails the task.
    $xunitPassed = Invoke-DotnetTest
    $pesterPassed = Invoke-PesterTests
    if (-not ($xunitPassed -and $pesterPassed)) {
        throw "Tests failed: xunit $(if ($xunitPassed) { 'passed' } else { 'FAILED' }), Pester $(if ($pesterPassed) { 'passed' } else { 'FAILED' })."
    }
}

function Invoke-PesterTask {
    Invoke-Build
    $null = New-Item -ItemType Directory -Path $TestResults -Force
    if (-not (Invoke-PesterTests)) {
        throw 'The Pester tests failed.'
    }
}

function Invoke-Demo {
    Invoke-Build
    $shell = Get-PowerShellCommand
    $demo = Join-Path $RepoRoot 'examples/Demo.ps1'
    Write-Step 'Running the demo (examples/Demo.ps1)'
    $arguments = @($shell.Arguments) + @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $demo)
    & $shell.FilePath @arguments
    if ($LASTEXITCODE -ne 0) {
        throw "The demo failed (exit code $LASTEXITCODE)."
    }
}

function Publish-ModulePackage {
    # Makes out/packages/AutopilotExport.<version>.nupkg from the laid-out module folder with Publish-PSResource, so
    # the package has the metadata and layout PSResourceGet expects when it installs it. Publishing needs a registered
    # repository: a file repository under a unique name is registered for the duration and removed again.
    param([string] $ModuleFolder, [string] $PackageFolder)

    if (-not (Get-Command -Name Publish-PSResource -ErrorAction SilentlyContinue)) {
        throw 'Publish-PSResource was not found. It ships with PowerShell 7.4 and later (Microsoft.PowerShell.PSResourceGet); in Windows PowerShell 5.1 run: Install-Module Microsoft.PowerShell.PSResourceGet -Scope CurrentUser'
    }
    $null = New-Item -ItemType Directory -Path $PackageFolder -Force
    $repository = 'AutopilotExportBuild' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Register-PSResourceRepository -Name $repository -Uri $PackageFolder -Trusted
    try {
        # The package's dependencies are inside it (bin/); there are no required modules to look up.
        Publish-PSResource -Path $ModuleFolder -Repository $repository -SkipDependenciesCheck
    }
    finally {
        Unregister-PSResourceRepository -Name $repository -ErrorAction SilentlyContinue
    }
}

function Invoke-Package {
    Invoke-Build

    # The manifest's ModuleVersion is the module's one version: the assemblies take it at build time
    # (Directory.Build.props), and it names the folder and the package made here.
    $manifest = Import-PowerShellDataFile -Path $ManifestPath
    $version = [string]$manifest.ModuleVersion
    $target = Join-Path (Join-Path $OutRoot 'AutopilotExport') $version
    $packageFolder = Join-Path $OutRoot 'packages'
    Write-Step "Packaging AutopilotExport $version into $target"

    foreach ($relative in @('AutopilotExport.psm1', 'bin/AutopilotExport.dll', 'bin/loader/net8.0/AutopilotExport.Loader.dll', 'bin/loader/netstandard2.0/AutopilotExport.Loader.dll')) {
        if (-not (Test-Path -LiteralPath (Join-Path $ModuleSource $relative) -PathType Leaf)) {
            throw "The build did not produce module/$relative."
        }
    }

    if (Test-Path -LiteralPath $target) {
        Remove-Item -LiteralPath $target -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path $target -Force

    # module/ holds everything the module needs at run time: the root script, bin/ (the build output, with the loader
    # under bin/loader), the format file and en-US/. Debug symbols stay out of the package.
    Get-ChildItem -LiteralPath $ModuleSource -Force | ForEach-Object {
        Copy-Item -LiteralPath $_.FullName -Destination $target -Recurse -Force
    }
    Get-ChildItem -LiteralPath $target -Recurse -Force -Filter '*.pdb' | Remove-Item -Force

    # The manifest at the repository root points into module/; in the package module/ is the module folder itself.
    $text = [System.IO.File]::ReadAllText($ManifestPath)
    foreach ($key in 'RootModule', 'FormatsToProcess') {
        $text = [regex]::Replace($text, "(?m)^(\s*$key\s*=.*)$", {
                param($m) $m.Value -replace "'module[/\\]", "'"
            })
    }
    $packagedManifest = Join-Path $target 'AutopilotExport.psd1'
    [System.IO.File]::WriteAllText($packagedManifest, $text, (New-Object System.Text.UTF8Encoding -ArgumentList $false))

    # Checks: the manifest points at files that exist, and the host's engine assembly is not shipped.
    $packaged = Import-PowerShellDataFile -Path $packagedManifest
    if ($packaged.RootModule -ne 'AutopilotExport.psm1') {
        throw "The packaged manifest's RootModule is '$($packaged.RootModule)', expected 'AutopilotExport.psm1'."
    }
    $required = @($packaged.RootModule) + @($packaged.FormatsToProcess) +
        @('bin/AutopilotExport.dll', 'bin/loader/net8.0/AutopilotExport.Loader.dll', 'bin/loader/netstandard2.0/AutopilotExport.Loader.dll')
    foreach ($relative in $required) {
        $file = Join-Path $target $relative
        if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
            throw "The package is missing $relative."
        }
    }
    foreach ($help in @('en-US/AutopilotExport.dll-Help.xml', 'bin/en-US/AutopilotExport.dll-Help.xml')) {
        if (-not (Test-Path -LiteralPath (Join-Path $target $help) -PathType Leaf)) {
            throw "The package is missing $help."
        }
    }
    $engine = @(Get-ChildItem -LiteralPath $target -Recurse -Force -Filter 'System.Management.Automation.dll')
    if ($engine.Count -gt 0) {
        throw "The package contains System.Management.Automation.dll ($($engine[0].FullName)). The host supplies it; it must not ship with the module."
    }
    $null = Test-ModuleManifest -Path $packagedManifest -ErrorAction Stop

    $nupkg = Join-Path $packageFolder "AutopilotExport.$version.nupkg"
    if (Test-Path -LiteralPath $nupkg) {
        Remove-Item -LiteralPath $nupkg -Force
    }
    Write-Step "Making $nupkg"
    Publish-ModulePackage -ModuleFolder $target -PackageFolder $packageFolder
    if (-not (Test-Path -LiteralPath $nupkg -PathType Leaf)) {
        throw "Publish-PSResource did not write $nupkg."
    }

    Write-Host ''
    Write-Host "Packaged: $nupkg"
    Write-Host 'To install it, register the folder as a repository and install from it:'
    Write-Host "  Register-PSResourceRepository -Name AutopilotExportLocal -Uri '$packageFolder' -Trusted"
    Write-Host '  Install-PSResource -Name AutopilotExport -Repository AutopilotExportLocal -Scope CurrentUser'
}

function Invoke-Clean {
    Assert-Dotnet
    Write-Step "Cleaning $Configuration"
    Invoke-Dotnet @('clean', $Solution, '-c', $Configuration)
    foreach ($relative in @('out', 'module/bin', 'TestResults', '.pester')) {
        $path = Join-Path $RepoRoot $relative
        if (Test-Path -LiteralPath $path) {
            Write-Host "Removing $path"
            Remove-Item -LiteralPath $path -Recurse -Force
        }
    }
}

try {
    switch ($Task) {
        'Build'   { Invoke-Build }
        'Test'    { Invoke-TestTask }
        'Pester'  { Invoke-PesterTask }
        'Demo'    { Invoke-Demo }
        'Package' { Invoke-Package }
        'Clean'   { Invoke-Clean }
    }
}
catch {
    Write-Host "build.ps1 -Task ${Task}: $($_.Exception.Message)" -ForegroundColor Red
    exit 1
}
exit 0
