"""The ``gongkai`` command: the composition root that wires services to the kernel.

The kernel never imports a service; this module does, lazily, by name.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gongkai.auth import Role, create_token
from gongkai.runtime import Platform, ServiceBuilder, tune_interpreter
from gongkai.settings import Settings

if TYPE_CHECKING:
    from gongkai.accounts import AccountStore

__all__ = ["FRONTEND_NAMES", "SERVICE_NAMES", "main"]

SERVICE_NAMES = ("intake", "review", "publish", "stats")
#: Units that consume no events and reach the services only through their HTTP API (services/console):
#: `gongkai up` runs them beside the services, `gongkai serve console` alone (with GONGKAI_CONSOLE_API_URL).
FRONTEND_NAMES = ("console",)


def service_builder(name: str) -> ServiceBuilder:
    module = importlib.import_module(f"services.{name}")
    builder: ServiceBuilder = module.build
    return builder


def _settings(data_dir: Path | None, host: str | None = None, port: int | None = None) -> Settings:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    return Settings(**overrides)  # type: ignore[arg-type]


def _serve(settings: Settings, names: Sequence[str]) -> None:
    import uvicorn

    logging.basicConfig(
        level=os.environ.get("GONGKAI_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The Kafka clients log whole records at DEBUG: never let personal data reach the logs.
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLogger().level))
    platform = Platform(settings, [service_builder(n) for n in names])
    app = platform.app()
    tune_interpreter()  # after everything long-lived at startup exists
    where = f"http://{settings.host}:{settings.port}"
    click.echo(f"Gongkai {'+'.join(names)} on {where} (bus: {settings.bus_kind}, data: {settings.data_dir})")
    # Access logs would record query strings (tracking codes, search terms): off by default.
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False, log_level="warning")


_data_dir = click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="default: $GONGKAI_DATA_DIR or ./var"
)


@click.group()
def cli() -> None:
    """Gongkai (公开): government information disclosure platform."""


@cli.command()
@click.option("--host", default=None, help="default 127.0.0.1")
@click.option("--port", type=int, default=None, help="default 8000")
@_data_dir
def up(host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Run all four services and the staff console in one process (embedded bus and index by default)."""
    _serve(_settings(data_dir, host, port), (*SERVICE_NAMES, *FRONTEND_NAMES))


@cli.command()
@click.argument("service", type=click.Choice((*SERVICE_NAMES, *FRONTEND_NAMES)))
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@_data_dir
def serve(service: str, host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Run one service alone (set GONGKAI_BUS=kafka://HOST:PORT to share events over Kafka)."""
    _serve(_settings(data_dir, host, port), [service])


@cli.group()
def token() -> None:
    """Staff API tokens."""


@token.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="who or what holds the token")
@_data_dir
def token_create(role: str, name: str, data_dir: Path | None) -> None:
    """Create a token; it is printed once and only its hash is stored."""
    from gongkai.clock import clock_from_setting

    settings = _settings(data_dir)
    now = clock_from_setting(settings.clock).now()
    click.echo(create_token(settings.path("auth.db"), role=Role(role), name=name or role, created_at=now))


@token.command("list")
@_data_dir
def token_list(data_dir: Path | None) -> None:
    """List the tokens: id, role, name, created (the tokens themselves are not stored)."""
    from gongkai.auth import list_tokens

    for token_id, role, name, created in list_tokens(_settings(data_dir).path("auth.db")):
        click.echo(f"{token_id}  {role.value:<9}  {created}  {name}")


@token.command("revoke")
@click.argument("token_id")
@_data_dir
def token_revoke(token_id: str, data_dir: Path | None) -> None:
    """Revoke the token with TOKEN_ID (from `gongkai token list`); services stop accepting it within 30 s."""
    from gongkai.auth import revoke_token

    if not revoke_token(_settings(data_dir).path("auth.db"), token_id.lower()):
        raise click.UsageError(f"no single token has the id {token_id}")
    click.echo(f"token {token_id} revoked")


@cli.group()
def calendar() -> None:
    """The working-day calendar (放假安排 and local adjustments)."""


@calendar.command("show")
@_data_dir
def calendar_show(data_dir: Path | None) -> None:
    """Which years are provisional, and the overrides."""
    from datetime import date

    from gongkai.calendar_admin import CalendarFile

    cal = CalendarFile(_settings(data_dir).path("calendar.json")).calendar
    this_year = date.today().year
    click.echo(f"loaded years: {sorted(cal.overrides.years) or '-'}")
    click.echo(f"provisional: {sorted(cal.provisional_years(range(this_year - 1, this_year + 3))) or '-'}")
    for o in sorted(cal.overrides.overrides.values(), key=lambda o: o.day):
        click.echo(f"{o.day.isoformat()} {o.kind.value} {o.note}")


@calendar.command("load-year")
@click.argument("year", type=int)
@click.option("--holiday", "holidays", multiple=True, required=True, help="YYYY-MM-DD, repeatable")
@click.option("--workday", "workdays", multiple=True, help="an adjusted working weekend (调休), repeatable")
@click.option("--note", default="")
@_data_dir
def calendar_load_year(
    year: int, holidays: tuple[str, ...], workdays: tuple[str, ...], note: str, data_dir: Path | None
) -> None:
    """Load a year's State Council 放假安排: its deadlines stop being provisional."""
    from datetime import date

    from gongkai.calendar_admin import CalendarFile
    from gongkai.workdays import InvalidCalendarData

    try:
        rest = [date.fromisoformat(d) for d in holidays]
        work = [date.fromisoformat(d) for d in workdays]
        CalendarFile(_settings(data_dir).path("calendar.json")).update(
            lambda c: c.load_year(year, holidays=rest, workdays=work, note=note)
        )
    except (ValueError, InvalidCalendarData) as exc:
        raise click.BadParameter(str(exc)) from exc
    click.echo(f"{year}: {len(rest)} holidays, {len(work)} working weekends loaded")


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs/events"), show_default=True)
def schemas(out: Path) -> None:
    """Write the AsyncAPI document and JSON Schemas generated from the event catalog."""
    from gongkai.schemas import write_schemas

    for path in write_schemas(out):
        click.echo(path)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_data_dir
@click.option("--category", default=None, help="for files the metadata sidecar does not classify, e.g. art20.1")
@click.option("--department", default=None, help="for files the sidecar does not attribute, e.g. 办公室")
@click.option("--doc-type", type=click.Choice(["regulation", "normative", "other"]), default=None)
@click.option(
    "--metadata",
    "metadata_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="a CSV or JSON sidecar for all PATHs (metadata.csv/.json inside folders and zips are read too)",
)
@click.option("--already-published", is_flag=True, help="the items were public before: they keep that date")
@click.option("--dry-run", is_flag=True, help="read and validate everything, publish nothing")
def import_(
    paths: tuple[Path, ...],
    data_dir: Path | None,
    category: str | None,
    department: str | None,
    doc_type: str | None,
    metadata_file: Path | None,
    already_published: bool,
    dry_run: bool,
) -> None:
    """Import an archive (.txt .html .docx .pdf files, folders, zips) into review.

    Exit status: 0 all imported, 1 some files failed (the rest were imported), 2 usage error.
    """
    import asyncio
    import contextlib

    from tqdm import tqdm  # type: ignore[import-untyped]

    from gongkai.vocabulary import is_known_category
    from services.intake import importer

    if category is not None and not is_known_category(category):
        raise click.BadParameter("use art20.1 … art20.15", param_hint="--category")
    sidecar = None
    if metadata_file is not None:
        try:
            sidecar = importer.parse_sidecar(metadata_file.read_bytes(), str(metadata_file))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--metadata") from exc
    # pypdf logs every repair of a damaged file; the summary already names the file and the reason.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    defaults = importer.ItemMetadata(category=category, department=department, doc_type=doc_type)  # type: ignore[arg-type]
    options = importer.ImportOptions(defaults=defaults, already_published=already_published)
    with contextlib.ExitStack() as stack:
        sources = importer.collect_sources(paths, stack=stack, metadata=sidecar)
        with tqdm(total=len(sources), unit="file", desc="import") as bar:  # on stderr
            report = asyncio.run(
                importer.run_import(
                    sources,
                    settings=_settings(data_dir),
                    options=options,
                    dry_run=dry_run,
                    on_file=lambda _: bar.update(),
                )
            )
    for line in importer.summary_lines(report):
        click.echo(line)
    raise SystemExit(report.exit_code)


@cli.command()
@_data_dir
def reindex(data_dir: Path | None) -> None:
    """Rebuild the search index from the public event stream and swap it in; search keeps answering."""
    import asyncio

    from tqdm import tqdm

    from gongkai.index.rebuild import reindex as rebuild_index

    bar = tqdm(unit="event", desc="reindex")

    def progress(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    live = asyncio.run(rebuild_index(_settings(data_dir), progress=progress))
    bar.close()
    click.echo(f"{live} documents live in the new index")


@cli.group("publish")
def publish_group() -> None:
    """The publish service's own state (publish.db)."""


@publish_group.command("rebuild-letters")
@_data_dir
@click.option("--check", is_flag=True, help="only compare with the log: change nothing, exit 1 if they differ")
def publish_rebuild_letters(data_dir: Path | None, check: bool) -> None:
    """Rebuild the published letters and proposal replies from gongkai.public.letters (the service may run)."""
    import asyncio

    from services.publish.letters_rebuild import rebuild_letters

    result = asyncio.run(rebuild_letters(_settings(data_dir), check=check))
    click.echo(f"{result.events} events replayed: {result.shown} public, {result.withdrawn} withdrawn")
    if result.identical:
        click.echo("identical to the tables before")
        return
    if not check:
        click.echo(f"{result.changed} letters differed from the log and were rebuilt")
        return
    click.echo(f"{result.changed} letters differ from the log; nothing changed (run without --check to rebuild)")
    raise SystemExit(1)


@cli.group()
def stats() -> None:
    """Statistics: rebuild the counters from the event log."""


@stats.command("rebuild")
@_data_dir
@click.option("--replace", is_flag=True, help="install the rebuilt counters (stop the stats service first)")
def stats_rebuild(data_dir: Path | None, replace: bool) -> None:
    """Replay the event log into fresh counters; exit 1 if they differ from the live ones."""
    import asyncio

    from tqdm import tqdm

    from services.stats.rebuild import rebuild

    bar = tqdm(unit="event", desc="stats rebuild")

    def progress(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    result = asyncio.run(rebuild(_settings(data_dir), progress=progress, replace=replace))
    bar.close()
    click.echo(f"{result.events} events replayed into {result.counters} counters")
    if result.identical:
        click.echo("identical to the live counters")
        return
    for (name, year, labels), (live, rebuilt) in sorted(result.differences.items()):
        click.echo(f"differs: {name} {year} {dict(labels)}: live {live}, rebuilt {rebuilt}")
    raise SystemExit(1)


@stats.command("faust")
@_data_dir
@click.option("--web-port", type=int, default=None, help="the worker's HTTP port (GONGKAI_FAUST_WEB_PORT)")
@click.option("--loglevel", default="info", show_default=True)
def stats_faust(data_dir: Path | None, web_port: int | None, loglevel: str) -> None:
    """Run the stats counters as a faust-streaming worker on Kafka (GONGKAI_BUS=kafka://…)."""
    from services.stats.faust_app import run_worker

    run_worker(_settings(data_dir), web_port=web_port, loglevel=loglevel)


@stats.command("faust-counters")
@_data_dir
def stats_faust_counters(data_dir: Path | None) -> None:
    """Print the faust app's durable counters, read from its changelog, as JSON."""
    import asyncio
    import json

    from services.stats.faust_app import FaustConfig, read_counters

    counters = asyncio.run(read_counters(FaustConfig.from_settings(_settings(data_dir))))
    rows = [
        {"name": name, "year": year, "labels": dict(labels), "value": value}
        for (name, year, labels), value in sorted(counters.items())
    ]
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))


@cli.group()
def report() -> None:
    """Reports: the annual report (政府信息公开工作年度报告)."""


@report.command("annual")
@click.argument("year", type=int)
@_data_dir
@click.option("--format", "fmt", type=click.Choice(["json", "md", "html", "xlsx"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="default: stdout")
def report_annual(year: int, data_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Write YEAR's annual report from the stats counters (json, md, html or xlsx)."""
    import json

    from gongkai.db import connect
    from services.stats import store
    from services.stats.render import render
    from services.stats.report import annual_report

    settings = _settings(data_dir)
    conn = connect(settings.path("stats.db"))
    try:
        conn.executescript(store.SCHEMA)
        built = annual_report(year, store.all_counters(conn), store.entries(conn, year), agency=settings.agency_name)
    finally:
        conn.close()
    if fmt == "json":
        body = (json.dumps(built, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    else:
        body, _ = render(built, fmt)
    if output is None:
        if fmt == "xlsx":
            raise click.BadParameter("xlsx is binary: give -o FILE", param_hint="--output")
        click.echo(body.decode(), nl=False)
    else:
        output.write_bytes(body)
        click.echo(f"wrote {output}", err=True)


@cli.command()
@click.argument("topic")
@click.option("-n", "--lines", type=click.IntRange(min=0), default=10, show_default=True, help="start with the last N")
@click.option("--from-beginning", is_flag=True, help="start with the topic's first event")
@click.option("-f", "--follow", is_flag=True, help="keep printing events as they arrive (Ctrl-C ends)")
@click.option("--type", "types", multiple=True, help="only events of this type, repeatable")
@click.option("--json", "as_json", is_flag=True, help="whole records (internal topics carry personal data)")
@_data_dir
def tail(
    topic: str,
    lines: int,
    from_beginning: bool,
    follow: bool,
    types: tuple[str, ...],
    as_json: bool,
    data_dir: Path | None,
) -> None:
    """Print a topic's events, one line each, on either bus; joins no consumer group (gongkai/tail.py)."""
    from gongkai import tail as tailing

    last = None if from_beginning else lines
    try:
        tailing.run(_settings(data_dir), topic, last=last, follow=follow, types=types, as_json=as_json, echo=click.echo)
    except (tailing.UnknownTopicName, tailing.NoEventLog) as exc:
        raise click.UsageError(str(exc)) from exc


@cli.group()
def user() -> None:
    """Staff accounts for the console (/console); API tokens stay for integrations."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", default="", help="the name the console shows, e.g. 王审查 (default: USERNAME)")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin (scripts)")
@_data_dir
def user_create(username: str, role: str, display_name: str, password_stdin: bool, data_dir: Path | None) -> None:
    """Create a console user; the password is prompted twice and stored as an argon2id hash."""
    import sys

    from gongkai.accounts import AccountStore, InvalidAccount, check_password, normalize_username
    from gongkai.clock import clock_from_setting

    settings = _settings(data_dir)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    try:
        check_password(password)
        AccountStore.from_settings(settings, clock_from_setting(settings.clock)).create_user(
            username, password, Role(role), display_name
        )
    except InvalidAccount as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"user {normalize_username(username)} created with the role {role}; sign in at /console/login")


def _accounts(data_dir: Path | None) -> AccountStore:
    from gongkai.accounts import AccountStore
    from gongkai.clock import clock_from_setting

    settings = _settings(data_dir)
    return AccountStore.from_settings(settings, clock_from_setting(settings.clock))


def _account_change(change: Callable[[], None], done: str) -> None:
    from gongkai.accounts import InvalidAccount

    try:
        change()
    except InvalidAccount as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(done)


@user.command("list")
@_data_dir
def user_list(data_dir: Path | None) -> None:
    """List the console users: username, role, display name."""
    for username, role, display in _accounts(data_dir).users():
        click.echo(f"{username:<24} {role.value:<9} {display}")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@_data_dir
def user_role(username: str, role: str, data_dir: Path | None) -> None:
    """Change USERNAME's role; it applies at the user's next request."""
    accounts = _accounts(data_dir)
    _account_change(lambda: accounts.set_role(username, Role(role)), f"user {username} now has the role {role}")


@user.command("disable")
@click.argument("username")
@_data_dir
def user_disable(username: str, data_dir: Path | None) -> None:
    """Disable USERNAME: sign-in refused, sessions ended at once."""
    accounts = _accounts(data_dir)
    _account_change(lambda: accounts.set_disabled(username, True), f"user {username} disabled")


@user.command("enable")
@click.argument("username")
@_data_dir
def user_enable(username: str, data_dir: Path | None) -> None:
    """Enable a disabled USERNAME again."""
    accounts = _accounts(data_dir)
    _account_change(lambda: accounts.set_disabled(username, False), f"user {username} enabled")


@user.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin (scripts)")
@_data_dir
def user_password(username: str, password_stdin: bool, data_dir: Path | None) -> None:
    """Set a new password for USERNAME (prompted twice); the user's sessions end and a lock-out is lifted."""
    import sys

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    accounts = _accounts(data_dir)
    _account_change(lambda: accounts.reset_password(username, password), f"password of {username} changed")


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="gongkai")
