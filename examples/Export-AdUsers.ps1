<#
.SYNOPSIS
    Exports Active Directory users (mail, GivenName, sn) to an Autopilot list. Run it with -WhatIf first.

.DESCRIPTION
    Takes the users from the pipeline (Get-ADUser ... -Properties mail) or, when nothing is piped in, reads the
    enabled users under -SearchBase with Get-ADUser (the ActiveDirectory module of RSAT). The AD attributes are
    mapped to Autopilot fields: mail -> Email, GivenName -> FirstName, sn -> LastName, Company, Department (as the
    custom field Department), l -> MailingCity, c -> MailingCountry. Users without a mail address are reported as
    MissingEmail with the user as TargetObject; the others are exported. Users stream through: memory stays flat
    for large directories. Outputs the result object (nothing with -WhatIf).

.EXAMPLE
    ./Export-AdUsers.ps1 -Connection prod -Segment 'Staff newsletter' -SearchBase 'OU=Staff,DC=corp,DC=example' -WhatIf

.EXAMPLE
    Get-ADUser -Filter "Department -eq 'Sales'" -Properties mail, Company, Department | ./Export-AdUsers.ps1 -Connection prod -Segment Sales
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The saved connection to use (Get-AutopilotConnection lists them).
    [Parameter(Mandatory)] [string] $Connection,

    # The Autopilot list the users go to; it is created when it does not exist.
    [Parameter(Mandatory)] [string] $Segment,

    # Where Get-ADUser looks when no users are piped in (default: the whole domain).
    [string] $SearchBase,

    # Users from Get-ADUser, or any objects with a mail property.
    [Parameter(ValueFromPipeline)] [object] $InputObject
)

begin {
    # No $ErrorActionPreference = 'Stop': the caller's -ErrorAction decides what a per-row error does.
    if (-not $MyInvocation.ExpectingInput -and -not (Get-Command -Name Get-ADUser -ErrorAction SilentlyContinue)) {
        throw 'Get-ADUser was not found: install the ActiveDirectory module (RSAT), or pipe the users in.'
    }
    Import-Module -Name AutopilotExport -ErrorAction Stop
    $fieldMap = @{
        Email          = 'mail'
        FirstName      = 'GivenName'
        LastName       = 'sn'
        Company        = 'Company'
        MailingCity    = 'l'
        MailingCountry = 'c'
        Custom         = @{ 'Department' = 'Department' }
    }
    # One Start-AutopilotExport for all users, fed row by row as they arrive (a steppable pipeline).
    $exportCommand = { Start-AutopilotExport -Connection $Connection -Segment $Segment -FieldMap $fieldMap -WhatIf:$WhatIfPreference }
    $export = $exportCommand.GetSteppablePipeline($MyInvocation.CommandOrigin)
    $export.Begin($PSCmdlet)
}

process {
    if ($MyInvocation.ExpectingInput) {
        $export.Process($InputObject)
    }
}

end {
    if (-not $MyInvocation.ExpectingInput) {
        $query = @{ Filter = 'Enabled -eq $true'; Properties = @('mail', 'Company', 'Department', 'l', 'c') }
        if ($SearchBase) { $query.SearchBase = $SearchBase }
        Get-ADUser @query | ForEach-Object { $export.Process($_) }
    }
    $export.End()
}
