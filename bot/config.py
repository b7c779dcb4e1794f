"""The bot's configuration: the engine's sections plus [telegram] and [access].

Loaded with :func:`retrieval.config.load_config` from a TOML file, with
``BRIEFBOT_<SECTION>__<KEY>`` environment overrides (so the token can stay out of files).
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic
# would evaluate each string when the class is built, at every command's start.

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from retrieval.config import EngineConfig, LimitsConfig, Section
from retrieval.errors import ConfigError

# What Telegram accepts as a webhook secret: 1-256 of A-Z, a-z, 0-9, _ and -.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class TelegramConfig(Section):
    token: SecretStr = Field(SecretStr(""), description="From @BotFather; required for `run`.")
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str = Field("", description="Public HTTPS URL Telegram posts updates to.")
    listen: str = "0.0.0.0"
    port: int = Field(8443, ge=1, le=65535)
    secret_token: SecretStr = Field(SecretStr(""), description="Checked on every webhook call.")
    webhook_wait_s: float = Field(
        10, gt=0, description="How long a webhook call waits for room among the updates in memory before 503."
    )
    max_retries: int = Field(3, ge=0, description="Retries of a request Telegram flood-limited.")
    messages_per_second: float = Field(30, ge=0, description="Whole bot; 0 means no limit.")
    group_messages_per_minute: float = Field(20, ge=0, description="Per group; 0: no limit.")

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in {"http", "https"}:
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("secret_token")
    @classmethod
    def _telegram_secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and not _SECRET_TOKEN.fullmatch(secret):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> "TelegramConfig":
        if self.mode == "webhook":
            if urlsplit(self.webhook_url).scheme != "https":
                raise ValueError("webhook mode needs telegram.webhook_url, an https:// URL")
            if not self.secret_token.get_secret_value():
                raise ValueError("webhook mode needs telegram.secret_token")
        return self

    @property
    def webhook_path(self) -> str:
        """The path the local webhook server listens on: the path of ``webhook_url``."""
        return urlsplit(self.webhook_url).path.strip("/")


class AccessConfig(Section):
    # List defaults, copied for each configuration (why not default_factory: retrieval.config).
    admins: list[int] = Field(
        [], description="User ids allowed in every chat, even outside allowed_chats."
    )
    allowed_chats: list[int] = Field(
        [], description="Chat ids the bot serves; empty means every chat."
    )

    def allows(self, chat_id: int, user_id: int | None) -> bool:
        return not self.allowed_chats or chat_id in self.allowed_chats or self.is_admin(user_id)

    def is_admin(self, user_id: int | None) -> bool:
        """Admins may use the bot anywhere and change what every chat receives (/addfeed_all)."""
        return user_id is not None and user_id in self.admins


class BotLimitsConfig(LimitsConfig):
    """The engine's limits plus the bot's own, so that every limit lives in [limits]."""

    model_config = ConfigDict(extra="forbid")

    messages_per_minute: int = Field(
        20, ge=0, description="Messages, commands and button presses one chat may send a minute; 0: no limit."
    )
    updates_in_memory: int = Field(
        256, ge=1, description="Updates taken from Telegram, not yet handled; beyond it Telegram keeps them."
    )


class BotConfig(EngineConfig):
    model_config = ConfigDict(extra="forbid")

    telegram: TelegramConfig = Field(default_factory=TelegramConfig.model_construct)
    access: AccessConfig = Field(default_factory=AccessConfig.model_construct)
    limits: BotLimitsConfig = Field(default_factory=BotLimitsConfig.model_construct)

    def require_token(self) -> str:
        token = self.telegram.token.get_secret_value()
        if not token:
            raise ConfigError(
                "Config key 'telegram.token' is missing: set it in the config file or as "
                "BRIEFBOT_TELEGRAM__TOKEN."
            )
        return token
