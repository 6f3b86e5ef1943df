<#
    The package installs like any module: build.ps1 -Task Package makes out/packages/AutopilotExport.<version>.nupkg;
    in a new pwsh process, a file repository over that folder is registered, the package is saved
    (Save-PSResource into a temporary module folder) or installed (Install-PSResource -Scope CurrentUser, with the
    user's folders redirected to the test drive), and an export runs by module name, no path, against the emulator.

    Needs: PowerShell 7.4 or later (PSResourceGet in-box), the .NET SDK, Pester 5. Runs build.ps1 -Task Package
    itself (a build of the solution, then the package); set AUTOPILOTEXPORT_TEST_PACKAGES to a folder that already
    holds the package to skip that.
    Run: Invoke-Pester -Path tests/Pester/Install.Tests.ps1 -Output Detailed
#>

Describe 'Installing the package with PSResourceGet' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module (Join-Path $PSScriptRoot 'RealShell.psm1') -Force
        $SavedState = Enter-IsolatedState -Folder $TestDrive

        $Version = [string](Import-PowerShellDataFile -Path (Join-Path $RepoRoot 'AutopilotExport.psd1')).ModuleVersion
        $Packages = $env:AUTOPILOTEXPORT_TEST_PACKAGES
        if (-not $Packages) {
            $self = (Get-Process -Id $PID).Path
            $prefix = @(if ([System.IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
            $log = & $self @prefix -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Task Package 2>&1
            if ($LASTEXITCODE -ne 0) { throw "build.ps1 -Task Package failed: $($log -join [Environment]::NewLine)" }
            $Packages = Join-Path $RepoRoot 'out/packages'
        }
        $Nupkg = Join-Path $Packages "AutopilotExport.$Version.nupkg"

        $Emulator = Start-TestEmulator -RepoRoot $RepoRoot -LogFolder $TestDrive

        # Registers the folder as repository 'local', puts the module into place the way -How says, then uses it by
        # name only. PSModulePath holds nothing but PowerShell's own modules and the place the package went to.
        $InstallScript = @'
param([string] $ParametersPath, [string] $ReportPath)
$ErrorActionPreference = 'Stop'
$p = Get-Content -Raw -LiteralPath $ParametersPath | ConvertFrom-Json
$report = [ordered]@{}
try {
    Register-PSResourceRepository -Name local -Uri $p.Packages -Trusted
    $found = Find-PSResource -Name AutopilotExport -Repository local
    $report.Found = "$($found.Name) $($found.Version) $($found.Type)"
    if ($p.How -eq 'Save') {
        Save-PSResource -Name AutopilotExport -Repository local -Path $p.ModuleFolder -TrustRepository
        $env:PSModulePath = $p.ModuleFolder + [System.IO.Path]::PathSeparator + $env:PSModulePath
    }
    else {
        Install-PSResource -Name AutopilotExport -Repository local -Scope CurrentUser -TrustRepository
    }
    $report.Installed = @(Get-InstalledPSResource -Name AutopilotExport -Path $p.ModuleFolder -ErrorAction SilentlyContinue | ForEach-Object { "$($_.Name) $($_.Version)" })
    $available = @(Get-Module -ListAvailable -Name AutopilotExport)
    $report.Available = @($available | ForEach-Object { "$($_.Version) $($_.ModuleBase)" })
    $report.LoadedBefore = [bool](Get-Module -Name AutopilotExport)

    # By name only: command discovery imports the module.
    $key = ConvertTo-SecureString -String $p.ApiKey -AsPlainText -Force
    $null = New-AutopilotConnection -Name installed -ApiKey $key -BaseUri $p.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
    $profiles = 1..4 | ForEach-Object { [pscustomobject]@{ Email = "installed-$($p.How)-$_@example.com".ToLowerInvariant(); FirstName = "Installed$_" } }
    $result = $profiles | Start-AutopilotExport -Connection installed -Segment $p.Segment
    $report.Result = [ordered]@{ Status = [string]$result.Status; Received = $result.Received; Exported = $result.Exported; Failed = $result.Failed }
    $module = Get-Module -Name AutopilotExport
    $report.ModuleBase = $module.ModuleBase
    $report.ModuleVersion = [string]$module.Version
    $report.CmdletAssembly = (Get-Command -Name Start-AutopilotExport).ImplementingType.Assembly.Location
    $report.HelpSynopsis = (Get-Help -Name Start-AutopilotExport).Synopsis
}
catch {
    $report.Error = $_.Exception.ToString()
}
$report | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $ReportPath -Encoding UTF8
'@

        function Invoke-Install {
            param([string] $How, [string] $Segment)
            $userHome = Join-Path $TestDrive "$How-home"
            $moduleFolder = if ($How -eq 'Save') { Join-Path $TestDrive 'modules' } else { Join-Path $userHome '.local/share/powershell/Modules' }
            # .NET reports no local data folder (so PSResourceGet would keep its repository list in the current
            # directory) unless the folder exists.
            $dataFolder = Join-Path $userHome '.local/share'
            $null = New-Item -ItemType Directory -Force -Path $dataFolder, $moduleFolder
            Invoke-PwshScript -Script $InstallScript -WorkFolder $TestDrive -Parameters @{
                How = $How; Packages = $Packages; ModuleFolder = $moduleFolder; Segment = $Segment
                BaseUri = $Emulator.BaseUri; ApiKey = $Emulator.ApiKey
            } -Environment @{
                # The repository list, the user's module folder and the module's state all under the test drive.
                HOME                  = $userHome
                XDG_DATA_HOME         = $dataFolder
                XDG_CONFIG_HOME       = Join-Path $userHome '.config'
                AUTOPILOTEXPORT_HOME  = Join-Path $userHome 'state'
                PSModulePath          = Join-Path $PSHOME 'Modules'
            }
        }
    }

    AfterAll {
        Stop-ProcessTree -Process $Emulator.Process
        Remove-Module -Name RealShell -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    It 'build.ps1 -Task Package made the package, with the module at its root and no engine assembly' {
        Test-Path -LiteralPath $Nupkg -PathType Leaf | Should -BeTrue
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Nupkg)
        try {
            $entries = @($zip.Entries | ForEach-Object FullName)
            $nuspec = [System.IO.StreamReader]::new(($zip.Entries | Where-Object FullName -EQ 'AutopilotExport.nuspec').Open()).ReadToEnd()
        }
        finally { $zip.Dispose() }
        foreach ($file in 'AutopilotExport.psd1', 'AutopilotExport.psm1', 'AutopilotExport.format.ps1xml', 'en-US/AutopilotExport.dll-Help.xml',
            'bin/AutopilotExport.dll', 'bin/AutopilotExport.Engine.dll', 'bin/Microsoft.Extensions.Http.dll', 'bin/System.Text.Json.dll', 'bin/Polly.Core.dll',
            'bin/loader/net8.0/AutopilotExport.Loader.dll', 'bin/loader/netstandard2.0/AutopilotExport.Loader.dll') {
            $entries | Should -Contain $file
        }
        $entries | Where-Object { $_ -like '*System.Management.Automation.dll' } | Should -BeNullOrEmpty
        $entries | Where-Object { $_ -like '*.pdb' } | Should -BeNullOrEmpty
        ([xml]$nuspec).package.metadata.id | Should -Be 'AutopilotExport'
        ([xml]$nuspec).package.metadata.version | Should -Be $Version
        ([xml]$nuspec).package.metadata.tags | Should -Match '\bPSModule\b'
    }

    It 'Save-PSResource into a module folder, then an export by module name' {
        $report = Invoke-Install -How Save -Segment 'Installed Save'

        $report.Error | Should -BeNullOrEmpty
        $report.Found | Should -Be "AutopilotExport $Version Module"
        $report.Available | Should -Be @("$Version $(Join-Path $TestDrive "modules/AutopilotExport/$Version")")
        $report.LoadedBefore | Should -BeFalse
        $report.ModuleVersion | Should -Be $Version
        $report.ModuleBase | Should -Be (Join-Path $TestDrive "modules/AutopilotExport/$Version")
        $report.CmdletAssembly | Should -Be (Join-Path $TestDrive "modules/AutopilotExport/$Version/bin/AutopilotExport.dll")
        $report.HelpSynopsis | Should -Not -Match '^Start-AutopilotExport'
        $report.Result.Status | Should -Be 'Succeeded'
        $report.Result.Received | Should -Be 4
        $report.Result.Exported | Should -Be 4
        $report.Result.Failed | Should -Be 0
        Get-EmulatorListSize -Root $Emulator.Root -Title 'Installed Save' | Should -Be 4
    }

    It 'Install-PSResource -Scope CurrentUser, then an export by module name' -Skip:$IsWindows {
        # On Linux and macOS the user's module folder follows XDG_DATA_HOME, which points into the test drive.
        $report = Invoke-Install -How Install -Segment 'Installed User'

        $report.Error | Should -BeNullOrEmpty
        $moduleBase = Join-Path $TestDrive "Install-home/.local/share/powershell/Modules/AutopilotExport/$Version"
        $report.Installed | Should -Be @("AutopilotExport $Version")
        $report.ModuleBase | Should -Be $moduleBase
        $report.Result.Status | Should -Be 'Succeeded'
        $report.Result.Exported | Should -Be 4
        Get-EmulatorListSize -Root $Emulator.Root -Title 'Installed User' | Should -Be 4
    }
}
