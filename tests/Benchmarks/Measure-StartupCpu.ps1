<#
.SYNOPSIS
    Start-up CPU of the module in a fresh pwsh: pwsh's own start, Import-Module, and a first export of 10 rows.
.DESCRIPTION
    Needs an Autopilot emulator (or API) at -BaseUri whose key is in $env:AUTOPILOT_API_KEY, and a throw-away
    $env:AUTOPILOTEXPORT_HOME. See docs/PERFORMANCE.md ("Start-up CPU and module cost per row").
.EXAMPLE
    dotnet pwsh -NoProfile -NonInteractive -File tests/Benchmarks/Measure-StartupCpu.ps1 -BaseUri http://127.0.0.1:5099/v1 -Manifest ./AutopilotExport.psd1
#>
param(
    [Parameter(Mandatory)] [string] $BaseUri,
    [Parameter(Mandatory)] [string] $Manifest
)
$cpu = { $p = [System.Diagnostics.Process]::GetCurrentProcess(); $p.Refresh(); $p.TotalProcessorTime.TotalSeconds }
$t0 = & $cpu
Import-Module $Manifest
$t1 = & $cpu
$null = New-AutopilotConnection -Name startup -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation -RequestsPerSecond 0
$r = 1..10 | ForEach-Object { [pscustomobject]@{ Email = "s$_@example.com"; FirstName = "S$_" } } | Start-AutopilotExport -Connection startup -Segment Startup
$t2 = & $cpu
'{0} pwsh_start_cpu={1:0.00} import_cpu={2:0.00} first_export_cpu={3:0.00} module_total={4:0.00}' -f $r.Status, $t0, ($t1 - $t0), ($t2 - $t1), ($t2 - $t0)
