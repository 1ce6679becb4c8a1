"""docker-compose.yml is valid against the Compose specification's JSON Schema (check-jsonschema's vendored
copy, in its own environment made by ``make deploy-tools``: it needs a newer jsonschema than the project's)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.deploy.tools import CHECK_JSONSCHEMA, ROOT, require


def test_the_compose_file_follows_the_compose_specification() -> None:
    tool = require("check-jsonschema", CHECK_JSONSCHEMA)
    done = subprocess.run(
        [tool, "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_check_would_catch_a_broken_file(tmp_path: Path) -> None:
    tool = require("check-jsonschema", CHECK_JSONSCHEMA)
    broken = tmp_path / "docker-compose.yml"
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("restart: unless-stopped", "restart: [unless-stopped]", 1), encoding="utf-8")
    done = subprocess.run([tool, "--builtin-schema", "vendor.compose-spec", str(broken)], capture_output=True)
    assert done.returncode != 0
