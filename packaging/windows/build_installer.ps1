# Compile the Windows installer (clearsight.iss) from dist\clearsight, which
# packaging\build_bundle.py made. Output: dist\Clearsight-<version>-windows-x64-setup.exe.
#   pwsh packaging\windows\build_installer.ps1 [-SignCommand '<command with $f>']
# -SignCommand: the Sign Tool the compiler runs on the uninstaller and on Setup ($f is the
# file), e.g. 'pwsh -NoProfile -File C:\...\sign.ps1 $f' (packaging\windows\sign.ps1).
#
# Inno Setup 6 is found from its uninstall registration (InstallLocation of "Inno Setup 6_is1",
# any folder, any hive), never from a hard-coded path; when the runner has another version,
# the pinned one is installed from Chocolatey. Unpinned, `choco install innosetup` brings the
# newest release, and a major version moves to another folder with another compiler.
param([string]$SignCommand = '')
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$InnoVersion = '6.7.1'
$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path

function Find-Iscc {
    $keys = @(
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\Inno Setup 6_is1',
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Inno Setup 6_is1',
        'HKCU:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Inno Setup 6_is1'
    )
    foreach ($key in $keys) {
        if (-not (Test-Path $key)) { continue }
        $location = (Get-ItemProperty $key).InstallLocation
        if (-not $location) { continue }
        $iscc = Join-Path $location 'ISCC.exe'
        if (Test-Path $iscc) { return $iscc }
    }
    return $null
}

function Get-IsccVersion([string]$iscc) {
    if (-not $iscc) { return '' }
    return [string](Get-Item $iscc).VersionInfo.ProductVersion
}

$iscc = Find-Iscc
$found = Get-IsccVersion $iscc
if ($found -notlike "$InnoVersion*") {
    Write-Host "Inno Setup here: '$found' at '$iscc'; installing the pinned $InnoVersion"
    choco install innosetup --version=$InnoVersion --allow-downgrade --no-progress -y
    if ($LASTEXITCODE -ne 0) { throw "choco install innosetup --version=$InnoVersion failed" }
    $iscc = Find-Iscc
    $found = Get-IsccVersion $iscc
}
if (-not $iscc -or $found -notlike '6.*') {
    throw "no Inno Setup 6 compiler (found '$found' at '$iscc')"
}
Write-Host "Inno Setup $found`: $iscc"

$version = (& python (Join-Path $Root 'packaging\build_bundle.py') --print-version).Trim()
if ($LASTEXITCODE -ne 0 -or -not $version) { throw 'no version from build_bundle.py' }
$bundle = Join-Path $Root 'dist\clearsight'
foreach ($exe in 'clearsight.exe', 'clearsightw.exe') {
    if (-not (Test-Path (Join-Path $bundle $exe))) { throw "no $exe in ${bundle}: build the bundle first" }
}
$arguments = @("/DAppVersion=$version", "/DBundleDir=$bundle", "/DOutputDir=$(Join-Path $Root 'dist')")
if ($SignCommand) {
    $arguments += @('/DSign=1', "/Sclearsight=$SignCommand")
}
& $iscc @arguments (Join-Path $Root 'packaging\windows\clearsight.iss')
if ($LASTEXITCODE -ne 0) { throw "ISCC failed ($LASTEXITCODE)" }
$setup = Join-Path $Root "dist\Clearsight-$version-windows-x64-setup.exe"
if (-not (Test-Path $setup)) { throw "ISCC made no $setup" }
Write-Host "installer: $setup"
