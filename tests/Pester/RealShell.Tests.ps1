<#
    What only a real shell shows, end to end against the local Autopilot emulator: Import-Csv of a file saved with a
    byte order mark and headers with spaces, ConvertFrom-Json pipelines, a transcript (Start-Transcript) that never
    holds the key, an export stopped while it runs (Stop-Job), and tab completion through TabExpansion2 for every
    parameter that has a completer. The hosted xunit module tests own the cmdlets' own behaviour; this file owns
    how they meet the shell's cmdlets and its processes.
    Run: ./build.ps1 -Task Pester
#>

Describe 'In a real shell' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        $Manifest = Join-Path $RepoRoot 'AutopilotExport.psd1'
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        $Session = Enter-ShellTestSession -RepoRoot $RepoRoot -Folder $TestDrive
        $TestEmulator = $Session.Emulator
        $EmulatorRoot = $TestEmulator.Root
        $null = New-AutopilotConnection -Name emu -ApiKey $TestEmulator.SecureKey -BaseUri $TestEmulator.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
    }

    AfterAll {
        Exit-ShellTestSession -Session $Session
    }

    BeforeEach {
        Reset-Emulator
    }

    Context 'Import-Csv' {
        It 'reads a file saved with a byte order mark and headers with spaces, accents intact' {
            # As Excel saves "CSV UTF-8": a BOM, CRLF line ends, headers a person typed.
            $path = Join-Path $TestDrive 'excel.csv'
            $text = "E-mail Address,First Name,Last Name,Loyalty Tier`r`n" +
                "zoe@example.com,Zoë,Müller,Gold`r`n" +
                "jose@example.com,José,García,`r`n"
            [System.IO.File]::WriteAllText($path, $text, (New-Object System.Text.UTF8Encoding -ArgumentList $true))

            $result = Import-Csv -Path $path | Start-AutopilotExport -Connection emu -Segment 'Pester BOM' -FieldMap @{
                Email = 'E-mail Address'; FirstName = 'First Name'; LastName = 'Last Name'; Custom = @{ 'Loyalty Tier' = 'Loyalty Tier' }
            }

            # A BOM left in the first header would hide 'E-mail Address' and make both rows MissingEmail.
            $result.Exported | Should -Be 2
            $result.Invalid | Should -Be 0
            $zoe = Get-EmulatorContact -Email 'zoe@example.com'
            $zoe.FirstName | Should -BeExactly 'Zoë'
            $zoe.LastName | Should -BeExactly 'Müller'
            $zoe.custom.'string--Loyalty--Tier' | Should -Be 'Gold'
            (Get-EmulatorContact -Email 'jose@example.com').LastName | Should -BeExactly 'García'
        }

        It 'reads a semicolon-separated file with -Delimiter and matches headers in other letter cases' {
            $path = Join-Path $TestDrive 'semicolon.csv'
            @('EMAIL;FIRSTNAME;LASTNAME', 'anna@example.com;Anna;Schmidt', 'bad-address;Bad;Row') | Set-Content -Path $path -Encoding UTF8

            $result = Import-Csv -Path $path -Delimiter ';' | Start-AutopilotExport -Connection emu -Segment 'Pester semicolon' -ErrorVariable err -ErrorAction SilentlyContinue

            $result.Exported | Should -Be 1
            $result.Invalid | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidEmail*'
            $err[0].TargetObject.EMAIL | Should -Be 'bad-address'
            (Get-EmulatorContact -Email 'anna@example.com').FirstName | Should -Be 'Anna'
        }
    }

    Context 'Import-Csv headers with surrounding spaces (issue 11)' {
        BeforeAll {
            # Import-Csv keeps the trailing spaces of a header typed as "Email , First Name": the properties are
            # 'Email ' and 'First Name ', which neither a field map nor the automatic matching found before.
            $SpacedCsv = Join-Path $TestDrive 'spaced.csv'
            @(' Email , First Name ,Tier  , GivenName', 'pad1@example.com,Pia,gold,Pia', 'pad2@example.com,Pat,,Pat') |
                Set-Content -Path $SpacedCsv -Encoding UTF8
        }

        It 'matches a field map to headers with surrounding spaces' {
            $rows = Import-Csv -Path $SpacedCsv
            $rows[0].PSObject.Properties.Name | Should -Contain 'Email '
            $rows[0].PSObject.Properties.Name | Should -Not -Contain 'Email'
            $result = $rows | Start-AutopilotExport -Connection emu -Segment 'Pester spaced' -FieldMap @{
                Email = 'Email'; FirstName = 'First Name'; Custom = @{ Tier = 'Tier' }
            } -WarningVariable warned -ErrorVariable err -ErrorAction SilentlyContinue
            $err | Should -BeNullOrEmpty
            $warned | Should -BeNullOrEmpty
            $result.Exported | Should -Be 2
            $pia = Get-EmulatorContact -Email 'pad1@example.com'
            $pia.FirstName | Should -BeExactly 'Pia'
            $pia.custom.'string--Tier' | Should -Be 'gold'
        }

        It 'matches headers with surrounding spaces automatically' {
            $result = Import-Csv -Path $SpacedCsv | Start-AutopilotExport -Connection emu -Segment 'Pester spaced auto'
            $result.Exported | Should -Be 2
            (Get-EmulatorContact -Email 'pad2@example.com').FirstName | Should -BeExactly 'Pat'
        }

        It 'warns once about a mapped property no row has, with the rows counted' {
            $result = Import-Csv -Path $SpacedCsv | Start-AutopilotExport -Connection emu -Segment 'Pester typo' -FieldMap @{
                Email = 'Email'; FirstName = 'FirstNmae'
            } -WarningVariable warned -WarningAction SilentlyContinue
            $result.Exported | Should -Be 2
            @($warned | Where-Object { "$_" -like 'Property *' }).Count | Should -Be 1
            "$($warned[0])" | Should -BeExactly "Property 'FirstNmae' (mapped to FirstName) was not found on any of the 2 rows: check its spelling against the input's properties."
        }

        It 'reads an Email added to a hashtable row with Add-Member' {
            $row = @{ FirstName = 'Member' }
            $row | Add-Member -NotePropertyName Email -NotePropertyValue 'added@example.com'
            $result = $row | Start-AutopilotExport -Connection emu -Segment 'Pester add-member' -FieldMap @{ Email = 'Email'; FirstName = 'FirstName' }
            $result.Exported | Should -Be 1
            (Get-EmulatorContact -Email 'added@example.com').FirstName | Should -BeExactly 'Member'
        }
    }

    Context 'ConvertFrom-Json' {
        It 'exports a CRM answer reshaped with Select-Object, numbers and flags typed' {
            $json = '{ "customers": [
                { "email": "kim@example.com", "name": { "first": "Kim", "last": "Lee" }, "orders": 42, "optIn": true },
                { "email": "sam@example.com", "name": { "first": "Sam", "last": "Poe" }, "orders": 0, "optIn": false },
                { "email": null, "name": { "first": "No", "last": "Mail" }, "orders": 1, "optIn": true }
            ] }'
            $result = ($json | ConvertFrom-Json).customers |
                Select-Object -Property @{ Name = 'Email'; Expression = { $_.email } },
                    @{ Name = 'FirstName'; Expression = { $_.name.first } },
                    @{ Name = 'LastName'; Expression = { $_.name.last } }, orders, optIn |
                Start-AutopilotExport -Connection emu -Segment 'Pester JSON' -ErrorVariable err -ErrorAction SilentlyContinue -FieldMap @{
                    Email = 'Email'; FirstName = 'FirstName'; LastName = 'LastName'
                    Custom = @{ 'Orders' = @{ Property = 'orders'; Type = 'integer' }; 'Opted In' = @{ Property = 'optIn'; Type = 'boolean' } }
                }

            $result.Exported | Should -Be 2
            $result.Invalid | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'MissingEmail*'
            $err[0].TargetObject.FirstName | Should -Be 'No'
            $kim = Get-EmulatorContact -Email 'kim@example.com'
            $kim.LastName | Should -Be 'Lee'
            $kim.custom.'integer--Orders' | Should -Be 42
            $kim.custom.'boolean--Opted--In' | Should -BeTrue
            (Get-EmulatorContact -Email 'sam@example.com').custom.'boolean--Opted--In' | Should -BeFalse
        }

        It 'exports the objects of a JSON-lines file read with Get-Content' {
            $path = Join-Path $TestDrive 'profiles.jsonl'
            @('{"Email":"l1@example.com","FirstName":"Line"}', '', '{"Email":"l2@example.com","FirstName":"Two"}') | Set-Content -Path $path -Encoding UTF8

            $result = Get-Content -Path $path | Where-Object { $_.Trim() } | ConvertFrom-Json | Start-AutopilotExport -Connection emu -Segment 'Pester JSON lines'

            $result.Exported | Should -Be 2
            (Get-EmulatorContact -Email 'l2@example.com').FirstName | Should -Be 'Two'
        }
    }

    Context 'Start-Transcript' {
        It 'records what the user saw, -Verbose included, and never the key' {
            $transcript = Join-Path $TestDrive 'transcript.txt'
            $script = Join-Path $TestDrive 'transcribed.ps1'
            # Everything goes to the host, so the transcript has it: results, tables, verbose lines, errors.
            @'
param([string] $TranscriptPath, [string] $BaseUri)
Import-Module -Name AutopilotExport -ErrorAction Stop
$null = Start-Transcript -Path $TranscriptPath
$key = ConvertTo-SecureString -String $env:PESTER_TRANSCRIPT_KEY -AsPlainText -Force
New-AutopilotConnection -Name transcribed -ApiKey $key -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy -Verbose | Format-List -Property * | Out-Host
Test-AutopilotConnection -Name transcribed -Verbose | Format-List -Property * | Out-Host
@([pscustomobject]@{ Email = 'kept@example.com' }, [pscustomobject]@{ Email = 'not valid' }) |
    Start-AutopilotExport -Connection transcribed -Segment 'Pester transcript' -Verbose | Format-List -Property * | Out-Host
$wrong = ConvertTo-SecureString -String 'wrong-transcript-key' -AsPlainText -Force
New-AutopilotConnection -Name refused -ApiKey $wrong -BaseUri $BaseUri -AcceptDataPrivacy -Verbose
Get-AutopilotConnection | Format-List -Property * | Out-Host
$Error | Format-List -Property * -Force | Out-Host
$null = Stop-Transcript
'@ | Set-Content -Path $script -Encoding UTF8

            $env:PESTER_TRANSCRIPT_KEY = $TestEmulator.ApiKey
            try {
                $run = Invoke-PowerShellFile -Path $script -ArgumentList @('-TranscriptPath', $transcript, '-BaseUri', $TestEmulator.BaseUri)
            }
            finally {
                Remove-Item -Path Env:PESTER_TRANSCRIPT_KEY -ErrorAction SilentlyContinue
            }

            $transcript | Should -Exist
            $text = Get-Content -Raw -Path $transcript
            $text | Should -BeLike '*VERBOSE:*'
            $text | Should -BeLike '*CompletedWithErrors*'
            $text | Should -BeLike "*'not valid'*"
            $text | Should -BeLike '*InvalidApiKey*'
            $text.Contains($TestEmulator.ApiKey) | Should -BeFalse
            $text.Contains('wrong-transcript-key') | Should -BeFalse
            $run.Output.Contains($TestEmulator.ApiKey) | Should -BeFalse
            (Get-EmulatorContact -Email 'kept@example.com') | Should -Not -BeNullOrEmpty
        }
    }

    Context 'Stopping a running export' {
        BeforeAll {
            # Paced at 2 requests per second, 5,000 rows take at least 25 seconds: the run is stopped long before.
            $null = New-AutopilotConnection -Name slow -ApiKey $TestEmulator.SecureKey -BaseUri $TestEmulator.BaseUri -RequestsPerSecond 2 -AcceptDataPrivacy
            $null = New-AutopilotExport -Name slow-export -Connection slow -Segment 'Pester stopped'
        }

        It 'Stop-Job cancels it: the saved export and the row report say Cancelled and no request follows' {
            # A background job is its own PowerShell process; it inherits AUTOPILOTEXPORT_HOME from this one.
            $job = Start-Job -ScriptBlock {
                param($Manifest)
                Import-Module -Name $Manifest
                1..5000 | ForEach-Object { [pscustomobject]@{ Email = "stop$_@example.com" } } | Start-AutopilotExport -Name slow-export
            } -ArgumentList $Manifest
            try {
                $deadline = (Get-Date).AddMinutes(2)
                while ((Get-EmulatorContacts).total -eq 0 -and $job.State -eq 'Running' -and (Get-Date) -lt $deadline) {
                    Start-Sleep -Milliseconds 200
                }
                (Get-EmulatorContacts).total | Should -BeGreaterThan 0 -Because "the job should be sending ($($job.State): $($job.ChildJobs[0].JobStateInfo.Reason))"
                Stop-Job -Job $job
                $job.State | Should -Be 'Stopped'

                $saved = Get-AutopilotExport -Name slow-export
                $saved.LastRunStatus | Should -Be 'Cancelled'
                $report = Get-ChildItem -Path (Join-Path $env:AUTOPILOTEXPORT_HOME 'reports') -Filter 'slow-export-*.jsonl' |
                    Sort-Object -Property LastWriteTimeUtc | Select-Object -Last 1
                $summary = @(Get-Content -Path $report.FullName | Where-Object { $_.Trim() } | ForEach-Object { $_ | ConvertFrom-Json } |
                        Where-Object { $_.PSObject.Properties['summary'] })[0].summary
                $summary.status | Should -Be 'Cancelled'

                # Nothing is still sending: the emulator's counts stay where the run left them.
                $stored = (Get-EmulatorContacts).total
                $requests = (Invoke-RestMethod -Uri "$EmulatorRoot/__emulator/stats").totalRequests
                Start-Sleep -Seconds 2
                (Get-EmulatorContacts).total | Should -Be $stored
                # The inspection API is not counted, so any change is a request of the stopped run.
                (Invoke-RestMethod -Uri "$EmulatorRoot/__emulator/stats").totalRequests | Should -Be $requests
                $stored | Should -BeLessThan 5000
                $summary.exported | Should -Be $stored
            }
            finally {
                Remove-Job -Job $job -Force
            }
        }
    }

    Context 'Tab completion (TabExpansion2)' {
        BeforeAll {
            $null = New-AutopilotConnection -Name 'Sales EMEA' -ApiKey $TestEmulator.SecureKey -BaseUri $TestEmulator.BaseUri -AcceptDataPrivacy -SkipValidation
            $null = New-AutopilotExport -Name "Nightly VIP's" -Connection emu -Segment 'VIP'

            # Every parameter of the module that declares one of the module's completers.
            $Completing = foreach ($command in Get-Command -Module AutopilotExport) {
                foreach ($parameter in $command.Parameters.Values) {
                    foreach ($attribute in $parameter.Attributes) {
                        if ($attribute -is [System.Management.Automation.ArgumentCompleterAttribute] -and $attribute.Type) {
                            [pscustomobject]@{ Command = $command.Name; Parameter = $parameter.Name; Completer = $attribute.Type.Name }
                        }
                    }
                }
            }

            function Get-Completion {
                param([string] $InputScript)
                (TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length).CompletionMatches | ForEach-Object { $_.CompletionText }
            }
        }

        It 'offers saved connection names, quoted when they hold a space, for every connection parameter' {
            $parameters = @($Completing | Where-Object Completer -eq 'ConnectionNameCompleter')
            $parameters.Count | Should -BeGreaterThan 0
            foreach ($p in $parameters) {
                @(Get-Completion "$($p.Command) -$($p.Parameter) sales") | Should -Be @("'Sales EMEA'") -Because "$($p.Command) -$($p.Parameter)"
            }
        }

        It 'offers saved export names, quoted and with the quote doubled, for every export parameter' {
            $parameters = @($Completing | Where-Object Completer -eq 'ExportNameCompleter')
            $parameters.Count | Should -BeGreaterThan 0
            foreach ($p in $parameters) {
                @(Get-Completion "$($p.Command) -$($p.Parameter) 'nightly") | Should -Be @("'Nightly VIP''s'") -Because "$($p.Command) -$($p.Parameter)"
            }
        }

        It 'completes to a command line that runs: the completed name finds the export' {
            $line = 'Get-AutopilotExport -Name ' + @(Get-Completion 'Get-AutopilotExport -Name nigh')[0]
            (Invoke-Expression -Command $line).Name | Should -Be "Nightly VIP's"
        }
    }
}
