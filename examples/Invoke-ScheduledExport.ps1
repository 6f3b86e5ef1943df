<#
.SYNOPSIS
    Runs a saved export from a scheduled job (Task Scheduler, cron) and tells the scheduler by exit code how it went.

.DESCRIPTION
    Set up once, interactively, as the account that runs the job, with the key in AUTOPILOT_API_KEY:

        New-AutopilotConnection -Name prod -AcceptDataPrivacy       # no -ApiKey: reads AUTOPILOT_API_KEY at each run
        New-AutopilotExport -Name vip -Connection prod -Segment 'VIP customers' -FieldMap @{ Email = 'Email' }

    The job's environment then holds AUTOPILOT_API_KEY (and AUTOPILOTEXPORT_HOME if the state folder is not the
    default one), and the job runs: pwsh -NoProfile -NonInteractive -File Invoke-ScheduledExport.ps1 -Export vip

    Exit codes:
      0  every row was exported (repeated addresses are fine)
      2  the run finished, but some rows were not exported: the row report (printed) says which and why
      3  the run failed as a whole, for example because the API refused the key
      4  the run could not start: no AUTOPILOT_API_KEY, no such saved export or connection, no segment file
      5  the run was cancelled (Ctrl+C, or SIGTERM from the scheduler's time limit)
      6  the segment file had no rows: nothing to export

.EXAMPLE
    pwsh -NoProfile -NonInteractive -File ./Invoke-ScheduledExport.ps1 -Export vip -Path /srv/exports/vip.csv
#>
[CmdletBinding()]
param(
    # The saved export to run (Get-AutopilotExport lists them).
    [string] $Export = 'vip',

    # The segment file, a CSV with a header row.
    [string] $Path = (Join-Path $PSScriptRoot 'segment.csv')
)

$ErrorActionPreference = 'Stop'
if (Get-Variable -Name PSStyle -ErrorAction SilentlyContinue) {
    # The job's log is a file: no colour escape codes in it (PowerShell 7.2 and later).
    $PSStyle.OutputRendering = 'PlainText'
}
try {
    Import-Module -Name AutopilotExport
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        throw "The segment file '$Path' does not exist."
    }
}
catch {
    [Console]::Error.WriteLine("Export '$Export' could not start: $($_.Exception.Message)")
    exit 4
}

# Every run returns its result, also one that fails as a whole or cannot start (Status Failed, the reason in ErrorId
# and ErrorMessage). Per-row errors are in the counters and the row report, so the cmdlet's errors are kept off the
# log; its own -ErrorAction also keeps $ErrorActionPreference = 'Stop' from turning them into a thrown error.
$result = Import-Csv -LiteralPath $Path | Start-AutopilotExport -Name $Export -ErrorAction SilentlyContinue

$result | Format-List -Property Export, Status, Received, Exported, Invalid, Duplicate, Failed, Duration, ReportPath, ErrorMessage
if ($result.ErrorId) {
    [Console]::Error.WriteLine("Export '$Export' stopped ($($result.ErrorId)): $($result.ErrorMessage)")
}
switch ($result.Status) {
    'Succeeded'           { exit 0 }
    'CompletedWithErrors' { [Console]::Error.WriteLine("Some rows were not exported; see $($result.ReportPath)"); exit 2 }
    'Cancelled'           { exit 5 }
    'NoInput'             { [Console]::Error.WriteLine("The segment file '$Path' has no rows: nothing was exported."); exit 6 }
    # Failed: a run that could not start read no row (no such export, no key, ...); one that stopped had rows.
    default               { if ($result.Received -eq 0) { exit 4 } else { exit 3 } }
}
