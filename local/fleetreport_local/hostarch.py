"""Import an arm64 build on another machine: the layer's native modules come from the host's venv.

template.yaml builds the layers for arm64 (what Lambda runs), so `sam build` puts aarch64 wheels of
pydantic-core (and cryptography) in them; those cannot load on an x86_64 developer machine. The
packaging test and the cold-start bench import the built artifacts here, so `host_overlay` makes a
directory to put before the layer on `sys.path`: for each top-level package or module of the layer
holding a native library of another architecture, a link to the venv's copy (the same pinned
version, built for this machine). Everything else still comes from the build.
"""

from __future__ import annotations

import platform
from pathlib import Path

# ELF e_machine values (offset 18, little-endian) of the architectures Lambda runs.
_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64"}
_HOST = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())


def native_architecture(library: Path) -> str | None:
    """The architecture an ELF shared library is built for (None: not ELF, or unknown)."""
    with library.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    return _ELF_MACHINES.get(int.from_bytes(header[18:20], "little"))


def foreign_top_levels(layer: Path) -> set[str]:
    """Top-level names (package dirs or module files) of `layer` with a library this host cannot load."""
    foreign = set()
    for library in layer.rglob("*.so*"):
        architecture = native_architecture(library) if library.is_file() else None
        if architecture is not None and architecture != _HOST:
            foreign.add(library.relative_to(layer).parts[0])
    return foreign


def host_overlay(layer: Path, site_packages: Path, scratch: Path) -> Path | None:
    """A directory of links to the host's copies of the layer's foreign packages (None: none needed)."""
    foreign = foreign_top_levels(layer)
    if not foreign:
        return None
    scratch.mkdir(parents=True, exist_ok=True)
    for name in sorted(foreign):
        module = name.split(".", 1)[0]  # `_cffi_backend.cpython-312-aarch64-linux-gnu.so` -> `_cffi_backend`
        matches = [p for p in site_packages.iterdir() if p.name == name or p.name.split(".", 1)[0] == module]
        if not matches:
            raise RuntimeError(f"{name} in {layer} is built for another machine and the venv has no {module}")
        for match in matches:
            link = scratch / match.name
            if not link.exists():
                link.symlink_to(match)
    return scratch
