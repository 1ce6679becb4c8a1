"""The ``gongkai`` command: the composition root that wires services to the kernel.

The kernel never imports a service; this module does, lazily, by name.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import click

from gongkai.auth import Role, create_token
from gongkai.runtime import Platform, ServiceBuilder
from gongkai.settings import Settings

__all__ = ["SERVICE_NAMES", "main"]

SERVICE_NAMES = ("intake", "review", "publish", "stats")


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
    where = f"http://{settings.host}:{settings.port}"
    click.echo(f"Gongkai {'+'.join(names)} on {where} (bus: {settings.bus_kind}, data: {settings.data_dir})")
    # Access logs would record query strings (tracking codes, search terms): off by default.
    uvicorn.run(platform.app(), host=settings.host, port=settings.port, access_log=False, log_level="warning")


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
    """Run all four services in one process (embedded bus and index by default)."""
    _serve(_settings(data_dir, host, port), SERVICE_NAMES)


@cli.command()
@click.argument("service", type=click.Choice(SERVICE_NAMES))
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
    settings = _settings(data_dir)
    click.echo(create_token(settings.path("auth.db"), role=Role(role), name=name or role))


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


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="gongkai")
