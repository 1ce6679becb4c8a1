"""One typed settings object for every service (env prefix ``GONGKAI_``)."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Configuration read from the environment (``GONGKAI_*``) with embedded defaults.

    >>> Settings(data_dir=Path("/tmp/gk"), bus="embedded").bus_kind
    'embedded'
    """

    model_config = SettingsConfigDict(env_prefix="GONGKAI_", env_ignore_empty=True, extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    bus: str = Field(default="embedded", description="'embedded' (SQLite log) or kafka://HOST:PORT[,HOST:PORT]")
    index: str = Field(default="embedded", description="'embedded' (SQLite FTS5) or http(s)://elasticsearch")

    # Kafka tuning: defaults suit a real cluster; tests against Tansu shorten the group timeouts.
    kafka_partitions: int = Field(default=3, ge=1)
    kafka_replication: int = Field(default=1, ge=1)
    kafka_idempotence: bool = True
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    kafka_rebalance_timeout_ms: int = 10_000

    # The faust stats app on Kafka (services/stats/faust_app.py).
    stats_counters: Literal["local", "faust"] = Field(
        default="local",
        description="where the stats API reads counters: 'local' (stats.db) or 'faust' (the faust tables' changelog)",
    )
    faust_app_id: str = Field(default="gongkai-stats", description="faust app id: consumer group and table topics")
    faust_web_port: int = Field(default=6066, ge=1, le=65535, description="the faust worker's HTTP port")
    faust_producer_max_batch_size: int | None = Field(
        default=None, ge=1, description="bytes per producer batch; 1 only for the Tansu test broker"
    )

    # Consumer delivery policy: retries with exponential backoff, then the dead-letter topic.
    handler_max_attempts: int = Field(default=5, ge=1)
    handler_backoff_s: float = Field(default=0.05, ge=0)
    embedded_poll_s: float = Field(default=0.5, gt=0, description="safety poll for writers in other processes")

    rereview_months: int = Field(default=12, ge=1, le=60, description="Art. 18: withheld items are re-reviewed")

    agency_name: str = Field(default="某市发展和改革委员会", max_length=100, description="the agency, in reports")

    # Disclosure requests: what the law leaves open (spec §A3 [M]); the statutory periods are fixed.
    records_start_on: date = Field(default=date(2008, 5, 1), description="no record may be dated earlier")
    fee_payment_workdays: int = Field(default=20, ge=1, le=60, description="109号文: time to pay a fee notice")
    fee_pauses_clock: bool = Field(default=True, description="the answer clock stops while a fee is unpaid")
    due_soon_workdays: int = Field(default=3, ge=1, le=20, description="open cases due within this are 'due soon'")
    # Letters (信箱, 在线咨询): local time limits in working days from receipt (spec §D).
    letter_workdays: int = Field(default=5, ge=1, le=60, description="a letter's time limit, working days from receipt")
    letter_max_workdays: int = Field(default=10, ge=1, le=60, description="the ceiling after the one extension")
    letter_workdays_by_category: dict[str, int] = Field(
        default_factory=dict, description='per "kind.category", "category" or "kind", e.g. {"consultation.help": 3}'
    )
    # Deputies' suggestions and CPPCC proposals: the reply classes of the jurisdiction (spec §D [S]).
    proposal_result_classes: dict[str, str] = Field(
        default_factory=lambda: {
            "A": "所提问题已经解决或者基本解决",
            "B": "正在解决或者列入规划逐步解决",
            "C": "因目前条件限制或者其他原因需待以后解决",
            "D": "留作参考",
        },
        description="reply classes of suggestions and proposals, code → label (JSON)",
    )
    sweep_interval_s: float = Field(default=300.0, gt=0, description="how often the deadline sweep runs")

    # The staff console (services/console): where it reaches the JSON API, and how long a sign-in lasts.
    console_api_url: str | None = Field(
        default=None, description="base URL of the API (the gateway) when the console runs apart; unset: in-process"
    )
    console_session_minutes: int = Field(default=480, ge=5, le=24 * 60, description="a session's absolute lifetime")
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60, description="a session ends after this idle time")

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    clock: str | None = Field(default=None, description="ISO instant to freeze the clock at (tests, drills)")
    timezone: str = "Asia/Shanghai"

    @field_validator("proposal_result_classes")
    @classmethod
    def _result_classes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value or any(not 1 <= len(code) <= 8 or not label for code, label in value.items()):
            raise ValueError("give at least one reply class, codes of 1 to 8 characters with a label")
        return value

    @field_validator("bus")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        if value != "embedded" and not value.startswith("kafka://"):
            raise ValueError("bus must be 'embedded' or kafka://HOST:PORT")
        return value

    @field_validator("console_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("console_api_url must be an http(s) URL")
        return value.rstrip("/") if value else None

    @field_validator("index")
    @classmethod
    def _known_index(cls, value: str) -> str:
        if value != "embedded" and not value.startswith(("http://", "https://")):
            raise ValueError("index must be 'embedded' or an http(s) Elasticsearch URL")
        return value

    @property
    def bus_kind(self) -> Literal["embedded", "kafka"]:
        return "embedded" if self.bus == "embedded" else "kafka"

    @cached_property
    def kafka_bootstrap(self) -> str:
        return self.bus.removeprefix("kafka://")

    def path(self, name: str) -> Path:
        """A file in the data directory, which is created on first use."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir / name
