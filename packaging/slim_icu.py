"""Rebuilds Qt's ICU data library with only what an English-only Qt app reads (32 MB -> ~4 MB).

Why: PySide6's Linux wheels link Qt Core against ICU 73, whose data library
(`libicudata.so.73`, one symbol `icudt73_dat` holding an ICU data package) carries every
locale's names, units, currencies, collations, transliterators and break dictionaries:
30.6 MB of the bundle. Qt reads ICU for collation (QCollator: file dialogs sort with it),
case mapping and legacy text codecs; the app is in English and reads and writes UTF-8.

How, with ICU's own tools and no ICU source: the package is cut out of the library
(`nm` gives the symbol, `readelf` the section it sits in), `icupkg` (Debian's
icu-devtools) removes the items below, and the smaller package is linked back into a
library with the same soname and symbol (`.incbin` through gcc), which is how ICU's own
`pkgdata` makes that library.

Kept: the root and English locales in every tree, the root collation and its UCA data,
the break rules and their dictionaries (the root locale names them), normalisation,
properties, time-zone rules and every non-locale file. Removed: every other locale's
data, transliterators, spell-out rules, and the code-page tables (`*.cnv`: Shift-JIS,
EBCDIC, windows-125x...); UTF-8/16/32, ISO-8859-1 and US-ASCII are built into ICU.
What is missing falls back to root, as ICU does for any locale it was not built with.

    python packaging/slim_icu.py SOURCE_LIB OUT_LIB     # prints the sizes on stderr
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENGLISH = {"root", "en", "en_US", "en_US_POSIX", "res_index", "pool"}
LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]*)*$")  # af, en_US, zh_Hant_TW, es_419, de_ ...
DROPPED_TREES = {"translit", "rbnf"}  # nothing in Qt reads these


def wanted(item: str) -> bool:
    """Whether a package item (e.g. 'coll/zh.res', 'brkitr/cjdict.dict') stays."""
    path = Path(item)
    tree = path.parts[0] if len(path.parts) > 1 else ""
    if tree in DROPPED_TREES or path.suffix == ".cnv":
        return False
    if path.suffix == ".res" and LOCALE.match(path.stem):
        return path.stem in ENGLISH
    return True


def _symbol(lib: Path) -> tuple[str, int, int]:
    """The data symbol's name, address and size (`icudt73_dat`)."""
    out = subprocess.run(
        ["nm", "-D", "-S", "--defined-only", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and re.fullmatch(r"icudt\d+_dat", parts[3]):
            return parts[3], int(parts[0], 16), int(parts[1], 16)
    raise RuntimeError(f"{lib}: no icudtNN_dat symbol; is it ICU's data library?")


def _file_offset(lib: Path, address: int) -> int:
    """Where in the file the byte at `address` lives, from the section headers."""
    out = subprocess.run(
        ["readelf", "-SW", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        fields = line.split("]", 1)[-1].split()
        if len(fields) >= 5 and fields[1] == "PROGBITS":
            start, offset, size = (int(f, 16) for f in fields[2:5])
            if start <= address < start + size:
                return offset + address - start
    raise RuntimeError(f"{lib}: address {address:#x} is in no section")


def slim(source: Path, target: Path) -> tuple[int, int]:
    """Writes the slim library to `target`; returns (items kept, items removed)."""
    name, address, size = _symbol(source)
    with tempfile.TemporaryDirectory(prefix="slim-icu-") as tmp:
        work = Path(tmp)
        with source.open("rb") as f:
            f.seek(_file_offset(source, address))
            package = f.read(size)
        full = work / f"{name[:-4]}l.dat"  # icudt73l.dat: little-endian, as icupkg expects
        full.write_bytes(package)
        items = subprocess.run(
            ["icupkg", "-l", str(full)], capture_output=True, text=True, check=True
        ).stdout.split()
        removed = [item for item in items if not wanted(item)]
        (work / "remove.txt").write_text("\n".join(removed) + "\n")
        # the item names inside carry the package's name, which icupkg takes from the
        # output file's: it must be icudt73l.dat too, or ICU finds none of them
        (work / "small").mkdir()
        small = work / "small" / full.name
        subprocess.run(
            ["icupkg", "-r", str(work / "remove.txt"), str(full), str(small)], check=True
        )
        # the package needs 16-byte alignment; the symbol keeps its name and type
        (work / "data.S").write_text(
            f".section .rodata\n.balign 16\n.globl {name}\n.type {name}, @object\n"
            f'{name}:\n.incbin "{small}"\n.size {name}, . - {name}\n'
            '.section .note.GNU-stack,"",@progbits\n'
        )
        soname = source.name
        out = work / soname
        subprocess.run(
            [
                "gcc",
                "-shared",
                "-nostdlib",
                f"-Wl,-soname,{soname}",
                "-Wl,-z,noexecstack",
                "-o",
                str(out),
                str(work / "data.S"),
            ],
            check=True,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, target)
    return len(items) - len(removed), len(removed)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: slim_icu.py SOURCE_LIB OUT_LIB", file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    kept, removed = slim(source, target)
    print(
        f"slim_icu: {source.name} {source.stat().st_size / 2**20:.1f} MiB -> "
        f"{target.stat().st_size / 2**20:.1f} MiB ({kept} items kept, {removed} removed)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
