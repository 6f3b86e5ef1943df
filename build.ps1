<#
.SYNOPSIS
    Builds, tests and packages the AutopilotExport module.

.DESCRIPTION
    Tasks:
      Build    dotnet build AutopilotPS.sln (the module lands in module/bin).
      Test     dotnet test AutopilotPS.sln, then the Pester 5 tests in tests/Pester when Pester 5 or later is
               installed (otherwise they are reported as skipped).
      Pester   only the Pester 5 tests in tests/Pester (build first).
      Package  Build, lay the module out in out/AutopilotExport/<version> and make the package
               out/packages/AutopilotExport.<version>.nupkg for Install-PSResource (needs Microsoft.PowerShell.PSResourceGet,
               in-box in PowerShell 7.4 and later).
      Clean    dotnet clean, and remove out/, module/bin and TestResults/.

    Works in Windows PowerShell 5.1 and PowerShell 7.4 or later. Every failure ends the script with a non-zero
    exit code, so CI systems and scheduled builds can rely on it.

.EXAMPLE
    ./build.ps1

.EXAMPLE
    ./build.ps1 -Task Test

.EXAMPLE
    ./build.ps1 -Task Package -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [string] $Configuration = 'Release'
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# Exit codes of dotnet and of the Pester child process are checked explicitly ($LASTEXITCODE), in every edition.
$PSNativeCommandUseErrorActionPreference = $false

$RepoRoot = $PSScriptRoot
$Solution = Join-Path $RepoRoot 'AutopilotPS.sln'
$ManifestPath = Join-Path $RepoRoot 'AutopilotExport.psd1'
$ModuleSource = Join-Path $RepoRoot 'module'
$PesterTests = Join-Path $RepoRoot 'tests/Pester'
$OutRoot = Join-Path $RepoRoot 'out'

function Write-Step {
    param([string] $Message)
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Invoke-Dotnet {
    # Runs dotnet with the given arguments and fails when it returns a non-zero exit code.
    param([string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')"
    & dotnet @Arguments
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
    Assert-Dotnet
    Write-Step "Running dotnet test ($Configuration)"
    Invoke-Dotnet @('test', $Solution, '-c', $Configuration)
}

function Get-PesterHost {
    # The PowerShell executable that runs the Pester tests: pwsh when it is installed, else this PowerShell.
    $pwsh = Get-Command -Name pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($PSVersionTable.PSEdition -eq 'Core') {
        return (Get-Process -Id $PID).Path
    }
    if ($pwsh) {
        return $pwsh.Path
    }
    return (Get-Process -Id $PID).Path
}

function Invoke-PesterTests {
    $exe = Get-PesterHost
    # Ask that PowerShell (not this one) whether it has Pester 5 or later.
    $probe = "if (Get-Module -ListAvailable -Name Pester | Where-Object { `$_.Version -ge [version]'5.0.0' }) { exit 0 } else { exit 3 }"
    & $exe -NoProfile -NonInteractive -Command $probe
    if ($LASTEXITCODE -ne 0) {
        Write-Host "Pester 5 or later is not installed for $exe; the Pester tests in tests/Pester were skipped." -ForegroundColor Yellow
        Write-Host 'To run them: Install-Module -Name Pester -MinimumVersion 5.0.0 -Scope CurrentUser -SkipPublisherCheck' -ForegroundColor Yellow
        return
    }

    Write-Step "Running the Pester tests in tests/Pester with $exe"
    $path = $PesterTests.Replace("'", "''")
    $command = "`$ErrorActionPreference = 'Stop'; " +
        "Import-Module -Name Pester -MinimumVersion 5.0.0; " +
        "`$result = Invoke-Pester -Path '$path' -Output Detailed -PassThru; " +
        "if (`$result.Result -ne 'Passed' -or `$result.FailedCount -gt 0) { exit 1 }; exit 0"
    & $exe -NoProfile -NonInteractive -Command $command
    if ($LASTEXITCODE -ne 0) {
        throw "The Pester tests failed (exit code $LASTEXITCODE)."
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
    foreach ($relative in @('out', 'module/bin', 'TestResults')) {
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
        'Test'    { Invoke-DotnetTest; Invoke-PesterTests }
        'Pester'  { Invoke-PesterTests }
        'Package' { Invoke-Package }
        'Clean'   { Invoke-Clean }
    }
}
catch {
    Write-Host "build.ps1 -Task ${Task}: $($_.Exception.Message)" -ForegroundColor Red
    exit 1
}
exit 0
