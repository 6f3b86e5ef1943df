<#
    Helpers for Pester files that run scenarios in a NEW pwsh process (the real shell, with nothing loaded yet):
    DependencyIsolation.Tests.ps1 and Install.Tests.ps1.
    Import-Module (Join-Path $PSScriptRoot 'RealShell.psm1') -Force
#>

function Invoke-PwshScript {
    <# Writes -Script to a file under -WorkFolder and runs it in a new pwsh process as
         pwsh -NoProfile -NonInteractive -File <script> -ParametersPath <json of -Parameters> -ReportPath <file>
       with -Environment's variables set for that process only. The script writes its report (JSON) to -ReportPath;
       the report comes back as an object. Throws with the process's output when no report was written. #>
    param(
        [Parameter(Mandatory)] [string] $Script,
        [Parameter(Mandatory)] [hashtable] $Parameters,
        [Parameter(Mandatory)] [string] $WorkFolder,
        [hashtable] $Environment = @{}
    )
    $name = [guid]::NewGuid().ToString('N')
    $scriptPath = Join-Path $WorkFolder "$name.ps1"
    $parametersPath = Join-Path $WorkFolder "$name.parameters.json"
    $reportPath = Join-Path $WorkFolder "$name.report.json"
    Set-Content -LiteralPath $scriptPath -Value $Script -Encoding UTF8
    $Parameters | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $parametersPath -Encoding UTF8

    # pwsh as this process runs it: a tool-installed pwsh runs as 'dotnet pwsh.dll'.
    $self = (Get-Process -Id $PID).Path
    $prefix = @(if ([System.IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })

    $saved = @{}
    foreach ($key in $Environment.Keys) {
        $saved[$key] = [Environment]::GetEnvironmentVariable($key)
        [Environment]::SetEnvironmentVariable($key, $Environment[$key])
    }
    try {
        $output = & $self @prefix -NoProfile -NonInteractive -File $scriptPath -ParametersPath $parametersPath -ReportPath $reportPath 2>&1
    }
    finally {
        foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
    }
    if (-not (Test-Path -LiteralPath $reportPath)) {
        throw "The pwsh process wrote no report (exit code $LASTEXITCODE): $($output -join [Environment]::NewLine)"
    }
    Get-Content -Raw -LiteralPath $reportPath | ConvertFrom-Json
}

function Get-EmulatorListSize {
    # How many contacts the emulator's list with that title holds (0 when there is no such list).
    param([Parameter(Mandatory)] [string] $Root, [Parameter(Mandatory)] [string] $Title)
    $list = @((Invoke-RestMethod -Uri "$Root/__emulator/lists").lists) | Where-Object title -EQ $Title
    if ($list) { $list.contacts } else { 0 }
}

Export-ModuleMember -Function Invoke-PwshScript, Get-EmulatorListSize
