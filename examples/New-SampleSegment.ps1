<#
.SYNOPSIS
    Writes examples/segment.csv: the sample segment the demo and the example scripts export.

.DESCRIPTION
    3,000 customer profiles as a marketing team exports them from a spreadsheet (UTF-8 with BOM, the way Excel
    saves "CSV UTF-8"), with a loyalty tier that picks the list, plus 14 invalid rows and 25 repeats of earlier
    addresses in other letter cases. A fixed seed makes the file the same on every machine; it was generated
    once and committed, and this script only documents how.

    Columns: Email, FirstName, LastName, Company, Phone, MailingCity, MailingCountry, Tier, Orders, MemberSince.
    Invalid rows: 6 addresses without '@', 4 empty addresses, 4 order counts that are not numbers.

.EXAMPLE
    ./examples/New-SampleSegment.ps1
#>
[CmdletBinding()]
param(
    [string] $Path = (Join-Path $PSScriptRoot 'segment.csv'),
    [int] $Count = 3000
)

$ErrorActionPreference = 'Stop'
$random = New-Object System.Random -ArgumentList 20261201
function Get-Pick {
    param([object[]] $From)
    $From[$random.Next($From.Count)]
}

$firstNames = @('Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger', 'Radia', 'Tim',
    'Sophie', 'Lukas', 'Emma', 'Noah', 'Mia', 'Elias', 'Hannah', 'Jonas', 'Léa', 'José', 'Zoë', 'Søren', 'Björn', 'Chloé',
    'Mateo', 'Aisha', 'Priya', 'Kenji', 'Olivia', 'Liam', 'Amelia', 'Oliver', 'Isla', 'Jack', 'Freya', 'Harry', 'Ivy', 'Leo')
$lastNames = @('Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Allen', 'Dijkstra',
    'Perlman', 'Berners-Lee', 'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'García', 'Martínez', "O'Brien", 'Nguyen',
    'Kowalski', 'Novak', 'Jensen', 'Andersson', 'Rossi', 'Dubois', 'Smith', 'Jones', 'Taylor', 'Brown', 'Wilson', 'Patel', 'Tanaka')
$companies = @(
    @{ Name = 'Contoso Ltd'; Domain = 'contoso.example' }
    @{ Name = 'Fabrikam, Inc.'; Domain = 'fabrikam.example' }
    @{ Name = 'Northwind Traders'; Domain = 'northwind.example' }
    @{ Name = 'Adventure Works'; Domain = 'adventure-works.example' }
    @{ Name = 'Tailspin Toys'; Domain = 'tailspin.example' }
    @{ Name = 'Wide World Importers'; Domain = 'wideworld.example' }
    @{ Name = ''; Domain = 'mail.example' }
    @{ Name = ''; Domain = 'post.example' }
)
$cities = @(
    @{ City = 'London'; Country = 'United Kingdom'; Prefix = '+44 20 7946 ' }
    @{ City = 'Manchester'; Country = 'United Kingdom'; Prefix = '+44 161 496 ' }
    @{ City = 'Berlin'; Country = 'Germany'; Prefix = '+49 30 901820' }
    @{ City = 'München'; Country = 'Germany'; Prefix = '+49 89 2180' }
    @{ City = 'Paris'; Country = 'France'; Prefix = '+33 1 70 18 ' }
    @{ City = 'Madrid'; Country = 'Spain'; Prefix = '+34 91 123 ' }
    @{ City = 'New York'; Country = 'United States'; Prefix = '+1 212 555 ' }
    @{ City = 'Seattle'; Country = 'United States'; Prefix = '+1 206 555 ' }
)

$rows = New-Object System.Collections.Generic.List[object]
for ($i = 1; $i -le $Count; $i++) {
    $first = Get-Pick $firstNames
    $last = Get-Pick $lastNames
    $company = Get-Pick $companies
    $city = Get-Pick $cities
    $local = ($first + '.' + $last).ToLowerInvariant().Normalize([Text.NormalizationForm]::FormD) -replace '[^a-z.]', ''
    $draw = $random.Next(100)
    $tier = if ($draw -lt 15) { 'Gold' } elseif ($draw -lt 50) { 'Silver' } elseif ($draw -lt 95) { 'Bronze' } else { '' }
    $rows.Add([pscustomobject][ordered]@{
            Email          = "$local$i@$($company.Domain)"
            FirstName      = $first
            LastName       = $last
            Company        = $company.Name
            Phone          = $city.Prefix + $random.Next(1000, 9999)
            MailingCity    = $city.City
            MailingCountry = $city.Country
            Tier           = $tier
            Orders         = [string]$random.Next(0, 60)
            MemberSince    = (New-Object DateTime -ArgumentList 2015, 1, 1).AddDays($random.Next(0, 3900)).ToString('yyyy-MM-dd')
        })
}

# Invalid rows, spread through the file: addresses without '@', empty addresses, order counts that are not numbers.
$invalid = @(
    @{ Email = 'ada.lovelace.contoso.example' }, @{ Email = 'grace hopper' }, @{ Email = 'n/a' },
    @{ Email = 'alan.turing(at)fabrikam.example' }, @{ Email = 'unknown' }, @{ Email = 'linus.torvalds#northwind.example' },
    @{ Email = '' }, @{ Email = '' }, @{ Email = ' ' }, @{ Email = '' },
    @{ Orders = 'many' }, @{ Orders = 'n/a' }, @{ Orders = '12 orders' }, @{ Orders = 'twelve' }
)
$step = [int]($Count / ($invalid.Count + 1))
for ($j = 0; $j -lt $invalid.Count; $j++) {
    $row = $rows[($j + 1) * $step]
    foreach ($key in $invalid[$j].Keys) { $row.$key = $invalid[$j][$key] }
}

# Repeats: earlier rows again, the address in other letter cases, the same tier (so the same list).
$repeats = 25
for ($k = 0; $k -lt $repeats; $k++) {
    $original = $rows[$random.Next(0, $Count)]
    while ($original.Email -notlike '*@*') { $original = $rows[$random.Next(0, $Count)] }
    $copy = $original.PSObject.Copy()
    $copy.Email = $original.Email.ToUpperInvariant()
    $rows.Insert($random.Next($Count / 2, $rows.Count), $copy)
}

$lines = $rows | ConvertTo-Csv -NoTypeInformation
# UTF-8 with a byte order mark, so Import-Csv reads the accents right in Windows PowerShell 5.1 too.
[System.IO.File]::WriteAllLines($Path, [string[]]$lines, (New-Object System.Text.UTF8Encoding -ArgumentList $true))
Write-Host "Wrote $($rows.Count) rows to $Path"
