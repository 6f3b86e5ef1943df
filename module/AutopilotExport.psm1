# The module's root: loads the cmdlets in isolation and exports them.
#
# Only the small loader assembly (it references nothing but the framework) enters PowerShell's shared load context.
# It loads AutopilotExport.dll and its dependencies (System.Text.Json, Polly, Microsoft.Extensions.Http, ...) from
# bin/: into a private AssemblyLoadContext on PowerShell 7, so a different version of any of them that another module
# loaded, before or after this one, never meets ours; on Windows PowerShell 5.1 as far as one load context allows.
# See docs/DEPENDENCIES.md.

$binFolder = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
$loaderFramework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'netstandard2.0' }
if ($PSVersionTable.PSEdition -eq 'Core' -and $PSVersionTable.PSVersion -lt [version]'7.4') {
    # The loader for PowerShell 7 is built for .NET 8, which PowerShell 7.4 is the first to run on.
    throw "AutopilotExport needs PowerShell 7.4 or later (or Windows PowerShell 5.1); this is PowerShell $($PSVersionTable.PSVersion)."
}

# A second import in the same session (Import-Module -Force, or another copy of the module) reuses the loader that
# is already loaded: an assembly cannot be unloaded from the shared context, and the loader keeps one isolation per
# bin folder.
$isReload = $true
if (-not ('AutopilotExport.Loader.ModuleLoader' -as [type])) {
    $isReload = $false
    # LoadFrom, not Add-Type: hosts that start with only the core commands (InitialSessionState.CreateDefault2) have
    # no Add-Type. Either way the loader lands in the shared context, which it is built for.
    $null = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($binFolder, 'loader', $loaderFramework, 'AutopilotExport.Loader.dll'))
}

$moduleAssembly = [AutopilotExport.Loader.ModuleLoader]::Load($binFolder)

# The module-qualified Import-Module, in case a proxy function of that name is in scope.
$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core
$innerModule = & $importModule -Assembly $moduleAssembly -PassThru

if ($isReload -and $innerModule) {
    # Importing an assembly a second time returns PowerShell's cached module for it without re-adding its cmdlets to
    # this (new) module's exports (PowerShell issue 20710), so a re-import would export nothing. Add them back.
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    if ($addExportedCmdlet) {
        foreach ($cmdlet in $innerModule.ExportedCmdlets.Values) {
            $null = $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
        }
    }
}
