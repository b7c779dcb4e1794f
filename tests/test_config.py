from __future__ import annotations

from pathlib import Path
from types import ModuleType

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
        ("", {"BRIEFBOT_STORAGE__URL": "mysql://db/briefbot"}, "storage.url"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, environ: dict, named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(EngineConfig, write(tmp_path, text), environ)
    assert named in str(raised.value)
    assert "\n" not in str(raised.value)


def test_where_the_data_and_the_index_are() -> None:
    """SQLite: the file and its index beside it. PostgreSQL: the URL, and the index in this
    machine's folder. --db switches between them."""
    url = "postgresql://briefbot:secret@db.example:5432/briefbot"
    sqlite = load_config(EngineConfig, None, {"BRIEFBOT_STORAGE__PATH": "/data/b.db"}).storage
    assert (sqlite.database(), sqlite.index_path()) == (Path("/data/b.db"), Path("/data/b.db.index"))
    postgres = load_config(
        EngineConfig, None, {"BRIEFBOT_STORAGE__URL": url, "BRIEFBOT_STORAGE__PATH": "/srv/replica"}
    ).storage
    assert (postgres.database(), postgres.index_path()) == (url, Path("/srv/replica/briefbot.index"))
    assert sqlite.pointed_at(url).index_path() == Path("/data/briefbot.index")
    assert postgres.pointed_at("/tmp/other.db").database() == Path("/tmp/other.db")
    assert postgres.pointed_at(url + "2").index_path() == Path("/srv/replica/briefbot.index")
    with pytest.raises(ConfigError, match="SQLite file or a postgresql:// URL"):
        sqlite.pointed_at("mysql://db/briefbot")


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


def _printed_by_new_interpreter(code: str) -> list[str]:
    """The words ``code`` prints, run in a new interpreter: this one's tests have built
    validators already."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_each_section_given_is_validated_on_its_own() -> None:
    """Defaults are not validated (pydantic's rule), so a left-out section is built without a
    validator; a section given is validated by its own: loading builds no validator for the
    whole configuration, nor for the sections it is not given (start-up time)."""
    check = (
        "from bot.config import BotConfig, TelegramConfig\n"
        "from retrieval.config import StorageConfig, SummaryConfig, load_config\n"
        "config = load_config(BotConfig, None, {'BRIEFBOT_SUMMARY__SENTENCES': '4'})\n"
        "assert config.storage.path == '' and config.summary.sentences == 4\n"
        "print(BotConfig.__pydantic_complete__, StorageConfig.__pydantic_complete__,"
        " TelegramConfig.__pydantic_complete__, SummaryConfig.__pydantic_complete__)\n"
    )
    printed = _printed_by_new_interpreter(check)
    assert printed == ["False", "False", "False", "True"]


def test_section_by_section_is_the_whole_validated_at_once(tmp_path: Path) -> None:
    """What loading gives is what validating the whole configuration gives, with every
    section set (the example file) or a few; an unknown section is the bot's error and the
    engine's to pass over; and the whole has no checks of its own that loading would skip."""
    import tomllib

    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    for path, environ in [(example, {}), (None, {"BRIEFBOT_DIGEST__TIMEZONE": "Europe/Paris"})]:
        data = tomllib.loads(path.read_text()) if path else {"digest": {"timezone": "Europe/Paris"}}
        for model in (EngineConfig, BotConfig):
            assert load_config(model, path, environ) == model.model_validate(data)
    unknown = write(tmp_path, "[storag]\npath = 'b.db'\n")
    with pytest.raises(ConfigError, match="'storag'"):
        load_config(BotConfig, unknown, {})
    assert load_config(EngineConfig, unknown, {}) == EngineConfig()
    with pytest.raises(ConfigError, match="'telegram.port'"):
        load_config(BotConfig, None, {"BRIEFBOT_TELEGRAM__PORT": "0"})
    for model in (EngineConfig, BotConfig):
        checks = model.__pydantic_decorators__
        assert not (checks.model_validators or checks.field_validators or checks.root_validators)


def test_nothing_to_validate_builds_no_validator(tmp_path: Path) -> None:
    """Without a file or overrides (``briefbot --db X articles``), the configuration is its
    defaults, which pydantic does not validate: no validator is built, none of pydantic's
    plugin loader imported (start-up time), and the configuration is the one validating
    nothing gives."""
    empty = write(tmp_path, "# nothing set\n")
    check = (
        "import sys\n"
        "from bot.config import BotConfig\n"
        "from retrieval.config import load_config\n"
        f"configs = [load_config(BotConfig, None, {{}}), load_config(BotConfig, {str(empty)!r}, {{}})]\n"
        "print(BotConfig.__pydantic_complete__, 'pydantic.plugin._loader' in sys.modules)\n"
        "print(all(config == BotConfig.model_validate({}) for config in configs))\n"
    )
    printed = _printed_by_new_interpreter(check)
    assert printed == ["False", "False", "True"]


def test_the_models_every_command_builds_leave_pydantic_nothing_to_parse() -> None:
    """Every command builds the config models and the result models when it starts:
    annotations written as strings (``from __future__ import annotations``) are evaluated
    one by one when each class is built, and a built-in default factory (``list``) has its
    signature parsed from text by ``inspect`` when the validator is built (2-5 ms of
    start-up each: bench/startup.py)."""
    import inspect

    from pydantic import BaseModel

    import bot.config
    import retrieval.bot_models
    import retrieval.config
    import retrieval.models

    def models_of(*modules: ModuleType) -> list[type[BaseModel]]:
        return [
            model for module in modules for model in vars(module).values()
            if inspect.isclass(model) and issubclass(model, BaseModel) and model.__module__ == module.__name__
        ]

    config_models = models_of(retrieval.config, bot.config)
    assert len(config_models) > 10
    for model in [*config_models, *models_of(retrieval.models, retrieval.bot_models)]:
        annotations = vars(model).get("__annotations__", {})
        assert not any(isinstance(annotation, str) for annotation in annotations.values()), model
    for model in config_models:
        for name, field in model.model_fields.items():
            factory = field.default_factory
            assert factory is None or factory.__module__ != "builtins", (model, name)
