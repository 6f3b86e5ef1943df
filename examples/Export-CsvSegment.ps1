<#
.SYNOPSIS
    One-off export: every row of a CSV file into one Autopilot list. Run it with -WhatIf first.

.DESCRIPTION
    Reads the CSV file with Import-Csv and pipes the rows to Start-AutopilotExport. Columns are matched
    automatically (Email, FirstName, LastName, Company, Phone, ...); a column that is not an Autopilot field is
    left out. Rows that cannot be exported are counted, written to the row report and summed up at the end;
    the run goes on without them.

    Needs a saved connection (New-AutopilotConnection). Outputs the result object (nothing with -WhatIf).

.EXAMPLE
    ./Export-CsvSegment.ps1 -Path ./spring.csv -Connection prod -Segment 'Spring campaign' -WhatIf

    Says how many profiles would go to the list and how many rows would be skipped; sends nothing.

.EXAMPLE
    ./Export-CsvSegment.ps1 -Path ./spring.csv -Connection prod -Segment 'Spring campaign'
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The CSV file, with a header row.
    [Parameter(Mandatory)] [string] $Path,

    # The saved connection to use (Get-AutopilotConnection lists them).
    [Parameter(Mandatory)] [string] $Connection,

    # The Autopilot list the profiles go to; it is created when it does not exist.
    [Parameter(Mandatory)] [string] $Segment,

    # Where the row report goes (default: the reports folder of the state folder).
    [string] $ReportPath
)

$ErrorActionPreference = 'Stop'
Import-Module -Name AutopilotExport

$export = @{
    Connection    = $Connection
    Segment       = $Segment
    WhatIf        = [bool]$WhatIfPreference
    ErrorVariable = 'rowErrors'
    ErrorAction   = 'SilentlyContinue'
}
if ($ReportPath) { $export.ReportPath = $ReportPath }

# Per-row errors are collected, not shown one by one; terminating errors (a refused key, no such connection) stop the script.
$result = Import-Csv -LiteralPath $Path | Start-AutopilotExport @export
if ($WhatIfPreference) { return }

if (@($rowErrors).Count -gt 0) {
    Write-Warning "$(@($rowErrors).Count) rows were not exported or were repeats; the row report says which and why: $($result.ReportPath)"
}
$result
