"""Reading deploy/gateway/nginx.conf: its routing table (the ``map`` block) and its upstreams."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.tools import ROOT

CONF = ROOT / "deploy" / "gateway" / "nginx.conf"


@dataclass(frozen=True)
class RoutingTable:
    rules: tuple[tuple[re.Pattern[str], str], ...]
    default: str

    def service_for(self, method: str, path: str) -> str:
        """What nginx's ``map`` does: regular expressions in order, the first match wins, else the default."""
        subject = f"{method} {path}"
        for pattern, service in self.rules:
            if pattern.search(subject):
                return service
        return self.default


def text() -> str:
    return CONF.read_text(encoding="utf-8")


def routing_table(conf: str | None = None) -> RoutingTable:
    conf = text() if conf is None else conf
    block = re.search(r'map "\$request_method \$uri" \$gongkai_service \{(.*?)\n\}', conf, re.S)
    assert block, "the gateway's map block is missing"
    rules: list[tuple[re.Pattern[str], str]] = []
    default = None
    for raw in block.group(1).splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("default "):
            default = line.removeprefix("default ").split(";")[0].strip()
            continue
        found = re.fullmatch(r'"~([^"]+)"\s+(\w+);\s*(?:#.*)?', line)
        assert found, f"cannot read map line {line!r}: use only quoted regular expressions"
        rules.append((re.compile(found.group(1)), found.group(2)))
    assert default, "the map needs a default"
    return RoutingTable(tuple(rules), default)


def upstreams(conf: str | None = None) -> dict[str, str]:
    """Upstream name → its ``server`` address."""
    conf = text() if conf is None else conf
    found = re.findall(r"upstream (\w+) \{[^}]*?server ([\w.-]+:\d+)[^;]*;", conf, re.S)
    return dict(found)


def for_test(conf: str, *, listen: int, backends: dict[str, int], scratch: Path) -> str:
    """The same configuration with the upstreams on loopback ports and the logs in ``scratch``.

    Only the ``server`` lines and the listener change: Debian's nginx 1.22 predates ``resolve``."""
    out = re.sub(r"listen 80;", f"listen 127.0.0.1:{listen};", conf)
    for name, port in backends.items():
        out, n = re.subn(rf"server {name}:\d+[^;]*;", f"server 127.0.0.1:{port};", out)
        assert n == 1, name
    return out.replace("/var/log/nginx/access.log", str(scratch / "access.log"))
