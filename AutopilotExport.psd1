@{
    # The module: module/AutopilotExport.psm1 loads the cmdlets that `dotnet build AutopilotPS.sln -c Release` (or ./build.ps1) puts into module/bin.
    RootModule             = 'module/AutopilotExport.psm1'
    ModuleVersion          = '0.1.0'
    GUID                   = '6f3b0d7e-4d55-4b8e-9d7b-2a7f1c0e5a41'
    Author                 = 'AutopilotExport team'
    CompanyName            = 'AutopilotExport'
    Copyright              = '(c) AutopilotExport team. All rights reserved.'
    Description            = 'Exports segments of customer profiles from the PowerShell pipeline to Autopilot lists: field matching, validation, de-duplication, bulk upserts within the rate limit, retries and a result object for scheduled tasks.'
    PowerShellVersion      = '5.1'
    CompatiblePSEditions   = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess       = @('module/AutopilotExport.format.ps1xml')
    CmdletsToExport        = @(
        'New-AutopilotConnection', 'Get-AutopilotConnection', 'Test-AutopilotConnection', 'Remove-AutopilotConnection',
        'New-AutopilotExport', 'Get-AutopilotExport', 'Remove-AutopilotExport',
        'Set-AutopilotFieldMap', 'Start-AutopilotExport',
        'Set-AutopilotExport', 'Set-AutopilotConnection', 'Get-AutopilotExportRun'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            # ProjectUri and LicenseUri stay out until the project has a public home: an empty ProjectUri makes
            # Publish-PSResource fail, and an invented one would send users nowhere.
            Tags = @('Autopilot', 'Email', 'Marketing', 'Export', 'Segments', 'CDP')
        }
    }
}
