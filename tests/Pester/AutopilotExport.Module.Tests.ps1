<#
    The module as a user meets it: it imports from the repository's manifest, exports the twelve cmdlets, every
    cmdlet has help with a synopsis, a description and examples, and the format views are in effect.
    Needs a built module (dotnet build AutopilotPS.sln -c Release, or ./build.ps1) and Pester 5. No emulator needed.
    Run: Invoke-Pester -Path tests/Pester -Output Detailed   (or ./build.ps1 -Task Pester)
#>

Describe 'AutopilotExport module' {
    # Test data for -ForEach: evaluated while Pester discovers the tests.
    $CmdletNames = @(
        'New-AutopilotConnection', 'Get-AutopilotConnection', 'Test-AutopilotConnection', 'Remove-AutopilotConnection',
        'New-AutopilotExport', 'Get-AutopilotExport', 'Remove-AutopilotExport',
        'Set-AutopilotFieldMap', 'Start-AutopilotExport',
        'Set-AutopilotExport', 'Set-AutopilotConnection', 'Get-AutopilotExportRun'
    )

    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        # An isolated state folder and no key in the environment: the user's own configuration is never touched.
        $SavedState = Enter-IsolatedState -Folder $TestDrive
        Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop
    }

    AfterAll {
        Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    Context 'Import' {
        It 'imports from the repository manifest' {
            Get-Module -Name AutopilotExport | Should -Not -BeNullOrEmpty
        }

        It 'exports exactly the twelve cmdlets' {
            $exported = @((Get-Module -Name AutopilotExport).ExportedCmdlets.Keys | Sort-Object)
            $exported | Should -Be @(
                'Get-AutopilotConnection', 'Get-AutopilotExport', 'Get-AutopilotExportRun', 'New-AutopilotConnection', 'New-AutopilotExport',
                'Remove-AutopilotConnection', 'Remove-AutopilotExport', 'Set-AutopilotConnection', 'Set-AutopilotExport', 'Set-AutopilotFieldMap',
                'Start-AutopilotExport', 'Test-AutopilotConnection'
            )
        }

        It 'does not ship System.Management.Automation.dll beside the module' {
            $bin = Join-Path $RepoRoot 'module/bin'
            @(Get-ChildItem -LiteralPath $bin -Recurse -Filter 'System.Management.Automation.dll') | Should -HaveCount 0
        }
    }

    Context 'Help' {
        It '<_> has a synopsis of its own (not the generated syntax line)' -ForEach $CmdletNames {
            $help = Get-Help -Name $_ -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty
            $help.Synopsis.Trim() | Should -Not -BeLike "$_ *"
        }

        It '<_> has a description' -ForEach $CmdletNames {
            $help = Get-Help -Name $_ -Full
            (@($help.description | ForEach-Object { $_.Text }) -join ' ').Trim() | Should -Not -BeNullOrEmpty
        }

        It '<_> has at least one example' -ForEach $CmdletNames {
            $help = Get-Help -Name $_ -Full
            @($help.examples.example).Count | Should -BeGreaterThan 0
            (@($help.examples.example)[0].code | Out-String) | Should -BeLike "*$_*"
        }

        It '<_> documents every parameter' -ForEach $CmdletNames {
            $cmdletName = $_
            $help = Get-Help -Name $cmdletName -Full
            $common = @([System.Management.Automation.PSCmdlet]::CommonParameters)
            $documented = @($help.parameters.parameter | ForEach-Object { $_.name })
            $actual = @((Get-Command -Name $cmdletName).Parameters.Keys | Where-Object { $common -notcontains $_ })
            foreach ($name in $actual) {
                $documented | Should -Contain $name -Because "Get-Help $cmdletName should describe -$name"
            }
        }

        It '<_> describes every parameter' -ForEach $CmdletNames {
            $cmdletName = $_
            $help = Get-Help -Name $cmdletName -Full
            foreach ($parameter in @($help.parameters.parameter)) {
                (@($parameter.description | ForEach-Object { $_.Text }) -join ' ').Trim() |
                    Should -Not -BeNullOrEmpty -Because "Get-Help $cmdletName -Parameter $($parameter.name) should say what it is for"
            }
        }

        It '<_> explains each of its examples' -ForEach $CmdletNames {
            $cmdletName = $_
            $help = Get-Help -Name $cmdletName -Full
            $number = 0
            foreach ($example in @($help.examples.example)) {
                $number++
                ([string]$example.code).Trim() | Should -Not -BeNullOrEmpty -Because "example $number of $cmdletName needs code"
                (@($example.remarks | ForEach-Object { $_.Text }) -join ' ').Trim() |
                    Should -Not -BeNullOrEmpty -Because "example $number of $cmdletName should say what it does"
            }
        }
    }

    Context 'About topic' {
        It 'ships about_AutopilotExport' {
            Join-Path $RepoRoot 'module/en-US/about_AutopilotExport.help.txt' | Should -Exist
        }
    }

    Context 'Format views' {
        It 'has a view for <_>' -ForEach @(
            'AutopilotExport.AutopilotExportResult',
            'AutopilotExport.AutopilotConnection',
            'AutopilotExport.AutopilotExportDefinition',
            'AutopilotExport.AutopilotConnectionTestResult',
            'AutopilotExport.AutopilotSegmentResult'
        ) {
            Get-FormatData -TypeName $_ | Should -Not -BeNullOrEmpty
        }

        It 'shows an export result as a table with the duration as hh:mm:ss' {
            $result = [pscustomobject]@{
                PSTypeName = 'AutopilotExport.AutopilotExportResult'
                Export     = 'vip'
                Status     = 'CompletedWithErrors'
                Received   = 1204
                Exported   = 1190
                Invalid    = 9
                Duplicate  = 5
                Failed     = 0
                Duration   = [timespan]::FromSeconds(201)
            }
            # The table fits 80 columns (Views.Tests.ps1); Duration moved to Format-List.
            $text = $result | Format-Table | Out-String -Width 200
            $text | Should -Match 'Export\s+Status\s+Received\s+Exported\s+Invalid\s+Duplicate\s+Failed'
            $text | Should -Match 'vip\s+CompletedWithErrors\s+1204\s+1190\s+9\s+5\s+0'
            $list = $result | Format-List | Out-String -Width 200
            $list | Should -Match 'Duration\s*:\s*00:03:21'
        }

        It 'shows an export definition with its segments joined' {
            $definition = [pscustomobject]@{
                PSTypeName    = 'AutopilotExport.AutopilotExportDefinition'
                Name          = 'tiers'
                Connection    = 'prod'
                Segments      = [string[]]@('Gold', 'Silver')
                FieldMap      = $null
                LastRunStatus = $null
            }
            $text = $definition | Format-Table | Out-String -Width 200
            $text | Should -BeLike '*Gold, Silver*'
            # The table fits 80 columns (Views.Tests.ps1); the field map moved to Format-List.
            $list = $definition | Format-List | Out-String -Width 200
            $list | Should -BeLike '*(automatic)*'
        }
    }
}
