<#
    Get-AutopilotExportRun's views as a user sees them in a real shell: the table fits 80 columns, the list view
    shows the times, the counts, the error and the report; a run whose process is killed reads Interrupted. The history is written through the engine's run history
    store (the store Start-AutopilotExport writes to), taken from the module's loaded engine assembly.
    Needs a built module and Pester 5. Run: ./build.ps1 -Task Pester
#>

Describe 'Get-AutopilotExportRun views' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path
        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        $SavedState = Enter-IsolatedState -Folder $TestDrive
        Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop

        $null = Get-AutopilotExportRun   # loads the engine
        $engine = @([AppDomain]::CurrentDomain.GetAssemblies().Where({ $_.GetName().Name -eq 'AutopilotExport.Engine' }))[0]
        function Get-EngineType([string] $Name) { $engine.GetType('AutopilotExport.Engine.State.' + $Name, $true) }
        $stateHome = (Get-EngineType StateHome)::new($env:AUTOPILOTEXPORT_HOME, $env:AUTOPILOTEXPORT_KEY_HOME)
        $history = (Get-EngineType RunHistoryStore)::new($stateHome, 50)
        $longName = 'a-rather-long-export-name-for-the-table'
        foreach ($run in @(
                @{ Export = 'nightly'; At = '2026-03-01T02:00:00Z'; Status = 'Succeeded'; Exported = 123456; Unchanged = 9876543; Failed = 0 }
                @{ Export = $longName; At = '2026-03-02T02:00:00Z'; Status = 'CompletedWithErrors'; Exported = 99999999; Unchanged = 99999999; Failed = 999999 })) {
            $start = (Get-EngineType RunStart)::new()
            $start.Export = $run.Export; $start.Connection = 'prod'; $start.Segments = [string[]]@('VIP', 'Newsletter')
            $start.ReportPath = Join-Path $TestDrive "$($run.Export).jsonl"
            $active = $history.Begin($start, [DateTimeOffset]::Parse($run.At))
            $outcome = (Get-EngineType RunOutcome)::new()
            $outcome.Status = $run.Status
            $outcome.Counts.Exported = $run.Exported; $outcome.Counts.Unchanged = $run.Unchanged; $outcome.Counts.Failed = $run.Failed
            $outcome.Counts.Received = $run.Exported + $run.Unchanged + $run.Failed
            if ($run.Failed) { $outcome.ErrorId = 'RejectedByApi'; $outcome.Message = 'Some rows were refused.' }
            $null = $active.Complete($outcome, [DateTimeOffset]::Parse($run.At).AddMinutes(3))
            $active.Dispose()
        }
    }

    AfterAll {
        Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    It 'shows newest first in a table that fits 80 columns' {
        $lines = @((Get-AutopilotExportRun | Format-Table | Out-String -Width 200) -split "`r?`n" | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^StartTime\s+Export\s+Status\s+Exported\s+Unchanged\s+Failed$'
        foreach ($line in $lines) { $line.TrimEnd().Length | Should -BeLessOrEqual 80 -Because "'$line'" }
        $lines[2] | Should -Match 'CompletedWithErrors'
        $lines[3] | Should -Match '^\d{4}-\d\d-\d\d \d\d:\d\d\s+nightly\s+Succeeded\s+123456\s+9876543\s+0$'
    }

    It 'records a run whose process was killed as Interrupted, and leaves a live one Running' {
        # A separate PowerShell process begins a run of 'killed' and waits; this process reads the history, then kills it.
        $ready = Join-Path $TestDrive 'run-begun.txt'
        $child = Join-Path $TestDrive 'begin-run.ps1'
        Set-Content -Path $child -Encoding UTF8 -Value @"
Import-Module -Name '$((Join-Path $RepoRoot 'AutopilotExport.psd1').Replace("'", "''"))' -ErrorAction Stop
`$null = Get-AutopilotExportRun
`$engine = @([AppDomain]::CurrentDomain.GetAssemblies().Where({ `$_.GetName().Name -eq 'AutopilotExport.Engine' }))[0]
function T([string] `$Name) { `$engine.GetType('AutopilotExport.Engine.State.' + `$Name, `$true) }
`$history = (T RunHistoryStore)::new((T StateHome)::new(`$env:AUTOPILOTEXPORT_HOME, `$env:AUTOPILOTEXPORT_KEY_HOME), 50)
`$start = (T RunStart)::new(); `$start.Export = 'killed'; `$start.Connection = 'prod'
`$run = `$history.Begin(`$start, [DateTimeOffset]::Now)
Set-Content -Path '$ready' -Value `$run.Record.Id
Start-Sleep -Seconds 120
"@
        $shell = Get-PowerShellCommand
        $process = Start-Process -FilePath $shell.FilePath -ArgumentList (@($shell.Arguments) + @('-NoProfile', '-NonInteractive', '-File', "`"$child`"")) -PassThru
        try {
            for ($i = 0; $i -lt 600 -and -not (Test-Path -LiteralPath $ready) -and -not $process.HasExited; $i++) { Start-Sleep -Milliseconds 100 }
            Test-Path -LiteralPath $ready | Should -BeTrue -Because 'the child process began its run'
            $id = (Get-Content -LiteralPath $ready -Raw).Trim()

            (Get-AutopilotExportRun -Name killed).Status | Should -Be 'Running'
            Stop-Process -Id $process.Id -Force   # SIGKILL / TerminateProcess: no chance to complete the record
            $null = $process.WaitForExit(30000)

            $run = Get-AutopilotExportRun -Name killed
            $run.Id | Should -Be $id
            $run.Status | Should -Be 'Interrupted'
            $run.Message | Should -BeLike "*id $($process.Id)*ended before the run completed*"
            $run.EndTime | Should -BeNullOrEmpty
        }
        finally {
            Stop-ProcessTree -Process $process
        }
    }

    It 'shows everything a failed run needs in the list view' {
        $text = Get-AutopilotExportRun -Name $longName | Format-List | Out-String -Width 200
        foreach ($label in 'Export', 'Id', 'Status', 'StartTime', 'EndTime', 'Duration', 'Segments', 'Exported', 'Unchanged', 'Removed', 'Failed', 'Retries', 'Throttled', 'ErrorId', 'Message', 'ReportPath') {
            $text | Should -Match "(?m)^$label\s+:"
        }
        $text | Should -Match 'Segments\s+: VIP, Newsletter'
        $text | Should -Match 'ErrorId\s+: RejectedByApi'
        $text | Should -Match 'Duration\s+: 00:03:00'
    }
}
