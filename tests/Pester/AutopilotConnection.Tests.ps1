<#
    Connections as a user sets them up: consent, key validation against the API, the key from the environment,
    Get / Test / Remove, and the key never appearing in output or in clear text on disk.

    Runs against the local Autopilot emulator (tests/AutopilotEmulator), started here with dotnet run on a free
    loopback port and stopped at the end. Needs the .NET SDK, a built module and Pester 5.
    Run: Invoke-Pester -Path tests/Pester -Output Detailed   (or ./build.ps1 -Task Pester)
#>

Describe 'Autopilot connections' {
    BeforeAll {
        $RepoRoot = (Resolve-Path -Path (Join-Path $PSScriptRoot '../..')).Path

        . (Join-Path $PSScriptRoot 'TestSupport.ps1')
        # An isolated state folder and no key in the environment: the user's own configuration is never touched.
        $SavedState = Enter-IsolatedState -Folder $TestDrive

        Import-Module -Name (Join-Path $RepoRoot 'AutopilotExport.psd1') -Force -ErrorAction Stop

        $TestEmulator = Start-TestEmulator -RepoRoot $RepoRoot -LogFolder $TestDrive
        $Emulator = $TestEmulator.Process
        $ApiKey = $TestEmulator.ApiKey
        $SecureKey = $TestEmulator.SecureKey
        $EmulatorRoot = $TestEmulator.Root
        $BaseUri = $TestEmulator.BaseUri

        # Pester removes what a Context adds to $TestDrive (the state folder's files too) when the Context ends,
        # so each Context that uses saved connections creates them in its own BeforeAll.
        function Initialize-SavedConnections {
            # 'emu' keeps its key in the state folder; 'emu-env' reads it from AUTOPILOT_API_KEY at each use.
            $null = New-AutopilotConnection -Name emu -ApiKey $SecureKey -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy -Force
            $env:AUTOPILOT_API_KEY = $ApiKey
            try {
                $null = New-AutopilotConnection -Name emu-env -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy -Force
            }
            finally {
                Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
            }
        }
    }

    AfterAll {
        Stop-ProcessTree -Process $Emulator
        Remove-Module -Name AutopilotExport -ErrorAction SilentlyContinue
        Exit-IsolatedState -Saved $SavedState
    }

    Context 'New-AutopilotConnection' {
        It 'refuses to save a connection without -AcceptDataPrivacy' {
            { New-AutopilotConnection -Name no-consent -ApiKey $SecureKey -BaseUri $BaseUri -ErrorAction Stop } |
                Should -Throw -ErrorId 'ConsentRequired*'
            Get-AutopilotConnection | Where-Object Name -eq 'no-consent' | Should -BeNullOrEmpty
        }

        It 'refuses a key the API rejects' {
            $wrongKey = ConvertTo-SecureString -String 'not-the-right-key' -AsPlainText -Force
            { New-AutopilotConnection -Name wrong-key -ApiKey $wrongKey -BaseUri $BaseUri -AcceptDataPrivacy -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidApiKey*'
            Get-AutopilotConnection | Where-Object Name -eq 'wrong-key' | Should -BeNullOrEmpty
        }

        It 'refuses plain http to a host that is not loopback' {
            { New-AutopilotConnection -Name remote-http -ApiKey $SecureKey -BaseUri 'http://autopilot.example.com/v1' -AcceptDataPrivacy -SkipValidation -ErrorAction Stop } |
                Should -Throw -ErrorId 'InsecureBaseUri*'
            Get-AutopilotConnection | Where-Object Name -eq 'remote-http' | Should -BeNullOrEmpty
        }

        It 'validates the key and saves the connection with the time of consent' {
            $before = [DateTimeOffset]::Now.AddMinutes(-1)
            $connection = New-AutopilotConnection -Name emu -ApiKey $SecureKey -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy

            $connection.PSObject.TypeNames | Should -Contain 'AutopilotExport.AutopilotConnection'
            $connection.Name | Should -Be 'emu'
            $connection.BaseUri | Should -Be $BaseUri
            $connection.InstanceId | Should -Not -BeNullOrEmpty
            $connection.LastValidatedAt | Should -Not -BeNullOrEmpty
            $connection.KeySource | Should -Be 'Stored'
            $connection.KeyProtection | Should -BeIn @('DPAPI (CurrentUser)', 'AES-256 + HMAC, owner-only key file')
            $connection.ConsentedAt | Should -BeGreaterThan $before
            Join-Path $env:AUTOPILOTEXPORT_HOME 'connections.json' | Should -Exist
        }

        It 'does not replace an existing connection without -Force' {
            { New-AutopilotConnection -Name emu -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -ErrorAction Stop } |
                Should -Throw -ErrorId 'ConnectionExists*'
            { New-AutopilotConnection -Name emu -ApiKey $SecureKey -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy -Force -ErrorAction Stop } |
                Should -Not -Throw
        }

        It 'reads the key from AUTOPILOT_API_KEY when -ApiKey is omitted' {
            $env:AUTOPILOT_API_KEY = $ApiKey
            try {
                $connection = New-AutopilotConnection -Name emu-env -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy
                $connection.KeySource | Should -Be 'Environment'
                Test-AutopilotConnection -Name emu-env -Quiet | Should -BeTrue
            }
            finally {
                Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
            }
        }

        It 'fails when there is neither -ApiKey nor AUTOPILOT_API_KEY' {
            { New-AutopilotConnection -Name no-key -BaseUri $BaseUri -AcceptDataPrivacy -ErrorAction Stop } | Should -Throw -ErrorId 'ApiKeyMissing*'
            Get-AutopilotConnection | Where-Object Name -eq 'no-key' | Should -BeNullOrEmpty
        }

        It 'saves nothing with -WhatIf' {
            New-AutopilotConnection -Name what-if -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -WhatIf
            Get-AutopilotConnection | Where-Object Name -eq 'what-if' | Should -BeNullOrEmpty
        }
    }

    Context 'Get-AutopilotConnection' {
        BeforeAll {
            Initialize-SavedConnections
        }

        It 'gets a connection by name' {
            $connection = Get-AutopilotConnection -Name emu
            $connection.Name | Should -Be 'emu'
            $connection.KeySource | Should -Be 'Stored'
        }

        It 'gets connections by wildcard and all connections without -Name' {
            @(Get-AutopilotConnection -Name 'emu*').Name | Should -Contain 'emu-env'
            @(Get-AutopilotConnection).Count | Should -BeGreaterOrEqual 2
        }

        It 'writes ConnectionNotFound for a name that does not exist' {
            $found = Get-AutopilotConnection -Name does-not-exist -ErrorAction SilentlyContinue -ErrorVariable err
            $found | Should -BeNullOrEmpty
            $err.Count | Should -BeGreaterThan 0
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionNotFound*'
        }

        It 'returns nothing and no error for a wildcard that matches nothing' {
            $found = Get-AutopilotConnection -Name 'nothing-like-this-*' -ErrorVariable err
            $found | Should -BeNullOrEmpty
            $err.Count | Should -Be 0
        }

        It 'shows the table view with the key source, and the protection in the list view' {
            # The table fits 80 columns (Views.Tests.ps1); KeyProtection moved to Format-List.
            $text = Get-AutopilotConnection -Name emu | Format-Table | Out-String -Width 200
            $text | Should -Match 'Name\s+BaseUri\s+KeySource\s+ConsentedAt'
            $text | Should -BeLike '*Stored*'
            $list = Get-AutopilotConnection -Name emu | Format-List | Out-String -Width 200
            $list | Should -Match 'KeyProtection\s*:\s*\S'
        }
    }

    Context 'Test-AutopilotConnection' {
        BeforeAll {
            Initialize-SavedConnections
        }

        It 'reports a working connection' {
            $test = Test-AutopilotConnection -Name emu
            $test.PSObject.TypeNames | Should -Contain 'AutopilotExport.AutopilotConnectionTestResult'
            $test.Success | Should -BeTrue
            $test.StatusCode | Should -Be 200
            Test-AutopilotConnection -Name emu -Quiet | Should -BeTrue
        }

        It 'takes connections from the pipeline' {
            $env:AUTOPILOT_API_KEY = $ApiKey
            try {
                $tests = @(Get-AutopilotConnection -Name 'emu*' | Test-AutopilotConnection)
                $tests.Count | Should -Be 2
                $tests | ForEach-Object { $_.Success | Should -BeTrue }
            }
            finally {
                Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
            }
        }

        It 'reports a rejected key as a failed test with status 401' {
            $env:AUTOPILOT_API_KEY = 'not-the-right-key'
            try {
                $test = Test-AutopilotConnection -Name emu-env
                $test.Success | Should -BeFalse
                $test.StatusCode | Should -Be 401
                Test-AutopilotConnection -Name emu-env -Quiet | Should -BeFalse
            }
            finally {
                Remove-Item -Path Env:AUTOPILOT_API_KEY -ErrorAction SilentlyContinue
            }
        }
    }

    Context 'The API key is never shown' {
        It 'keeps the key out of every output stream' {
            $text = & {
                New-AutopilotConnection -Name emu-verbose -ApiKey $SecureKey -BaseUri $BaseUri -RequestsPerSecond 0 -AcceptDataPrivacy -Verbose
                Get-AutopilotConnection | Format-List -Property *
                Test-AutopilotConnection -Name emu-verbose -Verbose | Format-List -Property *
                $wrongKey = ConvertTo-SecureString -String 'not-the-right-key' -AsPlainText -Force
                # A refused key is a terminating error: its message is checked too.
                try { New-AutopilotConnection -Name emu-wrong -ApiKey $wrongKey -BaseUri $BaseUri -AcceptDataPrivacy -Verbose -ErrorAction Stop }
                catch { $_ | Format-List -Property * -Force }
            } *>&1 | Out-String

            $text | Should -Not -BeNullOrEmpty
            $text.Contains($ApiKey) | Should -BeFalse
            $text.Contains('not-the-right-key') | Should -BeFalse
        }

        It 'stores no clear-text key in the state folder' {
            $files = @(Get-ChildItem -LiteralPath $env:AUTOPILOTEXPORT_HOME -Recurse -File)
            $files.Count | Should -BeGreaterThan 0
            foreach ($file in $files) {
                [System.IO.File]::ReadAllText($file.FullName).Contains($ApiKey) | Should -BeFalse -Because "$($file.Name) must not hold the key in clear text"
            }
        }
    }

    Context 'Remove-AutopilotConnection' {
        BeforeAll {
            Initialize-SavedConnections
        }

        It 'removes a connection and its stored key' {
            $null = New-AutopilotConnection -Name emu-remove -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation
            $secrets = Join-Path $env:AUTOPILOTEXPORT_HOME 'secrets'
            $before = @(Get-ChildItem -LiteralPath $secrets -Recurse -File).Count

            Remove-AutopilotConnection -Name emu-remove -Confirm:$false

            Get-AutopilotConnection | Where-Object Name -eq 'emu-remove' | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $secrets -Recurse -File).Count | Should -BeLessThan $before
        }

        It 'removes nothing with -WhatIf' {
            Remove-AutopilotConnection -Name emu -WhatIf
            Get-AutopilotConnection -Name emu | Should -Not -BeNullOrEmpty
        }

        It 'removes connections piped from Get-AutopilotConnection with -Force' {
            $null = New-AutopilotConnection -Name temp-1 -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation
            $null = New-AutopilotConnection -Name temp-2 -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation
            Get-AutopilotConnection -Name 'temp-*' | Remove-AutopilotConnection -Force
            Get-AutopilotConnection -Name 'temp-*' | Should -BeNullOrEmpty
        }

        It 'removes connections by wildcard' {
            $null = New-AutopilotConnection -Name wild-1 -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation
            $null = New-AutopilotConnection -Name wild-2 -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation
            Remove-AutopilotConnection -Name 'wild-*' -Force
            Get-AutopilotConnection -Name 'wild-*' | Should -BeNullOrEmpty
        }

        It 'warns about saved exports that use the removed connection' {
            $null = New-AutopilotConnection -Name emu-used -ApiKey $SecureKey -BaseUri $BaseUri -AcceptDataPrivacy -SkipValidation
            $null = New-AutopilotExport -Name export-of-emu-used -Connection emu-used -Segment 'Pester'
            Remove-AutopilotConnection -Name emu-used -Force -WarningVariable warnings -WarningAction SilentlyContinue
            ($warnings | Out-String) | Should -BeLike '*export-of-emu-used*'
        }

        It 'reports ConnectionNotFound for a name that does not exist' {
            { Remove-AutopilotConnection -Name does-not-exist -Force -ErrorAction Stop } | Should -Throw -ErrorId 'ConnectionNotFound*'
        }
    }
}
