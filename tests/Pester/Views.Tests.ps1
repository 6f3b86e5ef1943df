<#
    The default table views fit an 80-column console: every column of each table view is shown, in order, at
    Out-String -Width 80, with values as wide as real ones get; what the tables leave out is in Format-List.

    Needs: a built module and Pester 5 (no emulator: the objects are made here, with the module's type names).
    Run: Invoke-Pester -Path tests/Pester/Views.Tests.ps1 -Output Detailed
#>

Describe 'Format views at 80 columns' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop

        # The table views as the format file declares them: type name -> column labels, in order.
        $formatFile = [xml](Get-Content -Raw -LiteralPath (Join-Path $RepoRoot 'module/AutopilotExport.format.ps1xml'))
        $TableColumns = @{}
        foreach ($view in $formatFile.Configuration.ViewDefinitions.View) {
            if ($view.TableControl) {
                $TableColumns[[string]$view.ViewSelectedBy.TypeName] = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object { [string]$_.Label })
            }
        }

        $now = [DateTimeOffset]::new(2026, 11, 30, 23, 59, 0, [TimeSpan]::Zero)
        # One object per type, with values as wide as the real ones get (the longest status, seven-digit counts,
        # the real API address) and names that fill their columns.
        $Samples = @{
            'AutopilotExport.AutopilotExportResult'         = [pscustomobject]@{
                PSTypeName = 'AutopilotExport.AutopilotExportResult'
                Export = 'weekly-vip-sync1'; Connection = 'production'; Segments = [string[]]@('VIP customers', 'Newsletter')
                Status = 'CompletedWithErrors'; Received = 1234567; Exported = 1234000; Unchanged = 9876543; Removed = 4321; Invalid = 123456; Duplicate = 1234567; Failed = 123456
                Batches = 12346; Retries = 12; Throttled = 3; Duration = [timespan]::FromSeconds(3723); StartTime = $now
                ReportPath = '/var/log/autopilot/weekly-vip-sync1.csv'; SegmentDetails = @(); ErrorMessage = $null
            }
            'AutopilotExport.AutopilotSegmentResult'        = [pscustomobject]@{
                PSTypeName = 'AutopilotExport.AutopilotSegmentResult'
                Segment = 'VIP customers in the northern region'; ListId = 'contactlist_06444749-9C0F-4894-9A23-D6872F9B6EF8'
                ListCreated = $true; Profiles = 1234567; Exported = 1234567
            }
            'AutopilotExport.AutopilotConnection'           = [pscustomobject]@{
                PSTypeName = 'AutopilotExport.AutopilotConnection'
                Name = 'production-east'; BaseUri = 'https://api2.autopilothq.com/v1'; KeySource = 'Environment'
                KeyProtection = 'AES-256 + HMAC, owner-only key file'; RequestsPerSecond = 5; ConsentedAt = $now; CreatedAt = $now
                InstanceId = 'instance-1234567'; LastValidatedAt = $now
            }
            'AutopilotExport.AutopilotConnectionTestResult' = [pscustomobject]@{
                PSTypeName = 'AutopilotExport.AutopilotConnectionTestResult'
                Name = 'production-east'; Success = $false; InstanceId = 'instance-1234567'; StatusCode = 401
                Message = 'The API key was rejected'; ResponseTime = [timespan]::FromMilliseconds(1234)
            }
            'AutopilotExport.AutopilotExportDefinition'     = [pscustomobject]@{
                PSTypeName = 'AutopilotExport.AutopilotExportDefinition'
                Name = 'weekly-vip-sync'; Connection = 'production'; Segments = [string[]]@('VIP customers', 'Gold')
                SegmentProperty = $null; MaxProfiles = 100000; FieldMap = 'Email<-Mail; FirstName<-GivenName'
                CreatedAt = $now; ModifiedAt = $now; LastRunAt = $now; LastRunStatus = 'CompletedWithErrors'
            }
            'AutopilotExport.AutopilotExportRun'            = [pscustomobject]@{
                PSTypeName = 'AutopilotExport.AutopilotExportRun'
                Id = '20261130-235900-1a2b3c4d'; Export = 'weekly-vip1'; Connection = 'production'; Status = 'CompletedWithErrors'
                StartTime = $now; EndTime = $now; Duration = [timespan]::FromSeconds(3723)
                Received = 1234567; Exported = 1234567; Unchanged = 1234567; Removed = 123456; Invalid = 123456; Duplicate = 123456
                Failed = 123456; Batches = 12346; Retries = 12; Throttled = 3; Segments = [string[]]@('VIP customers'); SyncMode = 'Mirror'
                Full = $false; ReportPath = '/var/log/autopilot/weekly-vip1.jsonl'; ErrorId = $null; Message = $null; ProcessId = 4242
                MachineName = 'scheduler01'
            }
        }

        function Get-TableText {
            param($InputObject)
            ($InputObject | Format-Table | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Trim() }
        }
    }

    It 'has a sample for every table view of the format file' {
        @($TableColumns.Keys | Sort-Object) | Should -Be @($Samples.Keys | Sort-Object)
    }

    It 'shows every column of the <_> table at 80 columns, and no line is wider' -ForEach @(
        'AutopilotExport.AutopilotExportResult', 'AutopilotExport.AutopilotSegmentResult', 'AutopilotExport.AutopilotConnection',
        'AutopilotExport.AutopilotConnectionTestResult', 'AutopilotExport.AutopilotExportDefinition', 'AutopilotExport.AutopilotExportRun'
    ) {
        $lines = @(Get-TableText $Samples[$_])
        $lines.Count | Should -Be 3 -Because 'a header, a rule and one row'
        $header = $lines[0]
        $header | Should -Match ('^\s*' + (($TableColumns[$_] | ForEach-Object { [regex]::Escape($_) }) -join '\s+') + '\s*$')
        foreach ($line in $lines) {
            $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because "'$line' must fit"
        }
    }

    It 'shows the numbers of a run in full at 80 columns' {
        $row = @(Get-TableText $Samples['AutopilotExport.AutopilotExportResult'])[2]
        $row | Should -Match '^weekly-vip-sync1\s+CompletedWithErrors\s+1234567\s+1234000\s+123456\s+1234567\s+123456$'
    }

    It 'shows in Format-List what the <Type> table leaves out' -ForEach @(
        @{ Type = 'AutopilotExport.AutopilotExportResult'; Expected = 'Duration\s*:\s*01:02:03' }
        @{ Type = 'AutopilotExport.AutopilotExportResult'; Expected = 'Batches\s*:\s*12346' }
        @{ Type = 'AutopilotExport.AutopilotExportResult'; Expected = 'Unchanged\s*:\s*9876543' }
        @{ Type = 'AutopilotExport.AutopilotExportResult'; Expected = 'Removed\s*:\s*4321' }
        @{ Type = 'AutopilotExport.AutopilotConnection'; Expected = 'KeyProtection\s*:\s*AES-256 \+ HMAC, owner-only key file' }
        @{ Type = 'AutopilotExport.AutopilotExportDefinition'; Expected = 'FieldMap\s*:\s*Email<-Mail; FirstName<-GivenName' }
        @{ Type = 'AutopilotExport.AutopilotSegmentResult'; Expected = 'ListId\s*:\s*contactlist_06444749-9C0F-4894-9A23-D6872F9B6EF8' }
        @{ Type = 'AutopilotExport.AutopilotExportRun'; Expected = 'Removed\s*:\s*123456' }
        @{ Type = 'AutopilotExport.AutopilotExportRun'; Expected = 'ReportPath\s*:\s*/var/log/autopilot/weekly-vip1.jsonl' }
    ) {
        $text = $Samples[$Type] | Format-List | Out-String -Width 80
        $text | Should -Match $Expected
    }

    AfterAll {
        Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
    }
}
