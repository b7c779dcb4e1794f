from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BotConfig
from retrieval.config import EngineConfig, load_config
from retrieval.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_file_values_and_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[storage]\npath = "/data/b.db"\n[fetch]\ntimeout_s = 3\n')
    config = load_config(
        EngineConfig, path, {"BRIEFBOT_FETCH__ALLOW_PRIVATE": "true", "BRIEFBOT_SUMMARY__SENTENCES": "5"}
    )
    assert config.storage.db_path() == Path("/data/b.db")
    assert config.fetch.timeout_s == 3
    assert config.fetch.allow_private is True
    assert config.summary.sentences == 5


def test_defaults_without_a_file() -> None:
    config = load_config(EngineConfig, None, {})
    assert config.storage.db_path().name == "briefbot.db"
    assert config.fetch.allow_private is False


@pytest.mark.parametrize(
    ("text", "environ", "named"),
    [
        ("[fetch]\ntimeout = 3\n", {}, "fetch.timeout"),
        ("[fetch]\ntimeout_s = 'soon'\n", {}, "fetch.timeout_s"),
        ("", {"BRIEFBOT_SUMMARY__ALGORITHM": "magic"}, "summary.algorithm"),
        ("[fetch\n", {}, "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, environ: dict, named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(EngineConfig, write(tmp_path, text), environ)
    assert named in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(EngineConfig, tmp_path / "nope.toml", {})


def test_the_example_config_serves_the_engine_and_the_bot() -> None:
    """config.example.toml holds the bot's limits in [limits] too: the engine alone
    (``python -m retrieval``) passes over them, the bot reads them."""
    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    engine = load_config(EngineConfig, example, {})
    bot = load_config(BotConfig, example, {})
    assert engine.limits.max_text_chars == bot.limits.max_text_chars
    assert bot.limits.messages_per_minute >= 0


def test_the_bot_refuses_an_unknown_limit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="limits.messages_per_minit"):
        load_config(BotConfig, write(tmp_path, "[limits]\nmessages_per_minit = 5\n"), {})
