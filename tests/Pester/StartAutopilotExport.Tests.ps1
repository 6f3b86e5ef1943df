<#
    Start-AutopilotExport as a user runs it: CSV rows, AD-like objects and hashtables in; contacts, custom fields
    and list memberships checked in what the emulator stored; per-row errors by id; duplicates; -WhatIf; the
    profile cap; saved exports with a field map and -SegmentProperty; the result object; the key never shown.

    Runs against the local Autopilot emulator (tests/AutopilotEmulator), started here with dotnet run on a free
    loopback port without a rate limit, and stopped at the end. Needs the .NET SDK, a built module and Pester 5.
    Run: Invoke-Pester -Path tests/Pester -Output Detailed   (or ./build.ps1 -Task Pester)
#>

Describe 'Start-AutopilotExport' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path

        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        # An isolated state folder and no key in the environment: the user's own configuration is never touched.
        $SavedState = Enter-IsolatedState -Folder $TestDrive

        Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop

        function Get-ErrorId {
            param($ErrorRecord)
            ([string]$ErrorRecord.FullyQualifiedErrorId).Split(',')[0]
        }

        $TestEmulator = Start-TestEmulator -RepoRoot $RepoRoot -LogFolder $TestDrive
        $Emulator = $TestEmulator.Process
        $ApiKey = $TestEmulator.ApiKey
        $SecureKey = $TestEmulator.SecureKey
        $EmulatorRoot = $TestEmulator.Root
        $BaseUri = $TestEmulator.BaseUri

        # The emulator runs without a rate limit, so the client does not pace either.
        $null = New-AutopilotConnection -Name emu -ApiKey $SecureKey -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy

        # A segment file as a marketing team would export it from a spreadsheet.
        $CsvPath = Join-Path $TestDrive 'segment.csv'
        @(
            'Email,FirstName,LastName,Tier,Orders'
            'ada@example.com,Ada,Lovelace,gold,12'
            'grace@example.com,Grace,Hopper,silver,7'
            'alan@example.com,Alan,Turing,gold,3'
        ) | Set-Content -Path $CsvPath -Encoding UTF8

        $CsvFieldMap = @{
            Email     = 'Email'
            FirstName = 'FirstName'
            LastName  = 'LastName'
            Custom    = @{
                'Loyalty Tier' = 'Tier'
                'Order Count'  = @{ Property = 'Orders'; Type = 'integer' }
            }
        }
    }

    AfterAll {
        Stop-ProcessTree -Process $Emulator
        Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    BeforeEach {
        Reset-Emulator
    }

    Context 'CSV rows to one list' {
        It 'exports every row, with its custom fields, and adds it to the segment list' {
            $result = Import-Csv -Path $CsvPath | Start-AutopilotExport -Connection emu -Segment 'Pester VIP' -FieldMap $CsvFieldMap

            $result.PSObject.TypeNames | Should -Contain 'AutopilotExport.AutopilotExportResult'
            $result.Status | Should -Be 'Succeeded'
            $result.Received | Should -Be 3
            $result.Exported | Should -Be 3
            $result.Invalid | Should -Be 0
            $result.Duplicate | Should -Be 0
            $result.Failed | Should -Be 0
            $result.Connection | Should -Be 'emu'

            (Get-EmulatorContacts).total | Should -Be 3
            $ada = Get-EmulatorContact -Email 'ada@example.com'
            $ada.FirstName | Should -Be 'Ada'
            $ada.LastName | Should -Be 'Lovelace'
            $ada.custom.'string--Loyalty--Tier' | Should -Be 'gold'
            $ada.custom.'integer--Order--Count' | Should -Be 12
            $ada.unsubscribed | Should -BeFalse

            $list = Get-EmulatorList -Title 'Pester VIP'
            $list | Should -Not -BeNullOrEmpty
            $list.contacts | Should -Be 3
            $ada.lists | Should -Contain $list.list_id

            $segment = @($result.SegmentDetails) | Where-Object { $_.Segment -eq 'Pester VIP' }
            $segment.ListId | Should -Be $list.list_id
            $segment.ListCreated | Should -BeTrue
            $segment.Exported | Should -Be 3
        }

        It 'uses the existing list on the next run' {
            $null = Import-Csv -Path $CsvPath | Start-AutopilotExport -Connection emu -Segment 'Pester VIP' -FieldMap $CsvFieldMap
            $result = Import-Csv -Path $CsvPath | Start-AutopilotExport -Connection emu -Segment 'Pester VIP' -FieldMap $CsvFieldMap

            $result.Status | Should -Be 'Succeeded'
            @(Get-EmulatorList -Title 'Pester VIP').Count | Should -Be 1
            (@($result.SegmentDetails) | Where-Object { $_.Segment -eq 'Pester VIP' }).ListCreated | Should -BeFalse
            (Get-EmulatorContacts).total | Should -Be 3
        }

        It 'stores the result in $global:AutopilotLastExportResult and shows it as a table' {
            $result = Import-Csv -Path $CsvPath | Start-AutopilotExport -Connection emu -Segment 'Pester VIP' -FieldMap $CsvFieldMap

            $global:AutopilotLastExportResult | Should -Not -BeNullOrEmpty
            $global:AutopilotLastExportResult.Status | Should -Be $result.Status
            $global:AutopilotLastExportResult.Exported | Should -Be $result.Exported

            # The table fits 80 columns (Views.Tests.ps1); Duration moved to Format-List.
            $text = $result | Format-Table | Out-String -Width 200
            $text | Should -Match 'Export\s+Status\s+Received\s+Exported\s+Invalid\s+Duplicate\s+Failed'
            $text | Should -Match 'Succeeded\s+3\s+3\s+0\s+0\s+0'
            $list = $result | Format-List | Out-String -Width 200
            $list | Should -Match 'Duration\s*:\s*\d\d:\d\d:\d\d'
        }
    }

    Context 'Automatic matching' {
        It 'matches UserPrincipalName, GivenName and Surname without a field map' {
            $users = @(
                [pscustomobject]@{ SamAccountName = 'jdoe'; UserPrincipalName = 'jdoe@corp.example.com'; GivenName = 'Jane'; Surname = 'Doe' }
                [pscustomobject]@{ SamAccountName = 'rroe'; UserPrincipalName = 'rroe@corp.example.com'; GivenName = 'Rick'; Surname = 'Roe' }
            )
            $result = $users | Start-AutopilotExport -Connection emu -Segment 'Pester staff'

            $result.Exported | Should -Be 2
            $jane = Get-EmulatorContact -Email 'jdoe@corp.example.com'
            $jane.FirstName | Should -Be 'Jane'
            $jane.LastName | Should -Be 'Doe'
        }

        It 'does not take a UserPrincipalName that is not an address' {
            $users = @(
                [pscustomobject]@{ SamAccountName = 'svc'; UserPrincipalName = 'CORP\svc-backup'; GivenName = 'Backup' }
            )
            $result = $users | Start-AutopilotExport -Connection emu -Segment 'Pester staff' -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Exported | Should -Be 0
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingEmail*'
            $err[0].TargetObject.SamAccountName | Should -Be 'svc'
            (Get-EmulatorContacts).total | Should -Be 0
        }

        It 'accepts hashtables' {
            $rows = @(
                @{ Email = 'ht1@example.com'; FirstName = 'Hash' }
                @{ EmailAddress = 'ht2@example.com'; GivenName = 'Table' }
            )
            $result = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester hashtables'

            $result.Exported | Should -Be 2
            (Get-EmulatorContact -Email 'ht2@example.com').FirstName | Should -Be 'Table'
        }
    }

    Context 'Invalid rows' {
        It 'reports each bad row by error id with the row as TargetObject and exports the rest' {
            $rows = @(
                [pscustomobject]@{ Email = 'ok1@example.com'; FirstName = 'One'; Tier = 'gold'; Orders = '1' }
                [pscustomobject]@{ Email = 'not-an-email'; FirstName = 'Bad'; Tier = 'gold'; Orders = '1' }
                [pscustomobject]@{ Email = ''; FirstName = 'Empty'; Tier = 'gold'; Orders = '1' }
                [pscustomobject]@{ Email = 'ok2@example.com'; FirstName = 'Count'; Tier = 'gold'; Orders = 'many' }
                [pscustomobject]@{ Email = 'ok3@example.com'; FirstName = 'Three'; Tier = 'silver'; Orders = '3' }
            )
            $result = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester invalid' -FieldMap $CsvFieldMap -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Status | Should -Be 'CompletedWithErrors'
            $result.Received | Should -Be 5
            $result.Exported | Should -Be 2
            $result.Invalid | Should -Be 3

            $err.Count | Should -Be 3
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidEmail*'
            $err[0].TargetObject.Email | Should -Be 'not-an-email'
            $err[1].FullyQualifiedErrorId | Should -BeLike 'MissingEmail*'
            $err[2].FullyQualifiedErrorId | Should -BeLike 'InvalidFieldValue*'
            $err[2].TargetObject.Orders | Should -Be 'many'

            (Get-EmulatorContacts).total | Should -Be 2
            Get-EmulatorContact -Email 'not-an-email' | Should -BeNullOrEmpty
        }

        It 'writes the bad rows to the row report' {
            $rows = @(
                [pscustomobject]@{ Email = 'ok@example.com' }
                [pscustomobject]@{ Email = 'broken.example.com' }
            )
            $reportPath = Join-Path $TestDrive 'report-invalid.jsonl'
            $result = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester invalid' -ReportPath $reportPath -ErrorAction SilentlyContinue

            $result.ReportPath | Should -Be $reportPath
            $reportPath | Should -Exist
            # JSON lines: one per row that was not exported, then a summary line.
            $lines = @(Get-Content -Path $reportPath | Where-Object { $_.Trim() } | ForEach-Object { $_ | ConvertFrom-Json })
            $rowLines = @($lines | Where-Object { $_.PSObject.Properties['errorId'] -and -not $_.PSObject.Properties['summary'] })
            $rowLines.Count | Should -Be 1
            $rowLines[0].errorId | Should -Be 'InvalidEmail'
            $rowLines[0].row | Should -Be 2
            $summary = @($lines | Where-Object { $_.PSObject.Properties['summary'] })
            $summary.Count | Should -Be 1
            $summary[0].summary.status | Should -Be $result.Status
        }

        It 'writes the row report to the reports folder of the state folder by default' {
            $result = @([pscustomobject]@{ Email = 'nope' }) | Start-AutopilotExport -Connection emu -Segment 'Pester invalid' -ErrorAction SilentlyContinue

            $result.ReportPath | Should -Not -BeNullOrEmpty
            $result.ReportPath | Should -Exist
            Split-Path -Path $result.ReportPath -Leaf | Should -BeLike 'adhoc-*.jsonl'
            $reports = (Resolve-Path -Path (Join-Path $env:AUTOPILOTEXPORT_HOME 'reports')).Path
            (Split-Path -Path (Resolve-Path -Path $result.ReportPath).Path -Parent) | Should -Be $reports
        }

        It 'reports a $null row as NullRow' {
            $rows = @($null, [pscustomobject]@{ Email = 'after-null@example.com' })
            $result = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester invalid' -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Exported | Should -Be 1
            @($err | Where-Object { $_.FullyQualifiedErrorId -like 'NullRow*' }).Count | Should -Be 1
        }

        It 'reports MissingSegment when a row has no segment and there is no -Segment' {
            $rows = @(
                [pscustomobject]@{ Email = 'tiered@example.com'; Tier = 'Pester Gold' }
                [pscustomobject]@{ Email = 'untiered@example.com'; Tier = '' }
            )
            $result = $rows | Start-AutopilotExport -Connection emu -SegmentProperty Tier -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Exported | Should -Be 1
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingSegment*'
            $err[0].TargetObject.Email | Should -Be 'untiered@example.com'
        }
    }

    Context 'Duplicates' {
        It 'sends an address once, whatever its case, and reports the repeats' {
            $rows = @(
                [pscustomobject]@{ Email = 'dup@example.com'; FirstName = 'First' }
                [pscustomobject]@{ Email = 'other@example.com'; FirstName = 'Other' }
                [pscustomobject]@{ Email = 'DUP@Example.com'; FirstName = 'Second' }
            )
            $result = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester duplicates' -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Received | Should -Be 3
            $result.Exported | Should -Be 2
            $result.Duplicate | Should -Be 1
            $result.Status | Should -Be 'Succeeded' -Because 'repeated addresses do not make a run fail'
            @($err | Where-Object { $_.FullyQualifiedErrorId -like 'DuplicateEmail*' }).Count | Should -Be 1
            (Get-EmulatorContacts).total | Should -Be 2
            (Get-EmulatorList -Title 'Pester duplicates').contacts | Should -Be 2
        }
    }

    Context '-WhatIf' {
        It 'sends nothing, creates no list and returns no result' {
            $result = Import-Csv -Path $CsvPath | Start-AutopilotExport -Connection emu -Segment 'Pester what if' -FieldMap $CsvFieldMap -WhatIf

            $result | Should -BeNullOrEmpty
            (Get-EmulatorContacts).total | Should -Be 0
            Get-EmulatorList -Title 'Pester what if' | Should -BeNullOrEmpty
        }
    }

    Context 'Profile cap' {
        It 'sends no more than -MaxProfiles and reports the rest as ProfileLimitExceeded' {
            $rows = 1..5 | ForEach-Object { [pscustomobject]@{ Email = "cap$_@example.com"; FirstName = "Cap$_" } }
            $result = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester cap' -MaxProfiles 3 -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Exported | Should -Be 3
            $result.Failed | Should -Be 2
            $result.Status | Should -Be 'CompletedWithErrors'
            # Only the first row over the cap is written as an error; the row report has them all.
            @($err | Where-Object { $_.FullyQualifiedErrorId -like 'ProfileLimitExceeded*' }).Count | Should -BeGreaterThan 0
            (Get-EmulatorContacts).total | Should -Be 3
        }

        It 'refuses a -Concurrency outside 1..16' {
            { @() | Start-AutopilotExport -Connection emu -Segment 'Pester cap' -Concurrency 17 -ErrorAction Stop } | Should -Throw
        }
    }

    Context 'Saved export' {
        BeforeAll {
            $null = New-AutopilotExport -Name pester-tiers -Connection emu -Segment 'Pester no tier' -SegmentProperty Tier
            Set-AutopilotFieldMap -Export pester-tiers -Email Mail -FirstName GivenName -LastName Surname -CustomField @{
                'Order Count' = @{ Property = 'Orders'; Type = 'integer' }
            }
        }

        It 'runs by name with its field map and puts each row in the list of its segment' {
            $rows = @(
                [pscustomobject]@{ Mail = 'g1@example.com'; GivenName = 'Gold'; Surname = 'One'; Tier = 'Pester Gold'; Orders = '10' }
                [pscustomobject]@{ Mail = 'g2@example.com'; GivenName = 'Gold'; Surname = 'Two'; Tier = 'Pester Gold'; Orders = '20' }
                [pscustomobject]@{ Mail = 's1@example.com'; GivenName = 'Silver'; Surname = 'One'; Tier = 'Pester Silver'; Orders = '5' }
                [pscustomobject]@{ Mail = 'n1@example.com'; GivenName = 'No'; Surname = 'Tier'; Tier = ''; Orders = '0' }
            )
            $result = $rows | Start-AutopilotExport -Name pester-tiers

            $result.Export | Should -Be 'pester-tiers'
            $result.Status | Should -Be 'Succeeded'
            $result.Exported | Should -Be 4
            @($result.SegmentDetails).Count | Should -Be 3

            (Get-EmulatorList -Title 'Pester Gold').contacts | Should -Be 2
            (Get-EmulatorList -Title 'Pester Silver').contacts | Should -Be 1
            (Get-EmulatorList -Title 'Pester no tier').contacts | Should -Be 1

            $g2 = Get-EmulatorContact -Email 'g2@example.com'
            $g2.FirstName | Should -Be 'Gold'
            $g2.LastName | Should -Be 'Two'
            $g2.custom.'integer--Order--Count' | Should -Be 20
        }

        It 'records the last run on the saved export' {
            $null = @([pscustomobject]@{ Mail = 'last@example.com'; Tier = 'Pester Gold' }) | Start-AutopilotExport -Name pester-tiers
            $saved = Get-AutopilotExport -Name pester-tiers
            $saved.LastRunStatus | Should -Be 'Succeeded'
            $saved.LastRunAt | Should -Not -BeNullOrEmpty
        }

        It 'stops with ExportNotFound for an unknown export' {
            { @() | Start-AutopilotExport -Name no-such-export -ErrorAction Stop } | Should -Throw -ErrorId 'ExportNotFound*'
        }

        It 'stops with ConnectionNotFound for an unknown connection' {
            { @() | Start-AutopilotExport -Connection no-such-connection -Segment 'X' -ErrorAction Stop } | Should -Throw -ErrorId 'ConnectionNotFound*'
        }

        It 'stops with SegmentRequired when there is neither -Segment nor -SegmentProperty' {
            { @() | Start-AutopilotExport -Connection emu -ErrorAction Stop } | Should -Throw -ErrorId 'SegmentRequired*'
        }
    }

    Context 'Rejected key during a run' {
        It 'stores a Failed result and stops with Unauthorized' {
            $env:AUTOPILOT_API_KEY = $ApiKey
            try {
                $null = New-AutopilotConnection -Name emu-env -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
                $env:AUTOPILOT_API_KEY = 'revoked-key'
                $global:AutopilotLastExportResult = $null

                { Import-Csv -Path $CsvPath | Start-AutopilotExport -Connection emu-env -Segment 'Pester revoked' -ErrorAction Stop } |
                    Should -Throw -ErrorId 'Unauthorized*'

                $global:AutopilotLastExportResult.Status | Should -Be 'Failed'
                $global:AutopilotLastExportResult.Exported | Should -Be 0
                (Get-EmulatorContacts).total | Should -Be 0
            }
            finally {
                Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
            }
        }
    }

    Context 'A run that fails as a whole, in a script' {
        It 'gives $r the Failed result and writes one Unauthorized error (non-terminating), sending nothing more' {
            $env:AUTOPILOT_API_KEY = 'revoked-key'
            try {
                $null = New-AutopilotConnection -Name emu-env2 -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy -SkipValidation
                $r = Import-Csv -Path $CsvPath | Start-AutopilotExport -Connection emu-env2 -Segment 'Pester revoked' -ErrorVariable runErrors 2>$null

                $r.Status | Should -Be 'Failed'
                $r.ErrorId | Should -Be 'Unauthorized'
                $r.Received | Should -BeGreaterThan 0
                @($runErrors).Count | Should -Be 1
                Get-ErrorId $runErrors[0] | Should -Be 'Unauthorized'
                $runErrors[0].TargetObject | Should -Be $r
                (Get-EmulatorContacts).total | Should -Be 0
            }
            finally {
                Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
            }
        }

        It 'gives $r a Failed result with Received 0 when the run cannot start' {
            $r = @{ Email = 'a@example.com' } | Start-AutopilotExport -Name no-such-export -ErrorVariable runErrors 2>$null

            $r.Status | Should -Be 'Failed'
            $r.ErrorId | Should -Be 'ExportNotFound'
            $r.Received | Should -Be 0
            @($runErrors).Count | Should -Be 1
            Get-ErrorId $runErrors[0] | Should -Be 'ExportNotFound'
        }
    }

    Context 'Input that is not profiles, or no input at all' {
        It 'warns once that Get-ChildItem output does not look like profiles' {
            $folder = Join-Path $TestDrive 'not-profiles'
            $null = New-Item -ItemType Directory -Path $folder -Force
            1..5 | ForEach-Object { Set-Content -Path (Join-Path $folder "file$_.txt") -Value 'x' }

            $r = Get-ChildItem -Path $folder -File | Start-AutopilotExport -Connection emu -Segment 'Pester files' -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable rowErrors -ErrorAction SilentlyContinue

            @($warnings).Count | Should -Be 1
            [string]$warnings[0] | Should -BeLike 'The input does not look like profiles: the first 3 rows have no property the email address can come from (Email, EmailAddress, Mail or UserPrincipalName); properties found: *Name*Length*'
            [string]$warnings[0] | Should -Not -BeLike '*PSPath*'
            @($rowErrors).Count | Should -Be 5
            @($rowErrors | ForEach-Object { Get-ErrorId $_ } | Sort-Object -Unique) | Should -Be @('MissingEmail')
            $r.Status | Should -Be 'CompletedWithErrors'
            $r.Invalid | Should -Be 5
            (Get-EmulatorContacts).total | Should -Be 0
        }

        It 'says NoInput, with a warning, for an empty CSV file' {
            $empty = Join-Path $TestDrive 'empty.csv'
            'Email,FirstName' | Set-Content -Path $empty -Encoding UTF8

            $r = Import-Csv -Path $empty | Start-AutopilotExport -Connection emu -Segment 'Pester empty' -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable runErrors

            $r.Status | Should -Be 'NoInput'
            $r.Received | Should -Be 0
            $r.ErrorId | Should -BeNullOrEmpty
            @($runErrors).Count | Should -Be 0
            @($warnings).Count | Should -Be 1
            [string]$warnings[0] | Should -Be 'No input came in (an empty file, or nothing piped in?): there was nothing to export, and nothing was sent.'
            (Get-EmulatorContacts).total | Should -Be 0
        }
    }

    Context 'The API key is never shown' {
        It 'keeps the key out of every stream, the result and the row report' {
            $rows = @(
                [pscustomobject]@{ Email = 'secret1@example.com' }
                [pscustomobject]@{ Email = 'not valid' }
            )
            $text = & {
                $r = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester secrets' -Verbose
                $r | Format-List -Property *
                Get-Content -Raw -Path $r.ReportPath
            } *>&1 | Out-String

            $text | Should -BeLike '*not valid*'
            $text.Contains($ApiKey) | Should -BeFalse
        }
    }
}
