"""Configuration: pydantic models, loaded from TOML with environment overrides.

Every key can be set in the TOML file or as ``BRIEFBOT_<SECTION>__<KEY>`` in the
environment (the environment wins). The engine's sections live here; the bot adds
its own sections by subclassing :class:`EngineConfig`.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic
# would evaluate each string when the class is built, at every command's start.

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retrieval.algorithms import Algorithm
from retrieval.errors import ConfigError

ENV_PREFIX = "BRIEFBOT_"


class Section(BaseModel):
    # Validators are built when a configuration is first loaded, for the sections it has.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class StorageConfig(Section):
    path: str = Field(
        "",
        description="SQLite file; with a url, this machine's folder for its search index. "
        "Empty means the user's data directory.",
    )
    url: str = Field(
        "", description="PostgreSQL database, postgresql://user:password@host:5432/dbname; empty: SQLite."
    )

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if value and not value.startswith(POSTGRES_SCHEMES):
            raise ValueError("must be a postgresql:// URL (or empty for SQLite)")
        return value

    def pointed_at(self, location: str) -> "StorageConfig":
        """This section with the database ``--db`` names instead: a ``postgresql://`` URL
        (the search index then goes to this machine's folder: the path, or the folder of
        the SQLite file it named), or a SQLite file."""
        if location.startswith(POSTGRES_SCHEMES):
            folder = self.path if self.url else str(self.db_path().parent)
            return self.model_copy(update={"url": location, "path": folder})
        if "://" in location:
            raise ConfigError(
                "--db takes a SQLite file or a postgresql:// URL, not {location}.", location=location
            )
        return self.model_copy(update={"url": "", "path": location})

    def database(self) -> str | Path:
        """Where the data is: the PostgreSQL URL, or the SQLite file."""
        return self.url or self.db_path()

    def db_path(self) -> Path:
        """The SQLite file (without a url)."""
        if self.path:
            return Path(self.path).expanduser()
        return _data_dir() / "briefbot.db"

    def index_path(self) -> Path:
        """The search index, derived from the database: beside the SQLite file, or in this
        machine's folder when the database is PostgreSQL."""
        if not self.url:
            db_path = self.db_path()
            return db_path.with_name(db_path.name + ".index")
        folder = Path(self.path).expanduser() if self.path else _data_dir()
        if folder.is_file():  # a SQLite database's path left there: its folder
            folder = folder.parent
        return folder / "briefbot.index"


POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def _data_dir() -> Path:
    import platformdirs  # 3 ms of start-up, for those who leave the path to it

    return Path(platformdirs.user_data_dir("briefbot"))


class FetchConfig(Section):
    allow_private: bool = False
    timeout_s: float = Field(15, gt=0)
    max_bytes: int = Field(5 * 1024 * 1024, gt=0)
    max_redirects: int = Field(5, ge=0)
    user_agent: str = "Briefbot/0.1 (+https://github.com/briefbot/briefbot)"


class SummaryConfig(Section):
    sentences: int = Field(3, ge=1, le=50)
    algorithm: Algorithm = "hybrid"


class LimitsConfig(Section):
    # The bot keeps its own limits in this section too (bot.config.BotLimitsConfig, which
    # refuses unknown keys): the engine alone passes over them.
    model_config = ConfigDict(extra="ignore")

    max_text_chars: int = Field(1_000_000, gt=0, description="Longest text accepted as one article.")
    max_sentences: int = Field(5_000, gt=0, description="Most sentences kept from one article.")
    max_articles_per_owner: int = Field(
        10_000, gt=0, description="Most articles one chat keeps (feeds' articles don't count)."
    )


class FeedsConfig(Section):
    poll_seconds: int = Field(900, ge=60, description="How often each feed is polled.")
    max_concurrent: int = Field(4, ge=1, le=32, description="Feeds fetched at the same time.")
    max_entries_per_poll: int = Field(30, ge=1, description="Newest entries taken from one poll.")
    max_articles_per_feed: int = Field(500, ge=1, description="A feed keeps its newest articles only.")
    # A list default, which pydantic copies for each configuration: default_factory=list would
    # have inspect parse list's signature from its text when the validator is built.
    urls: list[str] = Field([], description="Feeds every chat receives.")


class DigestConfig(Section):
    default_time: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "UTC"
    max_items: int = Field(10, ge=1, le=50)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Europe/Paris") from None
        return value


class AlertsConfig(Section):
    min_interval_seconds: int = Field(300, ge=0, description="At most one alert message per chat per this.")


class CatchupConfig(Section):
    retention_days: int = Field(
        7, ge=1, le=365, description="Days a group's kept messages are kept for /tldr and /ask."
    )


class EngineConfig(BaseModel):
    """The sections the engine reads. Unknown top-level sections belong to the bot."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    # A section the configuration leaves out is its defaults, built without a validator of
    # its own (pydantic does not validate defaults): a section's validator is built only
    # inside the whole configuration's, once, when a configuration is loaded.
    storage: StorageConfig = Field(default_factory=StorageConfig.model_construct)
    fetch: FetchConfig = Field(default_factory=FetchConfig.model_construct)
    summary: SummaryConfig = Field(default_factory=SummaryConfig.model_construct)
    limits: LimitsConfig = Field(default_factory=LimitsConfig.model_construct)
    feeds: FeedsConfig = Field(default_factory=FeedsConfig.model_construct)
    digest: DigestConfig = Field(default_factory=DigestConfig.model_construct)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig.model_construct)
    catchup: CatchupConfig = Field(default_factory=CatchupConfig.model_construct)


ConfigT = TypeVar("ConfigT", bound=EngineConfig)


def load_config(
    model: type[ConfigT],
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ConfigT:
    """Read ``path`` (if given), apply ``BRIEFBOT_*`` overrides, validate into ``model``.

    Each section given is validated on its own, and a section left out is its defaults, which
    pydantic does not validate: loading builds the validators of the sections given only, not
    the whole configuration's (start-up time). The whole has no checks of its own to miss:
    every check is a section's (tests/test_config.py holds the models to it).

    Raises :class:`ConfigError` with one sentence naming the offending key.
    """
    data: dict = {}
    if path is not None:
        import tomllib  # 3 ms of start-up, when there is a file to read

        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from None
    _apply_env(data, os.environ if environ is None else environ)
    sections = {}
    for name, values in data.items():
        field = model.model_fields.get(name)
        if field is None:
            if model.model_config.get("extra") == "forbid":
                raise ConfigError(f"Config key {name!r}: Extra inputs are not permitted.")
            continue
        section: type[Section] = field.annotation  # type: ignore[assignment]
        try:
            sections[name] = section.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(part) for part in (name, *error["loc"]))
            raise ConfigError(f"Config key {key!r}: {error['msg']}.") from None
    return model.model_construct(**sections)


def _apply_env(data: dict, environ: Mapping[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if not section or not key:
            continue
        target = data.setdefault(section, {})
        if isinstance(target, dict):
            target[key] = _env_value(raw)


def _env_value(raw: str) -> object:
    """Lists and objects come as JSON (``[1, 2]``); anything else stays a string for pydantic."""
    stripped = raw.strip()
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return raw
    return raw
