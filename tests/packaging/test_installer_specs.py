"""The installers for macOS and Windows, which cannot be built here, checked on paper:
the spec's Info.plist, the Windows version resource, the Inno Setup script, the .desktop
entry and icons, all agreeing with reeleditor.__version__."""

from __future__ import annotations

import ast
import configparser
import plistlib
import re

import pytest

from reeleditor import __version__
from tests.conftest import REPO

PACKAGING = REPO / "packaging"
SPEC = PACKAGING / "reeleditor.spec"


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name
    ]


def _keyword(call: ast.Call, name: str) -> ast.expr:
    found = [k.value for k in call.keywords if k.arg == name]
    assert found, f"{ast.unparse(call.func)}(...) has no {name}="
    return found[0]


@pytest.fixture(scope="module")
def spec() -> ast.Module:
    return ast.parse(SPEC.read_text())


def test_the_mac_bundle_carries_the_camera_and_microphone_usage_strings(spec):
    (bundle,) = _calls(spec, "BUNDLE")
    plist = _keyword(bundle, "info_plist")
    assert isinstance(plist, ast.Dict)
    entries = {ast.literal_eval(k): v for k, v in zip(plist.keys, plist.values, strict=True)}
    for key in ("NSCameraUsageDescription", "NSMicrophoneUsageDescription"):
        text = ast.literal_eval(entries[key])  # macOS shows it in the permission prompt
        assert isinstance(text, str) and len(text) > 20, key
    # the bundle's versions are the package's, not a copy that drifts
    for key in ("CFBundleShortVersionString", "CFBundleVersion"):
        assert ast.unparse(entries[key]) == "__version__", key
    assert ast.unparse(_keyword(bundle, "version")) == "__version__"
    assert re.fullmatch(r"[A-Za-z0-9.-]+", ast.literal_eval(_keyword(bundle, "bundle_identifier")))


def test_every_file_the_spec_names_exists(spec):
    named = re.findall(r'root / "packaging" / ((?:"[^"]+"(?: / )?)+)', SPEC.read_text())
    assert len(named) >= 3, named
    for parts in named:
        path = PACKAGING.joinpath(*re.findall(r'"([^"]+)"', parts))
        assert path.is_file(), path


def _version_resource() -> tuple[ast.Call, dict[str, str]]:
    tree = ast.parse((PACKAGING / "windows" / "version_info.txt").read_text())
    (fixed,) = _calls(tree, "FixedFileInfo")
    strings = {
        ast.literal_eval(c.args[0]): ast.literal_eval(c.args[1])
        for c in _calls(tree, "StringStruct")
    }
    return fixed, strings


def test_the_windows_version_resource_agrees_with_the_package():
    fixed, strings = _version_resource()
    numbers = tuple(int(p) for p in __version__.split("."))
    four = numbers + (0,) * (4 - len(numbers))
    assert ast.literal_eval(_keyword(fixed, "filevers")) == four
    assert ast.literal_eval(_keyword(fixed, "prodvers")) == four
    assert strings["FileVersion"] == strings["ProductVersion"] == __version__
    assert strings["OriginalFilename"] == "reeleditor.exe"


def test_the_inno_setup_script_installs_the_one_folder_build_at_this_version():
    iss = (PACKAGING / "windows" / "reeleditor.iss").read_text()
    assert re.search(rf'^#define AppVersion "{re.escape(__version__)}"$', iss, re.M)
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", iss, re.M)  # fixed: upgrades replace
    assert re.search(r'^Source: "\.\.\\\.\.\\dist\\reeleditor\\\*"', iss, re.M)
    icon = re.search(r"^SetupIconFile=(.+)$", iss, re.M).group(1)
    assert (PACKAGING / "windows" / icon.replace("\\", "/")).resolve().is_file()
    assert "PrivilegesRequired=lowest" in iss  # a creator installs without an admin prompt


def test_the_desktop_entry_opens_the_app_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "linux" / "reeleditor.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "reeleditor" and desktop["Icon"] == "reeleditor"
    assert desktop["Type"] == "Application" and "AudioVideo" in desktop["Categories"]
    for size in (16, 32, 48, 128, 256, 512):
        assert (PACKAGING / "icons" / f"reeleditor-{size}.png").is_file()


def test_the_hardened_runtime_may_use_the_camera_and_microphone():
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements["com.apple.security.device.camera"] is True
    assert entitlements["com.apple.security.device.audio-input"] is True


def test_the_signing_steps_are_written_down():
    text = (PACKAGING / "README.md").read_text()
    for step in (
        "codesign",
        "--options runtime",
        "notarytool submit",
        "stapler staple",
        "signtool sign",
    ):
        assert step in text, step


def test_windows_gets_a_windowed_app_and_a_console_cli_beside_it(spec):
    windowed = next(
        node.value
        for node in ast.walk(spec)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "WINDOWED"
    )
    assert set(ast.literal_eval(windowed.comparators[0])) == {"win32", "darwin"}
    made = {ast.literal_eval(c.args[0]): c for c in _calls(spec, "executable")}
    assert ast.unparse(_keyword(made["reeleditor"], "console")) == "not WINDOWED"
    assert ast.literal_eval(_keyword(made["reeleditor-cli"], "console")) is True
    guard = next(
        node
        for node in ast.walk(spec)
        if isinstance(node, ast.If) and made["reeleditor-cli"] in ast.walk(node)
    )
    assert ast.unparse(guard.test) == "sys.platform == 'win32'"
    iss = (PACKAGING / "windows" / "reeleditor.iss").read_text()
    assert '#define AppExe "reeleditor.exe"' in iss  # the Start menu opens the windowed one


def test_without_a_console_the_entry_point_still_runs_a_command(tmp_path):
    """A windowed Windows build starts with sys.stdout and sys.stderr None; a command's
    progress line would raise on them."""
    import subprocess
    import sys

    code = (
        "import runpy, sys; sys.stdout = None; sys.stderr = None; "
        f"sys.argv = ['reeleditor', '--home', {str(tmp_path)!r}, 'record', "
        "'--source', 'testpattern', '--seconds', '1.5']; "
        "runpy.run_module('reeleditor', run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.rglob("draft.json")), "the take was not recorded"
