# Install a Clearsight setup as a user would (for the current user, silently), check what it
# did, upgrade over it, smoke-test the installed app, uninstall it and check that nothing is
# left. The installers workflow runs it on the unsigned installer and again on the signed one.
#   pwsh packaging\windows\install_test.ps1 -Setup dist\Clearsight-<v>-windows-x64-setup.exe [-Signed]
#
#  1. before: no install folder, the folder not on the user's PATH
#  2. setup exits 0; the files, the Start menu entry, both file associations (and none for
#     .toml/.json), the folder on the user's PATH exactly once
#  3. a new shell (PATH read again from the registry) finds `clearsight` in the install folder
#  4. an upgrade over it removes files of the old bundle ([InstallDelete]) and keeps PATH single
#  5. packaging/smoke_test.py on the installed app: the native "windows" plugin and style, and
#     the saved report opened through its association (ShellExecute, as a double-click)
#  6. -Signed: Setup, both executables and the uninstaller carry valid Authenticode signatures
#  7. the uninstaller exits 0, and then the folder, the associations, the Start menu entry and
#     the PATH entry are gone, the rest of PATH as it was
param(
    [Parameter(Mandatory)][string]$Setup,
    [switch]$Signed
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
# The runner's Python (setup-python puts it on this process's PATH, not the registry's).
$Python = (Get-Command python -CommandType Application | Select-Object -First 1).Source
$Setup = (Resolve-Path $Setup).Path
$App = Join-Path $env:LOCALAPPDATA 'Programs\Clearsight'
$StartMenu = Join-Path $env:APPDATA 'Microsoft\Windows\Start Menu\Programs\Clearsight.lnk'

function Get-UserPath {
    $value = [Environment]::GetEnvironmentVariable('Path', 'User')
    if ($null -eq $value) { return '' }
    return $value
}

function Get-PathEntries([string]$paths) {
    return @($paths -split ';' | Where-Object { $_ -ne '' })
}

function Get-AppPathCount {
    return @(Get-PathEntries (Get-UserPath) | Where-Object { $_.TrimEnd('\') -eq $App }).Count
}

function Invoke-Setup([string]$log) {
    $process = Start-Process $Setup -Wait -PassThru -ArgumentList `
        '/VERYSILENT', '/SUPPRESSMSGBOXES', '/CURRENTUSER', '/NORESTART', "/LOG=$log"
    if ($process.ExitCode -ne 0) {
        Get-Content $log | Out-Host
        throw "setup exited $($process.ExitCode) (Inno Setup: Setup Exit Codes)"
    }
}

# 1. before
$pathBefore = Get-UserPath
if (Test-Path $App) { throw "$App exists before the install" }
if ((Get-AppPathCount) -ne 0) { throw "the user's PATH holds $App before the install" }

# 2. install
Invoke-Setup (Join-Path $env:RUNNER_TEMP 'install.log')
foreach ($file in 'clearsight.exe', 'clearsightw.exe', 'unins000.exe', 'THIRD-PARTY-NOTICES.txt') {
    if (-not (Test-Path (Join-Path $App $file))) { throw "not installed: $file" }
}
if (-not (Test-Path $StartMenu)) { throw 'no Start menu entry' }
$profileType = (Get-ItemProperty 'HKCU:\Software\Classes\.clearsight').'(default)'
$reportType = (Get-ItemProperty 'HKCU:\Software\Classes\.clearsight-report').'(default)'
if ($profileType -ne 'Clearsight.Profile' -or $reportType -ne 'Clearsight.Report') {
    throw "file associations missing: .clearsight=$profileType .clearsight-report=$reportType"
}
$command = (Get-ItemProperty 'HKCU:\Software\Classes\Clearsight.Report\shell\open\command').'(default)'
if ($command -ne "`"$App\clearsightw.exe`" `"%1`"") { throw "open command of a report: $command" }
foreach ($ext in '.toml', '.json') {
    $key = "HKCU:\Software\Classes\$ext\OpenWithProgids"
    if ((Test-Path $key) -and ((Get-ItemProperty $key).PSObject.Properties.Name -match 'Clearsight')) {
        throw "the installer took over $ext"
    }
}
if ((Get-AppPathCount) -ne 1) { throw "$App is on the user's PATH $(Get-AppPathCount) times, not once" }
Write-Host "ok: installed in $App; associations, Start menu entry, PATH entry"

# 3. a new shell finds the command line through PATH (read again from the registry, as a
# terminal opened after the install does)
$pathOfThisShell = $env:Path
$env:Path = [Environment]::GetEnvironmentVariable('Path', 'Machine') + ';' + (Get-UserPath)
try {
    $found = (Get-Command clearsight -CommandType Application -ErrorAction Stop |
        Select-Object -First 1).Source
    if ($found -ne (Join-Path $App 'clearsight.exe')) { throw "clearsight on PATH is $found" }
    $version = (& clearsight --version | Out-String).Trim()
    if ($LASTEXITCODE -ne 0) { throw "clearsight --version exited $LASTEXITCODE" }
}
finally {
    $env:Path = $pathOfThisShell
}
Write-Host "ok: a new shell runs $found -> $version"

# 4. an upgrade in place clears the old bundle
$stale = Join-Path $App '_internal\stale-from-an-older-version.dll'
Set-Content -Path $stale -Value 'left by an older version'
Invoke-Setup (Join-Path $env:RUNNER_TEMP 'upgrade.log')
if (Test-Path $stale) { throw "the upgrade left $stale behind ([InstallDelete])" }
if ((Get-AppPathCount) -ne 1) { throw "after the upgrade $App is on PATH $(Get-AppPathCount) times" }
Write-Host 'ok: an upgrade removes the old bundle and keeps one PATH entry'

# 5. the installed app
& $Python (Join-Path $Root 'packaging\smoke_test.py') (Join-Path $App 'clearsight.exe') `
    --gui-executable (Join-Path $App 'clearsightw.exe') --gui-platform windows `
    --open-with-association
if ($LASTEXITCODE -ne 0) { throw 'smoke test of the installed app failed' }

# 6. signatures
if ($Signed) {
    foreach ($file in $Setup, (Join-Path $App 'clearsight.exe'), (Join-Path $App 'clearsightw.exe'),
            (Join-Path $App 'unins000.exe')) {
        $signature = Get-AuthenticodeSignature -FilePath $file
        if ($signature.Status -ne 'Valid') {
            throw "${file}: signature $($signature.Status): $($signature.StatusMessage)"
        }
        Write-Host "ok: signed $file ($($signature.SignerCertificate.Subject))"
    }
}

# 7. uninstall. The uninstaller runs as a copy of itself from %TEMP% (so it can delete
# unins000.exe) and reports that copy's exit code; the copy's last steps may still be
# running then, so the folder is awaited.
$uninstaller = Start-Process (Join-Path $App 'unins000.exe') -Wait -PassThru -ArgumentList `
    '/VERYSILENT', '/SUPPRESSMSGBOXES', '/NORESTART'
if ($uninstaller.ExitCode -ne 0) { throw "the uninstaller exited $($uninstaller.ExitCode)" }
$deadline = (Get-Date).AddSeconds(60)
while ((Test-Path $App) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 500 }
if (Test-Path $App) {
    Get-ChildItem -Recurse $App | Out-Host
    throw "the uninstaller left $App behind"
}
if (Test-Path 'HKCU:\Software\Classes\Clearsight.Profile') { throw 'the profile association is left' }
if (Test-Path 'HKCU:\Software\Classes\Clearsight.Report') { throw 'the report association is left' }
if (Test-Path $StartMenu) { throw 'the Start menu entry is left' }
if ((Get-AppPathCount) -ne 0) { throw "the uninstaller left $App on the user's PATH" }
$before = (Get-PathEntries $pathBefore) -join ';'
$after = (Get-PathEntries (Get-UserPath)) -join ';'
if ($before -ne $after) { throw "the user's PATH changed: before '$before', after '$after'" }
Write-Host 'ok: uninstalled (exit 0): no folder, associations, Start menu entry or PATH entry left'
