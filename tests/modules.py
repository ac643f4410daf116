"""Loading a file that is not on the import path (a migration, a script) as a module, for tests that call into it."""

from __future__ import annotations

import sys
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "storage" / "migrations" / "versions"


def load_module(path: Path, name: str) -> ModuleType:
    """The file run as the module `name`, registered in sys.modules (dataclasses look their module up there)."""
    spec = spec_from_file_location(name, path)
    assert spec and spec.loader
    module = module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
