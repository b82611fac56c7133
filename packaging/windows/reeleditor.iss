; Inno Setup script: a per-user Windows installer for the one-folder PyInstaller build.
; Build on Windows (not done here: see packaging/README.md):
;   pyinstaller packaging\reeleditor.spec --noconfirm
;   iscc packaging\windows\reeleditor.iss        -> dist\installer\reeleditor-0.1.0-setup.exe
; Keep AppVersion equal to reeleditor.__version__ (tests/packaging checks it).

#define AppName "Reel Editor"
#define AppVersion "0.1.0"
#define AppExe "reeleditor.exe"

[Setup]
; a fixed id: upgrades replace the old install instead of adding a second one
AppId={{6F1D6C2E-4B7A-4E61-9C1B-2D0E5A3F7B11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=reeleditor
DefaultDirName={autopf}\reeleditor
DefaultGroupName={#AppName}
; per-user by default: a creator installs with a click, no administrator prompt
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\installer
OutputBaseFilename=reeleditor-{#AppVersion}-setup
SetupIconFile=..\icons\reeleditor.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; signing: uncomment with a configured sign tool (packaging/README.md, "Windows")
; SignTool=signtool
; SignedUninstaller=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\reeleditor\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
