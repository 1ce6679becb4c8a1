"""Every setting the code reads is documented, and nothing documented is gone."""

from __future__ import annotations

import re
from pathlib import Path

from gongkai.settings import Settings

DOC = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"GONGKAI_{name.upper()}" in DOC, name


def test_every_documented_setting_exists() -> None:
    documented = set(re.findall(r"`GONGKAI_([A-Z_]+)`", DOC)) - {"LOG_LEVEL"}
    assert documented <= {name.upper() for name in Settings.model_fields}
