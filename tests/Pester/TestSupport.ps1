<#
    Shared by the Pester files: dot-source it in BeforeAll.
    $saved = Enter-IsolatedState -Folder $TestDrive   ... in AfterAll: Exit-IsolatedState $saved
    $emu = Start-TestEmulator -RepoRoot $RepoRoot -LogFolder $TestDrive   ... in AfterAll: Stop-ProcessTree $emu.Process
#>

function Enter-IsolatedState {
    <# Points the module at a state folder under -Folder and takes AUTOPILOT_API_KEY out of the environment,
       so the user's own configuration is never touched. Returns what Exit-IsolatedState puts back. #>
    param([Parameter(Mandatory)] [string] $Folder)
    $saved = @{ Home = $env:AUTOPILOTEXPORT_HOME; KeyHome = $env:AUTOPILOTEXPORT_KEY_HOME; Key = $env:AUTOPILOT_API_KEY }
    $env:AUTOPILOTEXPORT_HOME = Join-Path $Folder 'state'
    # The master key lives outside the state folder; keep it in the throw-away folder too, not in the tester's profile.
    $env:AUTOPILOTEXPORT_KEY_HOME = Join-Path $Folder 'keys'
    Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
    $saved
}

function Exit-IsolatedState {
    param([Parameter(Mandatory)] [hashtable] $Saved)
    if ($null -eq $Saved.Home) { Remove-Item -Path Env:AUTOPILOTEXPORT_HOME -ErrorAction SilentlyContinue }
    else { $env:AUTOPILOTEXPORT_HOME = $Saved.Home }
    if ($null -eq $Saved.KeyHome) { Remove-Item -Path Env:AUTOPILOTEXPORT_KEY_HOME -ErrorAction SilentlyContinue }
    else { $env:AUTOPILOTEXPORT_KEY_HOME = $Saved.KeyHome }
    if ($null -eq $Saved.Key) { Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue }
    else { $env:AUTOPILOT_API_KEY = $Saved.Key }
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    try {
        $listener.Start()
        $listener.LocalEndpoint.Port
    }
    finally {
        $listener.Stop()
    }
}

function Stop-ProcessTree {
    param([System.Diagnostics.Process] $Process)
    if ($null -eq $Process -or $Process.HasExited) { return }
    # dotnet run starts the emulator as a child process: stop the whole tree.
    if ($PSVersionTable.PSEdition -eq 'Core') {
        $Process.Kill($true)
    }
    else {
        $null = & taskkill.exe /PID $Process.Id /T /F 2>&1
    }
    $null = $Process.WaitForExit(15000)
}

function Get-EmulatorArgumentLine {
    <# The dotnet arguments that start tests/AutopilotEmulator: its newest built AutopilotEmulator.dll (the build
       puts it there), else dotnet run, which builds it first. #>
    param(
        [Parameter(Mandatory)] [string] $RepoRoot,
        [Parameter(Mandatory)] [string] $Arguments
    )
    $project = Join-Path $RepoRoot 'tests/AutopilotEmulator'
    $dll = Get-ChildItem -Path (Join-Path $project 'bin/*/*/AutopilotEmulator.dll') -ErrorAction SilentlyContinue |
        Sort-Object -Property LastWriteTimeUtc -Descending | Select-Object -First 1
    if ($dll) { "`"$($dll.FullName)`" $Arguments" }
    else { "run --project `"$project`" -c Release -- $Arguments" }
}

function Start-TestEmulator {
    <# Starts tests/AutopilotEmulator on a free loopback port, without a rate limit unless -RateLimit says
       otherwise, with a fresh random key, and waits until it answers.
       Returns @{ Process; Root; BaseUri; ApiKey; SecureKey }. #>
    param(
        [Parameter(Mandatory)] [string] $RepoRoot,
        [Parameter(Mandatory)] [string] $LogFolder,
        # Requests per second the emulator allows (0 = no limit).
        [double] $RateLimit = 0
    )
    $apiKey = 'pester-' + [guid]::NewGuid().ToString('N')
    $root = "http://127.0.0.1:$(Get-FreeTcpPort)"
    $errLog = Join-Path $LogFolder 'emulator.err.log'
    $process = Start-Process -FilePath 'dotnet' -ArgumentList (Get-EmulatorArgumentLine -RepoRoot $RepoRoot -Arguments "--urls $root --api-key $apiKey --rate-limit $([string]::Format([cultureinfo]::InvariantCulture, '{0}', $RateLimit))") `
        -PassThru -NoNewWindow -RedirectStandardOutput (Join-Path $LogFolder 'emulator.out.log') -RedirectStandardError $errLog

    # The first start builds the emulator, so allow a few minutes.
    $deadline = (Get-Date).AddMinutes(5)
    while ($true) {
        if ($process.HasExited) {
            $log = Get-Content -Raw -Path $errLog -ErrorAction SilentlyContinue
            throw "The emulator exited with code $($process.ExitCode). $log"
        }
        try {
            $null = Invoke-RestMethod -Uri "$root/__emulator/stats" -TimeoutSec 5
            break
        }
        catch {
            if ((Get-Date) -gt $deadline) {
                Stop-ProcessTree -Process $process
                throw "The emulator did not answer on $root within 5 minutes."
            }
            Start-Sleep -Milliseconds 500
        }
    }
    @{
        Process   = $process
        Root      = $root
        BaseUri   = "$root/v1"
        ApiKey    = $apiKey
        SecureKey = ConvertTo-SecureString -String $apiKey -AsPlainText -Force
    }
}

function Get-PowerShellCommand {
    <# The command line that starts this same PowerShell again, for scripts run as a scheduled job would run them:
       @{ FilePath; Arguments }. A tool-installed pwsh runs as 'dotnet <PSHOME>/pwsh.dll', so its process is
       dotnet and pwsh.dll goes first. (build.ps1 has the same rule, for the same reason.) #>
    $path = $null
    if ($PSVersionTable.PSEdition -eq 'Core') { $path = [Environment]::ProcessPath }
    if (-not $path) { $path = (Get-Process -Id $PID).Path }
    if ([System.IO.Path]::GetFileNameWithoutExtension($path) -eq 'dotnet') {
        return @{ FilePath = $path; Arguments = @((Join-Path $PSHOME 'pwsh.dll')) }
    }
    @{ FilePath = $path; Arguments = @() }
}

function Invoke-PowerShellFile {
    <# Runs a script in a new PowerShell process (-NoProfile -NonInteractive -File), as a scheduled job does.
       Returns @{ ExitCode; Output } with stdout and stderr as one string. #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [string[]] $ArgumentList = @()
    )
    $shell = Get-PowerShellCommand
    $arguments = @($shell.Arguments) + @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', $Path) + $ArgumentList
    # Colour escape codes are dropped: they are not what is asserted, and they break Pester's XML report.
    $output = & $shell.FilePath @arguments 2>&1 | ForEach-Object { "$_" -replace '\x1b\[[0-9;]*m', '' }
    @{ ExitCode = $LASTEXITCODE; Output = ($output -join [Environment]::NewLine) }
}

function New-TestModulePath {
    <# A module folder under -Folder in which 'Import-Module AutopilotExport' finds the module built in this
       repository (its manifest, pointing at module/ by absolute path, and its help), so the example scripts run unchanged.
       Prepend the returned folder to $env:PSModulePath. #>
    param(
        [Parameter(Mandatory)] [string] $RepoRoot,
        [Parameter(Mandatory)] [string] $Folder
    )
    $modules = Join-Path $Folder 'modules'
    $moduleFolder = Join-Path $modules 'AutopilotExport'
    $null = New-Item -ItemType Directory -Path $moduleFolder -Force
    $moduleRoot = (Join-Path $RepoRoot 'module').Replace("'", "''")
    $text = [System.IO.File]::ReadAllText((Join-Path $RepoRoot 'AutopilotExport.psd1'))
    $text = $text -replace "'module/", "'$moduleRoot/"
    [System.IO.File]::WriteAllText((Join-Path $moduleFolder 'AutopilotExport.psd1'), $text)
    # Get-Help looks for the help beside the manifest.
    Copy-Item -Path (Join-Path $RepoRoot 'module/en-US') -Destination $moduleFolder -Recurse -Force
    $modules
}

function Enter-ShellTestSession {
    <# For files that run scripts the way a user's shell does: an isolated state folder, 'Import-Module AutopilotExport'
       finding this repository's build (New-TestModulePath), the module imported, and the emulator started.
       Returns @{ Saved; ModulePath; Emulator }; in AfterAll: Exit-ShellTestSession $session #>
    param(
        [Parameter(Mandatory)] [string] $RepoRoot,
        [Parameter(Mandatory)] [string] $Folder
    )
    $session = @{ Saved = (Enter-IsolatedState -Folder $Folder); ModulePath = $env:PSModulePath; Emulator = $null }
    $env:PSModulePath = (New-TestModulePath -RepoRoot $RepoRoot -Folder $Folder) + [System.IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop
    $session.Emulator = Start-TestEmulator -RepoRoot $RepoRoot -LogFolder $Folder
    $session
}

function Exit-ShellTestSession {
    param([hashtable] $Session)
    if ($null -eq $Session) { return }
    if ($Session.Emulator) { Stop-ProcessTree -Process $Session.Emulator.Process }
    Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
    $env:PSModulePath = $Session.ModulePath
    Exit-IsolatedState -Saved $Session.Saved
}

# What the emulator holds, through its inspection API; $EmulatorRoot is the caller's (http://127.0.0.1:PORT).
function Reset-Emulator { $null = Invoke-RestMethod -Method Post -Uri "$EmulatorRoot/__emulator/reset" }

# {"total":N,"contacts":[{"contact_id","Email","FirstName",...,"custom":{...},"unsubscribed":false,"lists":[...]}]}
function Get-EmulatorContacts { Invoke-RestMethod -Uri "$EmulatorRoot/__emulator/contacts" }

function Get-EmulatorContact {
    param([string] $Email)
    @((Get-EmulatorContacts).contacts) | Where-Object { $_.Email -eq $Email }
}

# {"lists":[{"list_id","title","contacts":N}]}
function Get-EmulatorList {
    param([string] $Title)
    $lists = @((Invoke-RestMethod -Uri "$EmulatorRoot/__emulator/lists").lists)
    if ($Title) { $lists | Where-Object { $_.title -eq $Title } } else { $lists }
}
