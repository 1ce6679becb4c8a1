"""External tools the deployment checks run: installed by ``make deploy-tools``, required in CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CHECK_JSONSCHEMA = ROOT / ".tools" / "check-jsonschema" / "bin" / "check-jsonschema"


def require(name: str, *elsewhere: Path) -> str:
    """The tool's path; outside CI a missing tool skips the test (and says how to get it), in CI it fails."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    for candidate in elsewhere:
        if found is None and os.access(candidate, os.X_OK):
            found = str(candidate)
    if found is not None:
        return found
    message = f"{name} is not installed: `make deploy-tools` installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
