<#
    A saved export run as a scheduled job runs it: a script started with 'pwsh -File', twice over the same CSV with one
    row changed. The second run sends only that row, its result says Unchanged, its exit code is 0, and
    Get-AutopilotExportRun shows both runs with their counts.
    Needs a built module and Pester 5. Run: ./build.ps1 -Task Pester
#>

Describe 'A scheduled re-run of a saved export' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        $Session = Enter-ShellTestSession -RepoRoot $RepoRoot -Folder $TestDrive
        $TestEmulator = $Session.Emulator
        $EmulatorRoot = $TestEmulator.Root
        $null = New-AutopilotConnection -Name emu -ApiKey $TestEmulator.SecureKey -BaseUri $TestEmulator.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
        $null = New-AutopilotExport -Name nightly -Connection emu -Segment 'Pester nightly'
        Reset-Emulator

        # The README's scheduled-task recipe, cut to what is asserted: run, then exit with a code from the history.
        $Script = Join-Path $TestDrive 'nightly.ps1'
        Set-Content -Path $Script -Encoding UTF8 -Value @'
param([string] $CsvPath)
Import-Module AutopilotExport
$result = $null
Import-Csv -Path $CsvPath | Start-AutopilotExport -Name nightly -OutVariable result -ErrorAction Continue | Out-Null
$last = Get-AutopilotExportRun -Name nightly -Last 1
"RESULT exported=$($result.Exported) unchanged=$($result.Unchanged) status=$($last.Status)"
switch ($last.Status) {
    'Succeeded' { exit 0 }
    'CompletedWithErrors' { exit 1 }
    default { exit 2 }
}
'@
        $Csv = Join-Path $TestDrive 'customers.csv'
        function Write-Customers([string] $FirstName5) {
            $rows = 1..40 | ForEach-Object { [pscustomobject]@{ Email = "user$_@example.com"; FirstName = "First$_" } }
            $rows[4].FirstName = $FirstName5
            $rows | Export-Csv -Path $Csv -NoTypeInformation -Encoding UTF8
        }
    }

    AfterAll {
        Exit-ShellTestSession -Session $Session
    }

    It 'sends only what changed the second time, says so in its result and history, and exits 0' {
        Write-Customers -FirstName5 'First5'
        $first = Invoke-PowerShellFile -Path $Script -ArgumentList @('-CsvPath', $Csv)
        $first.ExitCode | Should -Be 0 -Because $first.Output
        $first.Output | Should -Match 'RESULT exported=40 unchanged=0 status=Succeeded'

        Write-Customers -FirstName5 'Renamed'
        $second = Invoke-PowerShellFile -Path $Script -ArgumentList @('-CsvPath', $Csv)
        $second.ExitCode | Should -Be 0 -Because $second.Output
        $second.Output | Should -Match 'RESULT exported=1 unchanged=39 status=Succeeded'
        (Get-EmulatorContact -Email 'user5@example.com').FirstName | Should -Be 'Renamed'

        $runs = @(Get-AutopilotExportRun -Name nightly)
        $runs.Count | Should -Be 2
        $runs[0].Status | Should -Be 'Succeeded'
        $runs[0].Exported | Should -Be 1
        $runs[0].Unchanged | Should -Be 39
        $runs[0].Received | Should -Be 40
        $runs[1].Exported | Should -Be 40
        $runs[0].ReportPath | Should -Exist

        $text = Get-AutopilotExportRun -Name nightly -Last 1 | Format-List | Out-String -Width 200
        $text | Should -Match '(?m)^Unchanged\s+: 39'
    }

    It 'shows Unchanged and Removed in the result''s list view, and its table still fits 80 columns' {
        $result = Import-Csv -Path $Csv | Start-AutopilotExport -Name nightly
        $result.Unchanged | Should -Be 40
        $list = $result | Format-List | Out-String -Width 200
        $list | Should -Match '(?m)^Unchanged\s+: 40'
        $list | Should -Match '(?m)^Removed\s+: 0'
        foreach ($line in (($result | Format-Table | Out-String -Width 200) -split "`r?`n")) { $line.TrimEnd().Length | Should -BeLessOrEqual 80 }
    }
}
