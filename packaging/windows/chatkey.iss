; chatkey for Windows: an Inno Setup 6 script (https://jrsoftware.org/isinfo.php).
;
; Build the binaries on Windows, then the installer:
;   cargo build --release --target x86_64-pc-windows-msvc
;   iscc /DAppVersion=0.1.0 packaging\windows\chatkey.iss
; The installer lands in target\windows\. It installs per user (no administrator rights), into
; %LOCALAPPDATA%\Programs\chatkey, adds a Start menu entry, optionally starts chatkey at login
; (HKCU Run key), and offers to start it at the end. Assistants are connected afterwards with
; `chatkey install-client <claude-desktop|cursor|vscode|claude-code>` or the tray menu.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define BinDir "..\..\target\x86_64-pc-windows-msvc\release"

[Setup]
AppId={{6F0C2B8E-7D1A-4E5B-9C3F-2A8D4B6E1C07}
AppName=chatkey
AppVersion={#AppVersion}
AppPublisher=chatkey maintainers
DefaultDirName={localappdata}\Programs\chatkey
DefaultGroupName=chatkey
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputDir=..\..\target\windows
OutputBaseFilename=chatkey-{#AppVersion}-setup
SetupIconFile=..\..\icons\windows\ok.ico
UninstallDisplayIcon={app}\chatkey.exe
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; chatkey may be running (tray): Restart Manager closes it before files are replaced or removed.
CloseApplications=yes

[Tasks]
Name: "startatlogin"; Description: "Start chatkey when I sign in to Windows"; GroupDescription: "Start-up:"

[Files]
Source: "{#BinDir}\chatkey.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#BinDir}\chatkey-mcp.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "..\..\icons\windows\ok.ico"; DestDir: "{app}"; DestName: "chatkey.ico"
Source: "..\..\README.md"; DestDir: "{app}"; Flags: isreadme

[Icons]
Name: "{userprograms}\chatkey"; Filename: "{app}\chatkey.exe"; IconFilename: "{app}\chatkey.ico"

[Registry]
; Start at login on Windows (the tray's toggle is Linux-only for now); removed on uninstall.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "chatkey"; ValueData: """{app}\chatkey.exe"""; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\chatkey.exe"; Description: "Start chatkey now"; Flags: nowait postinstall skipifsilent

