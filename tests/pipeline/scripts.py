"""The scripts/ modules (not a package: they run as files), loaded for their pure parts."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from offline.engine import REPO_ROOT


def load_script(name: str) -> ModuleType:
    """scripts/<name>.py as a module named `name`."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
