# Briefbot: `docker build -t briefbot .` then
#   docker run -e BRIEFBOT_TELEGRAM__TOKEN=123:abc -v briefbot-data:/data briefbot
# Configure with BRIEFBOT_<SECTION>__<KEY> variables (see config.example.toml), or mount a
# file and pass `--config /path/config.toml run` as the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BRIEFBOT_STORAGE__PATH=/data/briefbot.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY retrieval ./retrieval
COPY bot ./bot
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin briefbot \
    && mkdir -p /data \
    && chown briefbot:briefbot /data

USER briefbot
VOLUME ["/data"]
# Webhook mode listens here (telegram.port); polling needs no open port.
EXPOSE 8443
ENTRYPOINT ["briefbot"]
CMD ["run"]
