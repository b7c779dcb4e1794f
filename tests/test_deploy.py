"""The docker-compose deployment (docker-compose.yml, deploy/Caddyfile) as the bot reads it:
every replica's environment is a configuration the bot accepts (webhook mode on PostgreSQL,
its index on a volume of its own), and the proxy sends the webhook's path to every replica.
Docker itself does not run here; this checks what Briefbot would make of the files."""

from __future__ import annotations

import re

import yaml

from bot.config import BotConfig
from retrieval.config import load_config
from tests.support import ROOT

# What `docker compose` substitutes for the variables the operator sets.
OPERATOR = {
    "BRIEFBOT_TELEGRAM__TOKEN": "123456:ABC-example",
    "BRIEFBOT_DOMAIN": "bot.example.com",
    "BRIEFBOT_TELEGRAM__SECRET_TOKEN": "s3cret_token",
    "POSTGRES_PASSWORD": "pw",
}


def substituted(value: str) -> str:
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", lambda match: OPERATOR[match.group(1)], value)


def test_every_replica_is_a_webhook_replica_on_postgresql_behind_the_proxy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    replicas = {name: service for name, service in services.items() if name.startswith("replica-")}
    assert len(replicas) >= 2
    volumes = set()
    for service in replicas.values():
        environment = {key: substituted(str(value)) for key, value in service["environment"].items()}
        config = load_config(BotConfig, environ=environment)
        assert config.telegram.mode == "webhook"
        assert config.telegram.webhook_url == "https://bot.example.com/telegram"
        assert config.storage.url == "postgresql://briefbot:pw@postgres:5432/briefbot"
        assert config.storage.path == "/data"
        [volume] = service["volumes"]
        assert volume.endswith(":/data")
        volumes.add(volume)
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert len(volumes) == len(replicas)  # each replica its own index

    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    [route] = re.findall(r"reverse_proxy (/\S+) ([^{]+)\{", caddyfile)
    port = environment["BRIEFBOT_TELEGRAM__PORT"]
    assert route[0] == "/" + config.telegram.webhook_path
    assert set(route[1].split()) == {f"{name}:{port}" for name in replicas}
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]
