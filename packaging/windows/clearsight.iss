; Inno Setup 6 script: the Clearsight installer for Windows (x64).
;
; Build (after `python packaging\build_bundle.py`, which makes dist\clearsight\):
;   pwsh packaging\windows\build_installer.ps1 [-SignCommand "<command with $f>"]
; which finds Inno Setup 6 (installing the pinned version when needed) and runs
;   ISCC /DAppVersion=<version> /DBundleDir=... /DOutputDir=... [/DSign=1 /Sclearsight=<command>]
; with the version from packaging/app_info.py (the same the About box, --version and reports
; show). With /DSign the compiler has the uninstaller and Setup itself signed through the
; Sign Tool "clearsight" (packaging\windows\sign.ps1, a cloud signing service): an uninstaller
; signed after compilation is impossible, and Setup's temporary self-copies are only signed
; this way (Inno Setup help, [Setup]: SignTool, SignedUninstaller).
;
; What it installs:
;   {app}\clearsightw.exe   the windowed app: Start menu, desktop icon, file associations
;   {app}\clearsight.exe    the console program for the command line (added to PATH)
;   {app}\_internal\        Python, Qt and PySide6 as separate DLLs (LGPL-3.0), licences
; Per-user or for all users: the first page asks (PrivilegesRequiredOverridesAllowed);
; /CURRENTUSER or /ALLUSERS on the command line decide for silent installs.
; File associations: only .clearsight (profiles) and .clearsight-report (saved reports).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\clearsight"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "Clearsight"
#define AppPublisher "The Clearsight authors"
#define AppExe "clearsightw.exe"
#define CliExe "clearsight.exe"

[Setup]
; Stable across versions: an upgrade replaces the installed copy (packaging/app_info.py).
AppId={{8C1D2E57-3B6A-4F0E-9D2C-6A1B7E4C5F30}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} installer
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
ChangesAssociations=yes
ChangesEnvironment=yes
LicenseFile=..\licenses\Apache-2.0.txt
SetupIconFile=..\..\resources\icons\clearsight.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
OutputDir={#OutputDir}
OutputBaseFilename=Clearsight-{#AppVersion}-windows-x64-setup
CloseApplications=yes
#ifdef Sign
SignTool=clearsight
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the clearsight command to PATH (for the command line)"; GroupDescription: "Command line:"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "{#BundleDir}\_internal\licenses\THIRD-PARTY-NOTICES.txt"; DestDir: "{app}"; Flags: ignoreversion

[InstallDelete]
; An upgrade first removes the previous version's bundle: files that the new version no
; longer ships (a Qt plugin, a library of an older Python) would otherwise stay in _internal
; and be loaded beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "See what on your network is blocked, and what to do about it"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; HKA = HKLM for an all-users install, HKCU for a per-user one.
; Profiles (.clearsight)
Root: HKA; Subkey: "Software\Classes\.clearsight"; ValueType: string; ValueName: ""; ValueData: "Clearsight.Profile"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.clearsight"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-clearsight-profile"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.clearsight\OpenWithProgids"; ValueType: string; ValueName: "Clearsight.Profile"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Clearsight.Profile"; ValueType: string; ValueName: ""; ValueData: "Clearsight profile"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Clearsight.Profile\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\Clearsight.Profile\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; Saved reports (.clearsight-report)
Root: HKA; Subkey: "Software\Classes\.clearsight-report"; ValueType: string; ValueName: ""; ValueData: "Clearsight.Report"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.clearsight-report"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-clearsight-report"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.clearsight-report\OpenWithProgids"; ValueType: string; ValueName: "Clearsight.Report"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\Clearsight.Report"; ValueType: string; ValueName: ""; ValueData: "Clearsight report"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Clearsight.Report\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\Clearsight.Report\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; "Open with" lists the app for these two types only.
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".clearsight"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".clearsight-report"; ValueData: ""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Code]
{ PATH for the console program: the user's PATH for a per-user install, the machine's for
  an all-users install; added once, removed again by the uninstaller. }

function EnvironmentKey(var Root: Integer): String;
begin
  if IsAdminInstallMode then
  begin
    Root := HKEY_LOCAL_MACHINE;
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';
  end
  else
  begin
    Root := HKEY_CURRENT_USER;
    Result := 'Environment';
  end;
end;

function PathContains(Paths, Dir: String): Boolean;
begin
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') > 0;
end;

procedure AddToPath(Dir: String);
var
  Root: Integer;
  Key, Paths: String;
begin
  Key := EnvironmentKey(Root);
  if not RegQueryStringValue(Root, Key, 'Path', Paths) then
    Paths := '';
  if PathContains(Paths, Dir) then
    exit;
  if (Paths <> '') and (Copy(Paths, Length(Paths), 1) <> ';') then
    Paths := Paths + ';';
  RegWriteExpandStringValue(Root, Key, 'Path', Paths + Dir);
end;

procedure RemoveFromPath(Dir: String);
var
  Root: Integer;
  Key, Paths: String;
  P: Integer;
begin
  Key := EnvironmentKey(Root);
  if not RegQueryStringValue(Root, Key, 'Path', Paths) then
    exit;
  Paths := ';' + Paths + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if P = 0 then
    exit;
  Delete(Paths, P, Length(Dir) + 1);
  Paths := Copy(Paths, 2, Length(Paths) - 2);
  RegWriteExpandStringValue(Root, Key, 'Path', Paths);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddToPath(ExpandConstant('{app}'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
