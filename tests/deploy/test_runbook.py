"""The runbook's commands are the real ones: every ``gongkai`` command in docs/operations.md parses against
the CLI (and the safe ones run), every compose service, make target, Kafka tool and HTTP route it names
exists, and its python3 snippets do what the text says on a real data directory."""

from __future__ import annotations

import asyncio
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from gongkai.auth import Role, create_token
from gongkai.bus.embedded import EmbeddedBus
from gongkai.cli import cli
from tests.deploy.events import published
from tests.deploy.routes import owners
from tests.deploy.tools import ROOT

DOC = ROOT / "docs" / "operations.md"
KAFKA_TOOLS = {
    "kafka-topics.sh",
    "kafka-configs.sh",
    "kafka-consumer-groups.sh",
    "kafka-broker-api-versions.sh",
    "kafka-storage.sh",
}
OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "2>&1"}


def blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def commands() -> list[list[str]]:
    """Every command of the sh blocks and of inline code that starts with a command we check, as words."""
    text = DOC.read_text(encoding="utf-8")
    found = []
    for block in blocks():
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] not in ("for", "do", "done", "mkdir", "cp", "export"):
                found.append(words)
    for inline in re.findall(r"`((?:gongkai|docker compose|curl|make) [^`]+)`", text):
        if not any(mark in inline for mark in ("[", "…", "TOPIC", "SERVICE", "HOST")):
            found.append(shlex.split(inline))
    return found


def after(words: list[str], marker: str) -> list[str]:
    index = next(i for i, w in enumerate(words) if w == marker or w.endswith("/" + marker))
    rest = words[index + 1 :]
    cut = next((i for i, w in enumerate(rest) if w in OPERATORS), len(rest))
    return rest[:cut]


def check_gongkai(args: list[str]) -> None:
    command: click.Command = cli
    context = click.Context(cli)
    while isinstance(command, click.Group):
        name, *args = args
        sub = command.get_command(context, name)
        assert sub is not None, f"gongkai has no command {name!r}"
        command = sub
    command.make_context(command.name or "", list(args))  # parses and converts every option


def gongkai_commands() -> list[list[str]]:
    return [
        after(words, "gongkai") for words in commands() if any(w == "gongkai" or w.endswith("/gongkai") for w in words)
    ]


def test_the_runbook_covers_what_the_issue_asks() -> None:
    text = DOC.read_text(encoding="utf-8")
    for heading in (
        "### Start",
        "### Scale out",
        "### Back up and restore the embedded data directory",
        "### Replay a consumer",
        "### Reindex",
        "### Rotate staff tokens",
        "### Load next year's holiday calendar",
        "### Production",
    ):
        assert heading in text, heading
    assert len(gongkai_commands()) >= 10


def test_every_gongkai_command_parses() -> None:
    problems = []
    for args in gongkai_commands():
        try:
            check_gongkai(args)
        except (click.UsageError, click.BadParameter, AssertionError, ValueError) as exc:
            problems.append(f"gongkai {shlex.join(args)}: {exc}")
    assert not problems, "\n".join(problems)


def test_compose_services_make_targets_kafka_tools_and_routes_exist() -> None:
    services = set(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"])
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
    routes = [(method, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")) for method, path in owners()[0]]
    for words in commands():
        if words[:2] == ["docker", "compose"]:
            sub, *rest = after(words, "compose")
            named: list[str] = []
            if sub in ("exec", "run"):
                named = [next(w for w in rest if not w.startswith("-"))]
            elif sub in ("stop", "start", "restart", "logs"):
                named = [w for i, w in enumerate(rest) if not w.startswith("-") and rest[i - 1] != "--tail"]
            named += [w.split("=")[0] for i, w in enumerate(rest) if i and rest[i - 1] == "--scale"]
            assert set(named) <= services, (words, set(named) - services)
        if words[0] == "make":
            assert words[1] in targets, words
        for word in words:
            if word.startswith("/opt/kafka/bin/"):
                assert word.removeprefix("/opt/kafka/bin/") in KAFKA_TOOLS, word
        if words[0] == "curl":
            url = next(w for w in words if w.startswith("http"))
            if ":8000/" in url:
                method = words[words.index("-X") + 1] if "-X" in words else "GET"
                path = "/" + url.split(":8000/", 1)[1].split("?")[0]
                assert any(m == method and p.match(path) for m, p in routes), f"no route {method} {path}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory as `gongkai up` leaves it: the event log with a stats position, tokens, state."""
    var = tmp_path / "var"
    var.mkdir()

    async def fill() -> None:
        bus = EmbeddedBus(var / "bus.db")
        await bus.start()
        await bus.publish(published("d1", "甲"))
        await bus.close()

    asyncio.run(fill())
    with sqlite3.connect(var / "bus.db") as conn:
        conn.execute("INSERT INTO offsets(grp, topic, seq) VALUES ('stats', 'gongkai.public.documents', 1)")
        conn.execute("INSERT INTO offsets(grp, topic, seq) VALUES ('review', 'gongkai.public.documents', 1)")
    for name in ("review.db", "stats.db", "publish.db"):
        with sqlite3.connect(var / name) as conn:
            conn.execute("CREATE TABLE state (x)")
    create_token(var / "auth.db", role=Role.CLERK, name="收文岗-2026")
    return var


def runnable(line: str, var: Path, backup: Path) -> str:
    """A runbook line as it runs here: in a container's /data or the host's var/, backups in a temporary folder."""
    line = re.sub(r"^docker compose exec \w+ ", "", line)
    return line.replace("/data/", f"{var}/").replace("/backup/", f"{backup}/").replace("python3 ", f"{sys.executable} ")


def test_the_backup_and_the_python_snippets_do_what_they_say(data_dir: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    create_token(data_dir / "auth.db", role=Role.CLERK, name="收文岗-2026")
    result = CliRunner().invoke(
        cli, ["calendar", "load-year", "2027", "--holiday", "2027-01-01", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    (block,) = [b for b in blocks() if "backup(" in b]
    done = subprocess.run(
        ["bash", "-euc", runnable(block, data_dir, backup)], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for name in ("bus.db", "auth.db", "review.db", "stats.db", "publish.db", "calendar.json"):
        assert (backup / "gongkai" / name).exists(), name
    with sqlite3.connect(backup / "gongkai" / "bus.db") as conn:
        assert conn.execute("SELECT count(*) FROM log").fetchone() == (1,)

    snippets = [line for b in blocks() for line in b.splitlines() if "python3 -c" in line and "backup(" not in line]
    by_effect = {
        "DELETE FROM offsets WHERE grp = 'stats'": lambda: _groups(data_dir) == {"review"},
        "DELETE FROM offsets')": lambda: _groups(data_dir) == set(),
    }
    for key, check in by_effect.items():
        (line,) = [s for s in snippets if key in s]
        done = subprocess.run(
            ["bash", "-euc", runnable(line, data_dir, backup)], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, (line, done.stderr)
        assert check(), line


def _groups(var: Path) -> set[str]:
    with sqlite3.connect(var / "bus.db") as conn:
        return {row[0] for row in conn.execute("SELECT grp FROM offsets")}


def test_the_safe_gongkai_commands_run(data_dir: Path) -> None:
    ran = 0
    for args in gongkai_commands():
        if args[:2] in (["calendar", "load-year"], ["calendar", "show"], ["token", "create"]) or args[0] == "tail":
            if "--data-dir" in args:
                args = args[: args.index("--data-dir")]
            result = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)])
            assert result.exit_code == 0, (args, result.output)
            ran += 1
    assert ran >= 5
