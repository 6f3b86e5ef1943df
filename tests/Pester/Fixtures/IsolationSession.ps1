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
