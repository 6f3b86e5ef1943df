<#
.SYNOPSIS
    The main job, end to end, against the local Autopilot API emulator: ./build.ps1 -Task Demo runs it.

.DESCRIPTION
    Starts the emulator (tests/AutopilotEmulator, built by ./build.ps1) on a free loopback port with the real
    API's rate limit of 5 requests per second, saves a connection and an export with a field map in a new
    temporary state folder (never the user's own), exports examples/segment.csv (3,025 rows, some invalid or
    repeated), prints the result object and the row report, shows the lists and contact counts the emulator now
    holds, and stops the emulator, also when something fails.

    Exit code 0 when the run finished and the emulator holds exactly the exported contacts; 1 otherwise.

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Demo
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot 'segment.csv'),

    # Requests per second the emulator allows and the connection keeps to (5 is what Autopilot allows).
    [double] $RequestsPerSecond = 5
)

$ErrorActionPreference = 'Stop'
$repoRoot = Split-Path -Path $PSScriptRoot -Parent
. (Join-Path $repoRoot 'tests/Pester/TestSupport.ps1')

# A state folder of its own: the demo's connection, export and row report never touch the user's.
$demoHome = Join-Path ([System.IO.Path]::GetTempPath()) ('autopilot-demo-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = New-Item -ItemType Directory -Path $demoHome
$saved = Enter-IsolatedState -Folder $demoHome
$emulator = $null
$exitCode = 1
try {
    Import-Module -Name (Join-Path $repoRoot 'AutopilotExport.psd1') -Force

    Write-Host "==> Starting the Autopilot API emulator ($RequestsPerSecond requests/s)" -ForegroundColor Cyan
    $emulator = Start-TestEmulator -RepoRoot $repoRoot -LogFolder $demoHome -RateLimit $RequestsPerSecond
    Write-Host "Emulator: $($emulator.BaseUri)   State folder: $env:AUTOPILOTEXPORT_HOME"

    Write-Host '==> New-AutopilotConnection -Name demo ... -AcceptDataPrivacy' -ForegroundColor Cyan
    New-AutopilotConnection -Name demo -ApiKey $emulator.SecureKey -BaseUri $emulator.BaseUri `
        -RequestsPerSecond $RequestsPerSecond -AcceptDataPrivacy | Format-Table | Out-Host

    Write-Host '==> New-AutopilotExport -Name loyalty -SegmentProperty Tier -Segment Newsletter -FieldMap ...' -ForegroundColor Cyan
    # One list per loyalty tier (Gold, Silver, Bronze); rows without a tier go to the Newsletter list.
    New-AutopilotExport -Name loyalty -Connection demo -Segment 'Newsletter' -SegmentProperty Tier -FieldMap @{
        Email     = 'Email'
        FirstName = 'FirstName'
        LastName  = 'LastName'
        Company   = 'Company'
        Phone     = 'Phone'
        MailingCity    = 'MailingCity'
        MailingCountry = 'MailingCountry'
        Custom    = @{
            'Loyalty Tier' = 'Tier'
            'Order Count'  = @{ Property = 'Orders'; Type = 'integer' }
            'Member Since' = @{ Property = 'MemberSince'; Type = 'date' }
        }
    } | Format-List Name, Connection, Segments, SegmentProperty, FieldMap | Out-Host

    Write-Host "==> Import-Csv $Path | Start-AutopilotExport -Name loyalty" -ForegroundColor Cyan
    $result = Import-Csv -Path $Path |
        Start-AutopilotExport -Name loyalty -ErrorVariable rowErrors -ErrorAction SilentlyContinue
    $result | Format-List Export, Status, Received, Exported, Invalid, Duplicate, Failed, Batches, Retries, Throttled, Duration, SegmentDetails | Out-Host
    Write-Host "Per-row errors written: $(@($rowErrors).Count). The first three:"
    @($rowErrors) | Select-Object -First 3 | ForEach-Object { Write-Host "  $($_.FullyQualifiedErrorId.Split(',')[0]): $($_.Exception.Message)" }
    Write-Host "Row report: $($result.ReportPath)"
    Get-Content -Path $result.ReportPath | ForEach-Object { $_ | ConvertFrom-Json } |
        Where-Object { $_.PSObject.Properties['errorId'] } | Group-Object -Property errorId -NoElement |
        Format-Table -Property Count, @{ Name = 'Error id in the row report'; Expression = { $_.Name } } | Out-Host

    Write-Host '==> What the emulator holds (its inspection API, GET /__emulator/lists and /__emulator/contacts)' -ForegroundColor Cyan
    $lists = @((Invoke-RestMethod -Uri "$($emulator.Root)/__emulator/lists").lists)
    $lists | Sort-Object -Property title | Format-Table -Property title, list_id, contacts | Out-Host
    $contacts = (Invoke-RestMethod -Uri "$($emulator.Root)/__emulator/contacts").total
    Write-Host "Contacts stored: $contacts"

    if ($result.Status -notin @('Succeeded', 'CompletedWithErrors')) {
        throw "The export ended with status $($result.Status). $($result.ErrorMessage)"
    }
    if ($contacts -ne $result.Exported) {
        throw "The emulator holds $contacts contacts, but the result says $($result.Exported) were exported."
    }
    Write-Host "Demo finished: $($result.Exported) profiles exported into $($lists.Count) lists. The state folder $demoHome can be deleted." -ForegroundColor Green
    $exitCode = 0
}
catch {
    Write-Host "The demo failed: $($_.Exception.Message)" -ForegroundColor Red
}
finally {
    if ($emulator) {
        Stop-ProcessTree -Process $emulator.Process
    }
    Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
    Exit-IsolatedState -Saved $saved
}
exit $exitCode
