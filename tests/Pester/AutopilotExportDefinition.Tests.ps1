<#
    Saved exports and field maps (data matching): New-AutopilotExport, Get-AutopilotExport, Set-AutopilotFieldMap
    and Remove-AutopilotExport. Nothing here talks to Autopilot: the connection is saved with -SkipValidation and
    no export is run, so no emulator is needed. Needs a built module and Pester 5.
    Run: Invoke-Pester -Path tests/Pester -Output Detailed   (or ./build.ps1 -Task Pester)
#>

Describe 'Saved exports and field maps' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        # An isolated state folder and no key in the environment: the user's own configuration is never touched.
        $SavedState = Enter-IsolatedState -Folder $TestDrive

        Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop

        # Never contacted: -SkipValidation, and no export is started in this file.
        $key = ConvertTo-SecureString -String ('pester-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
        $null = New-AutopilotConnection -Name offline -ApiKey $key -BaseUri 'http://127.0.0.1:9/v1' -AcceptDataPrivacy -SkipValidation

        # Pester removes what a Context adds to $TestDrive (exports.json too) when the Context ends, so each Context
        # that uses saved exports creates them in its own BeforeAll: the three the New-AutopilotExport tests save.
        # Standard fields and typed custom fields, as a marketing team maps its loyalty data.
        $LoyaltyFieldMap = @{
            Email     = 'Mail'
            FirstName = 'GivenName'
            LastName  = 'Surname'
            Company   = 'Department'
            Custom    = @{
                'Loyalty Tier' = 'Tier'
                'Order Count'  = @{ Property = 'Orders'; Type = 'integer' }
            }
        }

        function Initialize-SavedExports {
            $null = New-AutopilotExport -Name vip -Connection offline -Segment 'VIP customers', 'Newsletter' -Force
            $null = New-AutopilotExport -Name tiers -Connection offline -Segment 'No tier' -SegmentProperty Tier -MaxProfiles 250000 -Force
            $null = New-AutopilotExport -Name loyalty -Connection offline -Segment 'Loyalty members' -Force -FieldMap $LoyaltyFieldMap
        }
    }

    AfterAll {
        Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    Context 'New-AutopilotExport' {
        It 'saves an export without running it' {
            $export = New-AutopilotExport -Name vip -Connection offline -Segment 'VIP customers', 'Newsletter'

            $export.PSObject.TypeNames | Should -Contain 'AutopilotExport.AutopilotExportDefinition'
            $export.Name | Should -Be 'vip'
            $export.Connection | Should -Be 'offline'
            $export.Segments | Should -Be @('VIP customers', 'Newsletter')
            $export.MaxProfiles | Should -Be 100000
            $export.LastRunAt | Should -BeNullOrEmpty
            $export.LastRunStatus | Should -BeNullOrEmpty
            Join-Path $env:AUTOPILOTEXPORT_HOME 'exports.json' | Should -Exist
        }

        It 'keeps -SegmentProperty and -MaxProfiles' {
            $export = New-AutopilotExport -Name tiers -Connection offline -Segment 'No tier' -SegmentProperty Tier -MaxProfiles 250000
            $export.SegmentProperty | Should -Be 'Tier'
            $export.MaxProfiles | Should -Be 250000
        }

        It 'saves a field map with standard and typed custom fields' {
            $export = New-AutopilotExport -Name loyalty -Connection offline -Segment 'Loyalty members' -FieldMap $LoyaltyFieldMap

            $export.FieldMap.Email | Should -Be 'Mail'
            $export.FieldMap.Standard['FirstName'] | Should -Be 'GivenName'
            $export.FieldMap.Standard['LastName'] | Should -Be 'Surname'
            $export.FieldMap.Standard['Company'] | Should -Be 'Department'
            [string]$export.FieldMap.Custom['Order Count'] | Should -BeLike 'Orders*integer*'
            [string]$export.FieldMap.Custom['Loyalty Tier'] | Should -BeLike 'Tier*'
            $export.FieldMap.ToString() | Should -BeLike '*Email<-Mail*'
        }

        It 'refuses a field map key that is not an Autopilot standard field' {
            { New-AutopilotExport -Name bad-map -Connection offline -Segment 'X' -FieldMap @{ Email = 'Mail'; Nickname = 'Nick' } -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidFieldMap*'
            Get-AutopilotExport | Where-Object Name -eq 'bad-map' | Should -BeNullOrEmpty
        }

        It 'refuses an unknown custom field type' {
            { New-AutopilotExport -Name bad-type -Connection offline -Segment 'X' -FieldMap @{ Email = 'Mail'; Custom = @{ 'Score' = @{ Property = 'Score'; Type = 'money' } } } -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidFieldMap*'
        }

        It 'refuses a field map without Email' {
            { New-AutopilotExport -Name no-email -Connection offline -Segment 'X' -FieldMap @{ FirstName = 'GivenName' } -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidFieldMap*'
        }

        It 'needs -Segment or -SegmentProperty' {
            { New-AutopilotExport -Name no-segment -Connection offline -ErrorAction Stop } | Should -Throw -ErrorId 'SegmentRequired*'
        }

        It 'requires an existing connection' {
            { New-AutopilotExport -Name orphan -Connection no-such-connection -Segment 'X' -ErrorAction Stop } |
                Should -Throw -ErrorId 'ConnectionNotFound*'
        }

        It 'does not replace an existing export without -Force' {
            { New-AutopilotExport -Name vip -Connection offline -Segment 'Other' -ErrorAction Stop } | Should -Throw -ErrorId 'ExportExists*'
            (Get-AutopilotExport -Name vip).Segments | Should -Be @('VIP customers', 'Newsletter')

            $null = New-AutopilotExport -Name vip -Connection offline -Segment 'VIP customers', 'Newsletter' -Force
            (Get-AutopilotExport -Name vip).Segments | Should -Be @('VIP customers', 'Newsletter')
        }

        It 'saves nothing with -WhatIf' {
            New-AutopilotExport -Name what-if -Connection offline -Segment 'X' -WhatIf
            Get-AutopilotExport | Where-Object Name -eq 'what-if' | Should -BeNullOrEmpty
        }
    }

    Context 'Get-AutopilotExport' {
        BeforeAll {
            Initialize-SavedExports
        }

        It 'gets all exports, by name and by wildcard' {
            @(Get-AutopilotExport).Count | Should -BeGreaterOrEqual 3
            (Get-AutopilotExport -Name loyalty).Name | Should -Be 'loyalty'
            @(Get-AutopilotExport -Name 'ti*').Name | Should -Be @('tiers')
        }

        It 'reports ExportNotFound for a name that does not exist' {
            { Get-AutopilotExport -Name no-such-export -ErrorAction Stop } | Should -Throw -ErrorId 'ExportNotFound*'
        }

        It 'shows segments joined in the table view and the field map in the list view' {
            # The table fits 80 columns (Views.Tests.ps1); the field map moved to Format-List.
            $text = Get-AutopilotExport -Name vip, loyalty | Format-Table | Out-String -Width 250
            $text | Should -Match 'Name\s+Connection\s+Segments\s+LastRunStatus'
            $text | Should -BeLike '*VIP customers, Newsletter*'
            $list = Get-AutopilotExport -Name vip, loyalty | Format-List | Out-String -Width 250
            $list | Should -BeLike '*Email<-Mail*'
        }
    }

    Context 'Set-AutopilotFieldMap' {
        BeforeAll {
            Initialize-SavedExports
        }

        It 'replaces the field map of a saved export' {
            $export = Set-AutopilotFieldMap -Export vip -Email EmailAddress -FirstName First -LastName Last `
                -Field @{ Company = 'Org'; MailingCity = 'City' } `
                -CustomField @{ 'Member Since' = @{ Property = 'Joined'; Type = 'date' }; 'Opted In' = @{ Property = 'OptIn'; Type = 'boolean' } } `
                -PassThru

            $export.Name | Should -Be 'vip'
            $export.FieldMap.Email | Should -Be 'EmailAddress'
            $export.FieldMap.Standard['FirstName'] | Should -Be 'First'
            $export.FieldMap.Standard['Company'] | Should -Be 'Org'
            $export.FieldMap.Standard['MailingCity'] | Should -Be 'City'
            [string]$export.FieldMap.Custom['Member Since'] | Should -BeLike 'Joined*date*'
            [string]$export.FieldMap.Custom['Opted In'] | Should -BeLike 'OptIn*boolean*'

            $saved = Get-AutopilotExport -Name vip
            $saved.FieldMap.Email | Should -Be 'EmailAddress'
            $saved.ModifiedAt | Should -Not -BeNullOrEmpty
        }

        It 'returns nothing without -PassThru' {
            Set-AutopilotFieldMap -Export vip -Email EmailAddress | Should -BeNullOrEmpty
            (Get-AutopilotExport -Name vip).FieldMap.Standard.Count | Should -Be 0
        }

        It 'takes the export from the pipeline (alias Name)' {
            Get-AutopilotExport -Name tiers | Set-AutopilotFieldMap -Email Mail -FirstName GivenName
            (Get-AutopilotExport -Name tiers).FieldMap.Email | Should -Be 'Mail'
            Set-AutopilotFieldMap -Name tiers -Email Mail -LastName sn
            (Get-AutopilotExport -Name tiers).FieldMap.Standard['LastName'] | Should -Be 'sn'
        }

        It 'changes nothing with -WhatIf' {
            Set-AutopilotFieldMap -Export tiers -Email SomethingElse -WhatIf
            (Get-AutopilotExport -Name tiers).FieldMap.Email | Should -Be 'Mail'
        }

        It 'refuses a custom field name containing --' {
            { Set-AutopilotFieldMap -Export tiers -Email Mail -CustomField @{ 'Bad--Name' = 'X' } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFieldMap*'
        }

        It 'refuses a -Field key that is not a standard field' {
            { Set-AutopilotFieldMap -Export tiers -Email Mail -Field @{ Nickname = 'Nick' } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFieldMap*'
        }

        It 'writes ExportNotFound for an export that does not exist' {
            Set-AutopilotFieldMap -Export no-such-export -Email Mail -ErrorAction SilentlyContinue -ErrorVariable err
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ExportNotFound*'
        }
    }

    Context 'Remove-AutopilotExport' {
        BeforeAll {
            Initialize-SavedExports
        }

        It 'removes nothing with -WhatIf' {
            Remove-AutopilotExport -Name loyalty -WhatIf
            Get-AutopilotExport -Name loyalty | Should -Not -BeNullOrEmpty
        }

        It 'removes an export and leaves its connection' {
            Remove-AutopilotExport -Name loyalty -Confirm:$false
            Get-AutopilotExport | Where-Object Name -eq 'loyalty' | Should -BeNullOrEmpty
            Get-AutopilotConnection -Name offline | Should -Not -BeNullOrEmpty
        }

        It 'removes exports piped from Get-AutopilotExport with -Force' {
            Get-AutopilotExport -Name 'vip', 'tiers' | Remove-AutopilotExport -Force
            Get-AutopilotExport | Where-Object { $_.Name -in @('vip', 'tiers') } | Should -BeNullOrEmpty
        }

        It 'reports ExportNotFound for a name that does not exist' {
            { Remove-AutopilotExport -Name no-such-export -Force -ErrorAction Stop } | Should -Throw -ErrorId 'ExportNotFound*'
        }
    }
}
