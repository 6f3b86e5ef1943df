<#
    AutopilotExport loads beside modules that bring other versions of its dependencies, in the real shell.

    Each scenario is a fresh pwsh child process (the session script below, written to the test drive) in which "another
    module" loads older (Microsoft.Extensions.Http 6.0 and its set) or newer (Microsoft.Extensions.DependencyInjection
    9.0, Microsoft.Extensions.Http 9.0) copies into PowerShell's default load context, before or after
    AutopilotExport is imported, and uses them; AutopilotExport connects to and exports to the local emulator.
    The older and newer copies are fetched at test time by restoring tests/Pester/Fixtures/OtherModuleDependencies.csproj
    into a temporary folder (nothing binary is committed).

    Needs: PowerShell 7 (the isolation is an AssemblyLoadContext; the file is skipped on Windows PowerShell), the
    .NET SDK, a built module (dotnet build AutopilotPS.sln -c Release), Pester 5.
    Run: Invoke-Pester -Path tests/Pester/DependencyIsolation.Tests.ps1 -Output Detailed
#>

Describe 'Dependency isolation in the real shell' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        Import-Module (Join-Path $PSScriptRoot 'RealShell.psm1') -Force
        $SavedState = Enter-IsolatedState -Folder $TestDrive

        # The copies "another module" brings, restored into this test's own folder.
        $restoreFolder = Join-Path $TestDrive 'other-module'
        $null = New-Item -ItemType Directory -Path $restoreFolder
        Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'Fixtures/OtherModuleDependencies.csproj') -Destination $restoreFolder
        $packages = Join-Path $restoreFolder 'packages'
        $restoreLog = & dotnet restore (Join-Path $restoreFolder 'OtherModuleDependencies.csproj') --packages $packages 2>&1
        if ($LASTEXITCODE -ne 0) { throw "Restoring the other module's dependencies failed: $($restoreLog -join [Environment]::NewLine)" }

        function Get-PackageAssembly {
            # The assembly of one package version, from the lib folder a .NET 8 or later process would use.
            param([string] $Id, [string] $Version)
            $lib = Join-Path $packages "$($Id.ToLowerInvariant())/$Version/lib"
            foreach ($framework in 'net9.0', 'net8.0', 'net6.0', 'netcoreapp3.1', 'netstandard2.1', 'netstandard2.0') {
                $file = Join-Path $lib "$framework/$Id.dll"
                if (Test-Path -LiteralPath $file) { return $file }
            }
            throw "No usable $Id.dll in $lib."
        }

        $Sets = @{
            Older = @(
                Get-PackageAssembly Microsoft.Extensions.Primitives 6.0.0
                Get-PackageAssembly Microsoft.Extensions.DependencyInjection.Abstractions 6.0.0
                Get-PackageAssembly Microsoft.Extensions.DependencyInjection 6.0.1
                Get-PackageAssembly Microsoft.Extensions.Options 6.0.0
                Get-PackageAssembly Microsoft.Extensions.Logging.Abstractions 6.0.0
                Get-PackageAssembly Microsoft.Extensions.Logging 6.0.0
                Get-PackageAssembly Microsoft.Extensions.Http 6.0.0
            )
            Newer = @(
                Get-PackageAssembly Microsoft.Extensions.DependencyInjection.Abstractions 9.0.0
                Get-PackageAssembly Microsoft.Extensions.DependencyInjection 9.0.0
                Get-PackageAssembly Microsoft.Extensions.Http 9.0.0
            )
            OlderJson = @(Get-PackageAssembly System.Text.Json 6.0.11)
        }

        # The script each child pwsh runs.
        $SessionScript = @'
<#
    One PowerShell session of DependencyIsolation.Tests.ps1, run as a child pwsh process so that each scenario
    starts with an empty default load context. It plays "another module" (loading shared dependencies into the
    default context with Add-Type, as modules without isolation do, and using them) and a user of AutopilotExport,
    in the order -Steps names, and writes what happened as JSON to -ReportPath. It never throws: every step's
    error goes into the report, for the test to assert on.

    Steps: LoadOther:<set>   load the set's assemblies into the default context (Add-Type -Path)
           UseOther          build a service provider from the loaded Microsoft.Extensions.DependencyInjection
                             and, when the set has Microsoft.Extensions.Http, create an HttpClient from its factory
           Import            Import-Module <ModulePath> (the manifest, or for the control, the bare dll)
           Connect           New-AutopilotConnection to the emulator
           Export:<segment>  three profiles through Start-AutopilotExport to <segment>
#>
param(
    [Parameter(Mandatory)] [string] $ParametersPath,
    [Parameter(Mandatory)] [string] $ReportPath
)

$ErrorActionPreference = 'Stop'
$parameters = Get-Content -Raw -LiteralPath $ParametersPath | ConvertFrom-Json
$env:AUTOPILOTEXPORT_HOME = $parameters.StateFolder
$report = [ordered]@{ Steps = [System.Collections.Generic.List[object]]::new(); Assemblies = @() }
$other = @{}

function Invoke-OtherModuleUse {
    # What the other module does with its copies: its own container and, if it has one, its own HttpClient factory.
    $di = $other['Microsoft.Extensions.DependencyInjection']
    $abstractions = $other['Microsoft.Extensions.DependencyInjection.Abstractions']
    $serviceCollectionInterface = $abstractions.GetType('Microsoft.Extensions.DependencyInjection.IServiceCollection', $true)
    $services = [Activator]::CreateInstance($di.GetType('Microsoft.Extensions.DependencyInjection.ServiceCollection', $true))
    $used = "DependencyInjection $($di.GetName().Version)"
    $http = $other['Microsoft.Extensions.Http']
    if ($http -and $other.ContainsKey('Microsoft.Extensions.Logging')) {
        # AddHttpClient(IServiceCollection), not its generic namesakes.
        $addHttpClient = $http.GetType('Microsoft.Extensions.DependencyInjection.HttpClientFactoryServiceCollectionExtensions', $true).GetMethods() |
            Where-Object { $_.Name -eq 'AddHttpClient' -and -not $_.IsGenericMethodDefinition -and $_.GetParameters().Count -eq 1 }
        $null = $addHttpClient.Invoke($null, @(, $services))
    }
    $build = $di.GetType('Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions', $true).
        GetMethod('BuildServiceProvider', [type[]]@($serviceCollectionInterface))
    $provider = $build.Invoke($null, @(, $services))
    if ($http -and $other.ContainsKey('Microsoft.Extensions.Logging')) {
        $factory = $provider.GetService($http.GetType('System.Net.Http.IHttpClientFactory', $true))
        $client = $factory.CreateClient('other-module')
        $used += "; HttpClientFactory $($factory.GetType().Assembly.GetName().Version) made a $($client.GetType().Name)"
    }
    $used
}

foreach ($step in $parameters.Steps) {
    $entry = [ordered]@{ Step = $step; Ok = $true; Detail = $null; Error = $null }
    try {
        $verb, $argument = $step -split ':', 2
        switch ($verb) {
            'LoadOther' {
                $loaded = foreach ($file in $parameters.Sets.$argument) {
                    $assembly = [System.Reflection.Assembly]::LoadFrom($file)
                    $other[$assembly.GetName().Name] = $assembly
                    "$($assembly.GetName().Name) $($assembly.GetName().Version)"
                }
                $entry.Detail = $loaded -join ', '
            }
            'UseOther' { $entry.Detail = Invoke-OtherModuleUse }
            'Import' { Import-Module -Name $parameters.ModulePath -Force; $entry.Detail = (Get-Module AutopilotExport).Path }
            'Connect' {
                $key = ConvertTo-SecureString -String $parameters.ApiKey -AsPlainText -Force
                $connection = New-AutopilotConnection -Name isolation -ApiKey $key -BaseUri $parameters.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy -Force
                $entry.Detail = $connection.Name
            }
            'Export' {
                $slug = ($argument -replace '[^A-Za-z0-9]+', '-').ToLowerInvariant()
                $profiles = 1..3 | ForEach-Object { [pscustomobject]@{ Email = "$slug-$_@example.com"; FirstName = "Person$_" } }
                $result = $profiles | Start-AutopilotExport -Connection isolation -Segment $argument
                $entry.Detail = [ordered]@{ Status = [string]$result.Status; Received = $result.Received; Exported = $result.Exported; Failed = $result.Failed }
            }
            default { throw "Unknown step '$step'." }
        }
    }
    catch {
        $entry.Ok = $false
        $entry.Error = $_.Exception.ToString()
    }
    $report.Steps.Add($entry)
}

# Where each copy of a shared dependency ended up: name, version and load context.
$report.Assemblies = @([System.AppDomain]::CurrentDomain.GetAssemblies() |
        Where-Object { $_.GetName().Name -like 'Microsoft.Extensions.*' -or $_.GetName().Name -like 'AutopilotExport*' -or $_.GetName().Name -eq 'System.Text.Json' } |
        ForEach-Object {
            [ordered]@{
                Name    = $_.GetName().Name
                Version = $_.GetName().Version.ToString()
                Context = if ([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_) -eq [System.Runtime.Loader.AssemblyLoadContext]::Default) { 'Default' } else { 'Private' }
            }
        })

$report | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $ReportPath -Encoding UTF8
'@

        $Emulator = Start-TestEmulator -RepoRoot $RepoRoot -LogFolder $TestDrive
        $Manifest = Join-Path $RepoRoot 'AutopilotExport.psd1'
        # The module's assemblies carry the manifest's version (Directory.Build.props reads it from there).
        $v = [version](Import-PowerShellDataFile -Path $Manifest).ModuleVersion
        $AssemblyVersion = [version]::new($v.Major, $v.Minor, [Math]::Max($v.Build, 0), [Math]::Max($v.Revision, 0)).ToString()

        function Invoke-IsolationSession {
            # Runs the steps in a new pwsh process and returns its report.
            param([string[]] $Steps, [string] $ModulePath = $Manifest)
            Invoke-PwshScript -Script $SessionScript -WorkFolder $TestDrive -Parameters @{
                Steps       = $Steps
                Sets        = $Sets
                ModulePath  = $ModulePath
                StateFolder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
                BaseUri     = $Emulator.BaseUri
                ApiKey      = $Emulator.ApiKey
            }
        }

        function Get-Step {
            param($Report, [string] $Step)
            $found = @($Report.Steps | Where-Object Step -EQ $Step)
            if ($found.Count -ne 1) { throw "The report has $($found.Count) steps named '$Step'." }
            $found[0]
        }

        function Get-LoadedCopy {
            param($Report, [string] $Name)
            @($Report.Assemblies | Where-Object Name -EQ $Name | ForEach-Object { "$($_.Context) $($_.Version)" } | Sort-Object)
        }

        function Assert-Exported {
            param($Step, [string] $Segment)
            $Step.Error | Should -BeNullOrEmpty
            $Step.Ok | Should -BeTrue
            $Step.Detail.Status | Should -Be 'Succeeded'
            $Step.Detail.Received | Should -Be 3
            $Step.Detail.Exported | Should -Be 3
            $Step.Detail.Failed | Should -Be 0
            Get-EmulatorListSize -Root $Emulator.Root -Title $Segment | Should -Be 3
        }
    }

    AfterAll {
        Stop-ProcessTree -Process $Emulator.Process
        Remove-Module -Name RealShell -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    It 'the older copies do conflict when the module is loaded without its loader (the control)' {
        # Importing the cmdlet dll directly puts its dependencies into the default context, as every version before
        # the loader did: with Microsoft.Extensions.Http 6.0 loaded first, connecting fails to load 8.0.
        $modulePath = Join-Path $RepoRoot 'module/bin/AutopilotExport.dll'
        $report = Invoke-IsolationSession -ModulePath $modulePath -Steps 'LoadOther:Older', 'UseOther', 'Import', 'Connect'

        (Get-Step $report 'UseOther').Ok | Should -BeTrue
        (Get-Step $report 'Import').Ok | Should -BeTrue
        $connect = Get-Step $report 'Connect'
        $connect.Ok | Should -BeFalse
        $connect.Error | Should -Match "Microsoft\.Extensions\.(Http|DependencyInjection|Logging|Options)[^,]*, Version=8\.0\.0\.0"
    }

    It 'imports, connects and exports after another module loaded older copies, and that module keeps working' {
        $report = Invoke-IsolationSession -Steps 'LoadOther:Older', 'UseOther', 'Import', 'Connect', 'Export:Isolation Older First'

        foreach ($step in 'LoadOther:Older', 'UseOther', 'Import', 'Connect') {
            (Get-Step $report $step).Error | Should -BeNullOrEmpty -Because "step $step"
        }
        (Get-Step $report 'UseOther').Detail | Should -Match '^DependencyInjection 6\.0\.0\.0; HttpClientFactory 6\.0\.0\.0 made a HttpClient$'
        Assert-Exported -Step (Get-Step $report 'Export:Isolation Older First') -Segment 'Isolation Older First'

        # Both copies are in the session: the other module's in the default context, ours in the private one.
        Get-LoadedCopy $report 'Microsoft.Extensions.Http' | Should -Be @('Default 6.0.0.0', 'Private 8.0.0.0')
        Get-LoadedCopy $report 'Microsoft.Extensions.DependencyInjection' | Should -Be @('Default 6.0.0.0', 'Private 8.0.0.0')
        Get-LoadedCopy $report 'AutopilotExport' | Should -Be @("Private $AssemblyVersion")
        Get-LoadedCopy $report 'AutopilotExport.Engine' | Should -Be @("Private $AssemblyVersion")
        Get-LoadedCopy $report 'AutopilotExport.Loader' | Should -Be @("Default $AssemblyVersion")
    }

    It 'imported and used first, it leaves room for a module that loads older copies afterwards' {
        $report = Invoke-IsolationSession -Steps 'Import', 'Connect', 'Export:Isolation Then Older', 'LoadOther:Older', 'UseOther', 'Export:Isolation Older After'

        Assert-Exported -Step (Get-Step $report 'Export:Isolation Then Older') -Segment 'Isolation Then Older'
        (Get-Step $report 'LoadOther:Older').Error | Should -BeNullOrEmpty
        (Get-Step $report 'UseOther').Error | Should -BeNullOrEmpty
        (Get-Step $report 'UseOther').Detail | Should -Match '^DependencyInjection 6\.0\.0\.0; HttpClientFactory 6\.0\.0\.0 made a HttpClient$'
        Assert-Exported -Step (Get-Step $report 'Export:Isolation Older After') -Segment 'Isolation Older After'
        Get-LoadedCopy $report 'Microsoft.Extensions.Http' | Should -Be @('Default 6.0.0.0', 'Private 8.0.0.0')
    }

    It 'imported and used first, it leaves room for a module that loads newer copies afterwards' {
        $report = Invoke-IsolationSession -Steps 'Import', 'Connect', 'Export:Isolation Then Newer', 'LoadOther:Newer', 'UseOther', 'Export:Isolation Newer After'

        Assert-Exported -Step (Get-Step $report 'Export:Isolation Then Newer') -Segment 'Isolation Then Newer'
        (Get-Step $report 'LoadOther:Newer').Error | Should -BeNullOrEmpty
        (Get-Step $report 'UseOther').Detail | Should -Be 'DependencyInjection 9.0.0.0'
        Assert-Exported -Step (Get-Step $report 'Export:Isolation Newer After') -Segment 'Isolation Newer After'
        Get-LoadedCopy $report 'Microsoft.Extensions.Http' | Should -Be @('Default 9.0.0.0', 'Private 8.0.0.0')
        Get-LoadedCopy $report 'Microsoft.Extensions.DependencyInjection' | Should -Be @('Default 9.0.0.0', 'Private 8.0.0.0')
    }

    It 'takes System.Text.Json from the runtime, which no module can replace in the default context' {
        # The loader leaves assemblies the .NET runtime ships in the same or a newer version to the runtime; that is
        # only safe if no module can put an older copy in front of it. Check that premise in the real shell: loading
        # System.Text.Json 6.0 by path quietly yields the runtime's copy.
        $report = Invoke-IsolationSession -Steps 'LoadOther:OlderJson', 'Import', 'Connect', 'Export:Isolation Json'

        $load = Get-Step $report 'LoadOther:OlderJson'
        $load.Error | Should -BeNullOrEmpty
        $load.Detail | Should -Not -Match '6\.0\.0\.0'
        Assert-Exported -Step (Get-Step $report 'Export:Isolation Json') -Segment 'Isolation Json'
        $json = @($report.Assemblies | Where-Object Name -EQ 'System.Text.Json')
        $json.Count | Should -Be 1
        $json[0].Context | Should -Be 'Default'
        [version]$json[0].Version | Should -BeGreaterOrEqual ([version]'8.0.0.0')
        $load.Detail | Should -Be "System.Text.Json $($json[0].Version)"
    }
}
