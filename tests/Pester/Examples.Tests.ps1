<#
    The scripts in examples/ as an admin copies and runs them, against the local Autopilot emulator, so they never rot:
    the one-off CSV export (-WhatIf first), the scheduled job run with pwsh -File and its exit codes (success,
    partial, wrong key, missing export, missing AUTOPILOT_API_KEY, empty segment file), and AD-style users (mail, GivenName, sn).
    The scripts say 'Import-Module AutopilotExport': a module folder on PSModulePath points at this repository's build.
    Run: ./build.ps1 -Task Pester
#>

Describe 'The example scripts' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        $Examples = Join-Path $RepoRoot 'examples'
        $SegmentCsv = Join-Path $Examples 'segment.csv'
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        $Session = Enter-ShellTestSession -RepoRoot $RepoRoot -Folder $TestDrive
        $TestEmulator = $Session.Emulator
        $EmulatorRoot = $TestEmulator.Root

        # examples/segment.csv, as New-SampleSegment.ps1 wrote it: 3,025 rows, of which 6 addresses without '@',
        # 4 empty addresses, 4 order counts that are not numbers and 25 repeats of earlier addresses.
        $SegmentRows = 3025

        # The connection the scheduled job uses reads the key from AUTOPILOT_API_KEY, as the script's help sets it up.
        $env:AUTOPILOT_API_KEY = $TestEmulator.ApiKey
        try {
            $null = New-AutopilotConnection -Name prod -BaseUri $TestEmulator.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
        }
        finally {
            Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
        }
        $null = New-AutopilotConnection -Name stored -ApiKey $TestEmulator.SecureKey -BaseUri $TestEmulator.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
        $null = New-AutopilotExport -Name vip -Connection prod -Segment 'VIP customers' -FieldMap @{
            Email = 'Email'; FirstName = 'FirstName'; LastName = 'LastName'
            Custom = @{ 'Order Count' = @{ Property = 'Orders'; Type = 'integer' } }
        }

        # A small segment file in which every row is valid.
        $CleanCsv = Join-Path $TestDrive 'vip.csv'
        @(
            'Email,FirstName,LastName,Orders'
            'ada@example.com,Ada,Lovelace,12'
            'grace@example.com,Grace,Hopper,7'
        ) | Set-Content -Path $CleanCsv -Encoding UTF8

        function Invoke-ScheduledExport {
            param([string[]] $ArgumentList, [string] $ApiKey)
            if ($ApiKey) { $env:AUTOPILOT_API_KEY = $ApiKey }
            try {
                Invoke-PowerShellFile -Path (Join-Path $Examples 'Invoke-ScheduledExport.ps1') -ArgumentList $ArgumentList
            }
            finally {
                Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
            }
        }
    }

    AfterAll {
        Exit-ShellTestSession -Session $Session
    }

    BeforeEach {
        Reset-Emulator
    }

    Context 'Export-CsvSegment.ps1 (one-off CSV export)' {
        It 'with -WhatIf sends nothing and creates no list' {
            $result = & (Join-Path $Examples 'Export-CsvSegment.ps1') -Path $SegmentCsv -Connection stored -Segment 'Spring campaign' -WhatIf 6>$null

            $result | Should -BeNullOrEmpty
            (Get-EmulatorContacts).total | Should -Be 0
            Get-EmulatorList -Title 'Spring campaign' | Should -BeNullOrEmpty
        }

        It 'exports examples/segment.csv: every valid address once, the rest counted and in the row report' {
            $result = & (Join-Path $Examples 'Export-CsvSegment.ps1') -Path $SegmentCsv -Connection stored -Segment 'Spring campaign' -WarningVariable warnings -WarningAction SilentlyContinue

            # Matched automatically: only the 10 bad addresses are invalid (Orders is not an Autopilot field here).
            $result.Status | Should -Be 'CompletedWithErrors'
            $result.Received | Should -Be $SegmentRows
            $result.Invalid | Should -Be 10
            $result.Duplicate | Should -Be 25
            $result.Exported | Should -Be ($SegmentRows - 35)
            (Get-EmulatorContacts).total | Should -Be ($SegmentRows - 35)
            (Get-EmulatorList -Title 'Spring campaign').contacts | Should -Be ($SegmentRows - 35)
            ($warnings | Out-String) | Should -BeLike "*35 rows*$($result.ReportPath)*"
        }
    }

    Context 'Invoke-ScheduledExport.ps1 run by a scheduler (pwsh -File)' {
        It 'exits 0 when every row was exported' {
            $run = Invoke-ScheduledExport -ApiKey $TestEmulator.ApiKey -ArgumentList @('-Export', 'vip', '-Path', $CleanCsv)

            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -Match 'Status\s+:\s+Succeeded'
            (Get-EmulatorList -Title 'VIP customers').contacts | Should -Be 2
            (Get-AutopilotExport -Name vip).LastRunStatus | Should -Be 'Succeeded'
        }

        It 'exits 2 when some rows were not exported, and prints the row report' {
            $run = Invoke-ScheduledExport -ApiKey $TestEmulator.ApiKey -ArgumentList @('-Export', 'vip', '-Path', $SegmentCsv)

            $run.ExitCode | Should -Be 2 -Because $run.Output
            $run.Output | Should -Match 'Invalid\s+:\s+14'
            $run.Output | Should -BeLike '*Some rows were not exported; see *.jsonl*'
            (Get-EmulatorContacts).total | Should -Be ($SegmentRows - 39)
        }

        It 'exits 3 when the API refuses the key, sends no contact and never prints the key' {
            $wrongKey = 'wrong-' + [guid]::NewGuid().ToString('N')
            $run = Invoke-ScheduledExport -ApiKey $wrongKey -ArgumentList @('-Export', 'vip', '-Path', $CleanCsv)

            $run.ExitCode | Should -Be 3 -Because $run.Output
            $run.Output | Should -Match 'Status\s+:\s+Failed'
            $run.Output | Should -BeLike '*(Unauthorized)*'
            $run.Output.Contains($wrongKey) | Should -BeFalse
            (Get-EmulatorContacts).total | Should -Be 0
        }

        It 'passes -Verbose on to the export: its verbose lines reach the job log, the key does not' {
            $run = Invoke-ScheduledExport -ApiKey $TestEmulator.ApiKey -ArgumentList @('-Export', 'vip', '-Path', $CleanCsv, '-Verbose')

            $run.ExitCode | Should -Be 0 -Because $run.Output
            $run.Output | Should -BeLike "*VERBOSE: Connection 'prod': 127.0.0.1*key from `$env:AUTOPILOT_API_KEY*"
            $run.Output.Contains($TestEmulator.ApiKey) | Should -BeFalse
        }

        It 'exits 4 when the saved export does not exist' {
            $run = Invoke-ScheduledExport -ApiKey $TestEmulator.ApiKey -ArgumentList @('-Export', 'no-such-export', '-Path', $CleanCsv)

            $run.ExitCode | Should -Be 4 -Because $run.Output
            $run.Output | Should -BeLike "*Export 'no-such-export' stopped (ExportNotFound)*"
        }

        It 'exits 4 when AUTOPILOT_API_KEY is not set, and sends nothing' {
            $run = Invoke-ScheduledExport -ArgumentList @('-Export', 'vip', '-Path', $CleanCsv)

            $run.ExitCode | Should -Be 4 -Because $run.Output
            $run.Output | Should -BeLike '*(ApiKeyMissing)*AUTOPILOT_API_KEY*'
            (Get-EmulatorContacts).total | Should -Be 0
        }

        It 'exits 6 when the segment file has no rows, and sends nothing' {
            $emptyCsv = Join-Path $TestDrive 'empty.csv'
            'Email,FirstName,LastName,Orders' | Set-Content -Path $emptyCsv -Encoding UTF8
            $run = Invoke-ScheduledExport -ApiKey $TestEmulator.ApiKey -ArgumentList @('-Export', 'vip', '-Path', $emptyCsv)

            $run.ExitCode | Should -Be 6 -Because $run.Output
            $run.Output | Should -Match 'Status\s+:\s+NoInput'
            $run.Output | Should -BeLike '*has no rows: nothing was exported*'
            (Get-AutopilotExport -Name vip).LastRunStatus | Should -Be 'NoInput'
            (Get-EmulatorContacts).total | Should -Be 0
        }

        It 'exits 4 when the segment file does not exist' {
            $run = Invoke-ScheduledExport -ApiKey $TestEmulator.ApiKey -ArgumentList @('-Export', 'vip', '-Path', (Join-Path $TestDrive 'missing.csv'))

            $run.ExitCode | Should -Be 4 -Because $run.Output
            $run.Output | Should -BeLike '*missing.csv*does not exist*'
        }
    }

    Context 'Export-AdUsers.ps1 (Active Directory users)' {
        BeforeAll {
            # What Get-ADUser -Properties mail, Company, Department returns, as far as the script reads it.
            $AdUsers = @(
                [pscustomobject]@{ SamAccountName = 'jdoe'; mail = 'jane.doe@corp.example'; GivenName = 'Jane'; sn = 'Doe'; Company = 'Contoso'; Department = 'Sales'; l = 'Berlin'; c = 'DE' }
                [pscustomobject]@{ SamAccountName = 'rroe'; mail = 'rick.roe@corp.example'; GivenName = 'Rick'; sn = 'Roe'; Company = 'Contoso'; Department = 'IT'; l = 'Paris'; c = 'FR' }
                [pscustomobject]@{ SamAccountName = 'svc-backup'; mail = $null; GivenName = $null; sn = $null; Company = $null; Department = $null; l = $null; c = $null }
            )
        }

        It 'with -WhatIf sends nothing' {
            $result = $AdUsers | & (Join-Path $Examples 'Export-AdUsers.ps1') -Connection stored -Segment 'Staff' -WhatIf -ErrorAction SilentlyContinue 6>$null

            $result | Should -BeNullOrEmpty
            (Get-EmulatorContacts).total | Should -Be 0
            Get-EmulatorList -Title 'Staff' | Should -BeNullOrEmpty
        }

        It 'maps mail, GivenName and sn, and reports a user without mail by its account' {
            $result = $AdUsers | & (Join-Path $Examples 'Export-AdUsers.ps1') -Connection stored -Segment 'Staff' -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Exported | Should -Be 2
            $result.Invalid | Should -Be 1
            @($err).Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingEmail*'
            $err[0].TargetObject.SamAccountName | Should -Be 'svc-backup'
            $jane = @((Get-EmulatorContacts).contacts) | Where-Object { $_.Email -eq 'jane.doe@corp.example' }
            $jane.FirstName | Should -Be 'Jane'
            $jane.LastName | Should -Be 'Doe'
            $jane.Company | Should -Be 'Contoso'
            $jane.MailingCity | Should -Be 'Berlin'
            $jane.custom.'string--Department' | Should -Be 'Sales'
            (Get-EmulatorList -Title 'Staff').contacts | Should -Be 2
        }

        It 'says what to do when nothing is piped in and Get-ADUser is not there' {
            if (Get-Command -Name Get-ADUser -ErrorAction SilentlyContinue) {
                Set-ItResult -Skipped -Because 'the ActiveDirectory module is installed here'
                return
            }
            { & (Join-Path $Examples 'Export-AdUsers.ps1') -Connection stored -Segment 'Staff' } |
                Should -Throw '*Get-ADUser was not found*pipe the users in*'
            (Get-EmulatorContacts).total | Should -Be 0
        }
    }
}
