"""Type-check the package `newsmon` with mypy, every module under the name it is installed as.

    python scripts/typecheck.py [mypy option ...]       (`make lint` runs it)

pyproject.toml maps the folders at the top of the repository to subpackages ([tool.setuptools.package-dir]: flows/ is
newsmon.flows, storage/ is newsmon.storage, ...). mypy cannot follow that mapping: it does not run the import hook
of an editable install, and given the folders (`mypy newsmon flows storage ...`) it names their modules flows.*,
storage.*, so every `from newsmon.storage... import` is a missing module. This script reads the packages and the
mapping from pyproject.toml and gives mypy each file with its installed module name: the .py files of every package,
and the Python files shipped as package data (the Alembic migrations). The options are [tool.mypy]'s.
"""

import os
import sys
import time
import tomllib
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.fscache import FileSystemCache
from mypy.main import process_options
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parents[1]


def package_folders(setuptools: dict) -> dict[str, Path]:
    """package -> its folder, as setuptools resolves [tool.setuptools] packages and package-dir."""
    mapping: dict[str, str] = setuptools.get("package-dir", {})
    folders = {}
    for package in setuptools["packages"]:
        parts = package.split(".")
        # the longest mapped prefix decides, as in setuptools; "" maps the root
        for cut in range(len(parts), -1, -1):
            prefix = ".".join(parts[:cut])
            if prefix in mapping or cut == 0:
                folders[package] = ROOT / mapping.get(prefix, "") / Path(*parts[cut:])
                break
    return folders


def sources() -> list[BuildSource]:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = package_folders(setuptools)
    found = []
    for package, folder in folders.items():
        for path in sorted(folder.glob("*.py")):
            module = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found.append(BuildSource(str(path.relative_to(ROOT)), module, None, str(ROOT)))
    for package, patterns in setuptools.get("package-data", {}).items():
        for pattern in patterns:
            for path in sorted(folders[package].glob(pattern)):
                if path.suffix == ".py" and path.parent not in folders.values():
                    relative = path.relative_to(folders[package]).with_suffix("")
                    module = ".".join([package, *relative.parts])
                    found.append(BuildSource(str(path.relative_to(ROOT)), module, None, str(ROOT)))
    return found


def main() -> int:
    started = time.time()
    os.chdir(ROOT)  # pyproject.toml's [tool.mypy], paths as in the repository
    fscache = FileSystemCache()
    _, options = process_options(sys.argv[1:], require_targets=False, fscache=fscache)
    targets = sources()
    try:
        result = build.build(targets, options, fscache=fscache)
        messages, blockers = result.errors, False
    except CompileError as error:
        messages, blockers = error.messages, True
    for line in messages:
        print(line)
    errors = sum(": error:" in line for line in messages)
    files = len({line.split(":", 1)[0] for line in messages if ": error:" in line})
    if errors:
        print(f"Found {errors} error{'s' * (errors != 1)} in {files} file{'s' * (files != 1)} (checked "
              f"{len(targets)} source files{', blocking' if blockers else ''}) in {time.time() - started:.1f} s")
        return 1
    print(f"Success: no issues found in {len(targets)} source files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
