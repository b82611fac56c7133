"""The installer's own OpenCV and numpy builds (packaging/build_wheels.py) and the check that
the OpenCV build has every cv2 name the app uses (packaging/check_opencv.py), without building."""

from __future__ import annotations

import sys
import types

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "packaging"))
import build_wheels
import check_opencv


def test_each_source_is_the_one_the_lock_pins_with_its_hashes():
    for name in build_wheels.RECIPES:
        block = build_wheels.lock_blocks(name)
        assert block.startswith(f"{name}=="), block[:80]
        assert "--hash=sha256:" in block
        assert "# via" not in block  # comments would end pip's continued line early
        lines = [line for line in block.splitlines() if line and not line.startswith(" ")]
        assert all(line.startswith(f"{name}==") for line in lines), lines


def test_a_package_missing_from_the_lock_is_refused(tmp_path):
    lock = tmp_path / "packaging.lock"
    lock.write_text("numpy==2.4.6 \\\n    --hash=sha256:00\n")
    with pytest.raises(SystemExit, match="opencv-python-headless is not in"):
        build_wheels.lock_blocks("opencv-python-headless", lock)


def test_the_opencv_build_leaves_out_ffmpeg_blas_and_every_module_the_app_does_not_use():
    args = build_wheels.RECIPES["opencv-python-headless"].env["CMAKE_ARGS"].split()
    assert "-DBUILD_LIST=core,imgproc,imgcodecs,videoio,python3" in args
    for off in ("-DWITH_FFMPEG=OFF", "-DWITH_LAPACK=OFF", "-DWITH_GSTREAMER=OFF"):
        assert off in args
    assert "-DWITH_V4L=ON" in args and "-DWITH_WEBP=ON" in args  # cameras; posters in WebP
    assert "setup-args=-Dblas=none" in build_wheels.RECIPES["numpy"].config


def test_the_stub_patch_makes_only_the_typing_files_optional(tmp_path):
    (tmp_path / "setup.py").write_text(
        'if not found and "gapi" not in relpath_re:\n    raise Exception("Not found")\n'
    )
    build_wheels._opencv_setup_patch(tmp_path)
    patched = (tmp_path / "setup.py").read_text()
    assert '("gapi", "typing", "py.typed")' in patched
    compile(patched, "setup.py", "exec")
    with pytest.raises(SystemExit, match="changed upstream"):
        build_wheels._opencv_setup_patch(tmp_path)  # already patched: no line to change


def test_the_cache_key_follows_the_recipe():
    python = sys.executable
    key = build_wheels.cache_key("numpy", python)
    assert key == build_wheels.cache_key("numpy", python)
    assert key != build_wheels.cache_key("opencv-python-headless", python)


def test_every_cv2_name_the_app_uses_is_found_including_submodules():
    names = check_opencv.used_names(REPO / "reeleditor")
    assert ("cvtColor",) in names and ("COLOR_YUV2BGR_I420",) in names
    assert any(chain[0] == "videoio_registry" for chain in names)


def test_a_name_missing_from_the_opencv_build_is_reported():
    fake = types.ModuleType("cv2")
    fake.resize = object()
    fake.utils = types.ModuleType("cv2.utils")
    chains = {("resize",), ("inpaint",), ("utils", "logging"), ("resize", "__doc__")}
    assert check_opencv.missing_names(fake, chains) == ["cv2.inpaint", "cv2.utils.logging"]


def test_a_missing_build_tool_is_named_before_anything_is_downloaded(monkeypatch, tmp_path):
    monkeypatch.setattr(build_wheels, "CACHE", tmp_path)
    recipe = build_wheels.Recipe(tools=("no-such-assembler-xyz",))
    monkeypatch.setitem(build_wheels.RECIPES, "numpy", recipe)
    with pytest.raises(SystemExit, match="needs no-such-assembler-xyz"):
        build_wheels.build("numpy", sys.executable)
    assert not list(tmp_path.iterdir())


def test_the_opencv_build_requires_nasm_for_simd_jpeg():
    assert "nasm" in build_wheels.RECIPES["opencv-python-headless"].tools
