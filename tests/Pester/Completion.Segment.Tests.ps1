<#
    Tab completion of -Segment, through TabExpansion2 as the console uses it: the segments of the connection's saved
    exports, and the lists the connection's API has when it answers; the saved names only when it cannot be asked.

    Runs against the local Autopilot emulator (started here on a free loopback port, stopped at the end).
    Needs: a built module, the .NET SDK, Pester 5.
    Run: Invoke-Pester -Path tests/Pester/Completion.Segment.Tests.ps1 -Output Detailed
#>

Describe 'Tab completion of -Segment' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        $SavedState = Enter-IsolatedState -Folder $TestDrive
        Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop

        $Emulator = Start-TestEmulator -RepoRoot $RepoRoot -LogFolder $TestDrive
        $null = Invoke-RestMethod -Method Post -Uri "$($Emulator.Root)/__emulator/reset"
        foreach ($title in 'API List A', 'Api List B') {
            $null = Invoke-RestMethod -Method Post -Uri "$($Emulator.BaseUri)/list" -Headers @{ autopilotapikey = $Emulator.ApiKey } `
                -ContentType 'application/json' -Body (@{ name = $title } | ConvertTo-Json)
        }

        # 'emu' keeps its key; 'envconn' reads it from $env:AUTOPILOT_API_KEY, which is gone again afterwards, so
        # completion cannot ask its API (as when the service is unreachable) and offers the saved names only.
        $null = New-AutopilotConnection -Name emu -ApiKey $Emulator.SecureKey -BaseUri $Emulator.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
        $env:AUTOPILOT_API_KEY = $Emulator.ApiKey
        $null = New-AutopilotConnection -Name envconn -BaseUri $Emulator.BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
        Remove-Item -Path Env:AUTOPILOT_API_KEY

        $null = New-AutopilotExport -Name vip -Connection emu -Segment 'VIP customers', 'Saved Gold'
        $null = New-AutopilotExport -Name other -Connection envconn -Segment 'Other Segment'

        function Get-Completion {
            param([string] $Line)
            (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches
        }
    }

    AfterAll {
        Stop-ProcessTree -Process $Emulator.Process
        Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    It 'offers the saved segments of the connection and the lists its API has, quoted and sorted' {
        $completions = @(Get-Completion 'Start-AutopilotExport -Connection emu -Segment ')
        @($completions.CompletionText) | Should -Be @("'API List A'", "'Api List B'", "'Saved Gold'", "'VIP customers'")
        ($completions | Where-Object ListItemText -EQ 'API List A').ToolTip | Should -Be "Autopilot list of connection 'emu'"
        ($completions | Where-Object ListItemText -EQ 'VIP customers').ToolTip | Should -Be "Segment of saved export 'vip'"
        @($completions.ResultType | Select-Object -Unique) | Should -Be @('ParameterValue')
    }

    It 'narrows to what was typed, ignoring case and an opening quote' {
        @((Get-Completion "Start-AutopilotExport -Connection emu -Segment 'Sa").CompletionText) | Should -Be @("'Saved Gold'")
        @((Get-Completion 'Start-AutopilotExport -Connection emu -Segment api').CompletionText) | Should -Be @("'API List A'", "'Api List B'")
        @((Get-Completion 'Start-AutopilotExport -Connection emu -Segment nothing-like-it')) | Should -BeNullOrEmpty
    }

    It 'completes -Segment of New-AutopilotExport the same way' {
        @((Get-Completion 'New-AutopilotExport -Name new -Connection emu -Segment ').CompletionText) |
            Should -Be @("'API List A'", "'Api List B'", "'Saved Gold'", "'VIP customers'")
    }

    It 'offers the saved segments only when the API cannot be asked' {
        @((Get-Completion 'Start-AutopilotExport -Connection envconn -Segment ').CompletionText) | Should -Be @("'Other Segment'")
    }

    It 'offers the segments of every saved export before a connection is named' {
        @((Get-Completion 'New-AutopilotExport -Name new -Segment ').CompletionText) | Should -Be @("'Other Segment'", "'Saved Gold'", "'VIP customers'")
    }

    It 'never shows the key' {
        $completions = @(Get-Completion 'Start-AutopilotExport -Connection emu -Segment ') + @(Get-Completion 'Start-AutopilotExport -Connection envconn -Segment ')
        foreach ($m in $completions) {
            "$($m.CompletionText) $($m.ListItemText) $($m.ToolTip)" | Should -Not -BeLike "*$($Emulator.ApiKey)*"
        }
    }
}
