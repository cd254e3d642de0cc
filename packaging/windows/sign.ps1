# Sign files with Microsoft's Artifact Signing service (formerly Trusted Signing): the
# certificate's key lives in Microsoft's HSMs and never on the runner, the way code-signing
# keys must be kept since 2023 (an exportable PFX no longer exists for new certificates).
#   pwsh packaging\windows\sign.ps1 FILE [FILE ...]
# Used for the two executables of the bundle and, as Inno Setup's Sign Tool, for the
# uninstaller and Setup (build_installer.ps1 -SignCommand). Each file must then carry a valid
# Authenticode signature, or this fails.
#
# Environment (the sign-windows job sets them from secrets):
#   AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET   an app registration holding the
#       "Artifact Signing Certificate Profile Signer" role (DefaultAzureCredential reads them)
#   ARTIFACT_SIGNING_ENDPOINT   e.g. https://eus.codesigning.azure.net/
#   ARTIFACT_SIGNING_ACCOUNT, ARTIFACT_SIGNING_PROFILE   the signing account, certificate profile
# The PowerShell module is the one azure/artifact-signing-action wraps, at the version that
# action pins (action.yml: TRUSTED_SIGNING_MODULE_VERSION); it fetches signtool and the
# signing client itself.
param([Parameter(Mandatory, ValueFromRemainingArguments)][string[]]$Files)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ModuleVersion = '0.5.8'
foreach ($name in 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET',
        'ARTIFACT_SIGNING_ENDPOINT', 'ARTIFACT_SIGNING_ACCOUNT', 'ARTIFACT_SIGNING_PROFILE') {
    if (-not [Environment]::GetEnvironmentVariable($name)) { throw "$name is not set" }
}
if (-not (Get-Module -ListAvailable -Name TrustedSigning |
        Where-Object { $_.Version -eq [version]$ModuleVersion })) {
    Install-Module -Name TrustedSigning -RequiredVersion $ModuleVersion -Repository PSGallery `
        -Scope CurrentUser -Force
}
Import-Module TrustedSigning -RequiredVersion $ModuleVersion

$paths = @($Files | ForEach-Object { (Resolve-Path $_.Trim('"')).Path })
$params = @{
    Endpoint               = $env:ARTIFACT_SIGNING_ENDPOINT
    CodeSigningAccountName = $env:ARTIFACT_SIGNING_ACCOUNT
    CertificateProfileName = $env:ARTIFACT_SIGNING_PROFILE
    Files                  = $paths -join ','
    FileDigest             = 'SHA256'
    TimestampRfc3161       = 'http://timestamp.acs.microsoft.com'
    TimestampDigest        = 'SHA256'
}
Invoke-TrustedSigning @params

foreach ($path in $paths) {
    $signature = Get-AuthenticodeSignature -FilePath $path
    if ($signature.Status -ne 'Valid') {
        throw "${path}: signature $($signature.Status): $($signature.StatusMessage)"
    }
    Write-Host "signed: $path ($($signature.SignerCertificate.Subject), timestamped $($null -ne $signature.TimeStamperCertificate))"
}
