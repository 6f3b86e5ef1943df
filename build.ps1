<#
.SYNOPSIS
    Builds, tests and packages the AutopilotExport module.

.DESCRIPTION
    Tasks:
      Build    dotnet build AutopilotPS.sln (the module lands in module/bin).
      Test     dotnet test AutopilotPS.sln, then the Pester 5 tests in tests/Pester when Pester 5 or later is
               installed (otherwise they are reported as skipped).
      Pester   only the Pester 5 tests in tests/Pester (build first).
      Package  Build, then lay the module out in out/AutopilotExport/<version>, ready to copy into a folder of
               $env:PSModulePath.
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

function Invoke-Package {
    Invoke-Build

    $manifest = Import-PowerShellDataFile -Path $ManifestPath
    $version = [string]$manifest.ModuleVersion
    $target = Join-Path (Join-Path $OutRoot 'AutopilotExport') $version
    Write-Step "Packaging AutopilotExport $version into $target"

    $dll = Join-Path $ModuleSource 'bin/AutopilotExport.dll'
    if (-not (Test-Path -LiteralPath $dll -PathType Leaf)) {
        throw "The build did not produce $dll."
    }

    if (Test-Path -LiteralPath $target) {
        Remove-Item -LiteralPath $target -Recurse -Force
    }
    $null = New-Item -ItemType Directory -Path $target -Force

    # module/ holds everything the module needs at run time: bin/ (the build output), the format file and en-US/.
    Get-ChildItem -LiteralPath $ModuleSource -Force | ForEach-Object {
        Copy-Item -LiteralPath $_.FullName -Destination $target -Recurse -Force
    }

    # The manifest at the repository root points into module/; in the package module/ is the module folder itself.
    $text = [System.IO.File]::ReadAllText($ManifestPath)
    $text = [regex]::Replace($text, "(?m)^(\s*RootModule\s*=\s*)'[^']*'", "`$1'bin/AutopilotExport.dll'")
    $text = [regex]::Replace($text, "(?m)^(\s*FormatsToProcess\s*=.*)$", {
            param($m) $m.Value -replace "'module[/\\]", "'"
        })
    $packagedManifest = Join-Path $target 'AutopilotExport.psd1'
    [System.IO.File]::WriteAllText($packagedManifest, $text, (New-Object System.Text.UTF8Encoding -ArgumentList $false))

    # Checks: the manifest points at files that exist, and the host's engine assembly is not shipped.
    $packaged = Import-PowerShellDataFile -Path $packagedManifest
    if ($packaged.RootModule -ne 'bin/AutopilotExport.dll') {
        throw "The packaged manifest's RootModule is '$($packaged.RootModule)', expected 'bin/AutopilotExport.dll'."
    }
    $required = @($packaged.RootModule) + @($packaged.FormatsToProcess)
    foreach ($relative in $required) {
        $file = Join-Path $target $relative
        if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
            throw "The package is missing $relative (referenced by AutopilotExport.psd1)."
        }
    }
    $help = Join-Path $target 'en-US/AutopilotExport.dll-Help.xml'
    if (-not (Test-Path -LiteralPath $help -PathType Leaf)) {
        throw 'The package is missing en-US/AutopilotExport.dll-Help.xml.'
    }
    $engine = @(Get-ChildItem -LiteralPath $target -Recurse -Force -Filter 'System.Management.Automation.dll')
    if ($engine.Count -gt 0) {
        throw "The package contains System.Management.Automation.dll ($($engine[0].FullName)). The host supplies it; it must not ship with the module."
    }
    $null = Test-ModuleManifest -Path $packagedManifest -ErrorAction Stop

    Write-Host ''
    Write-Host "Packaged: $target"
    Write-Host 'To install it for the current user, copy the AutopilotExport folder under out/ into a folder of $env:PSModulePath:'
    Write-Host '  $modules = ($env:PSModulePath -split [IO.Path]::PathSeparator)[0]'
    Write-Host '  New-Item -ItemType Directory -Force -Path $modules | Out-Null'
    Write-Host "  Copy-Item -Recurse -Force '$(Join-Path $OutRoot 'AutopilotExport')' `$modules"
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
