# gridbot (网格小助手): the service image. Build: docker build -t gridbot .   Run: see compose.yaml and
# docs/operations.md. The image holds the code; config, SQLite database, backups and caches live in /data.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
# .dockerignore keeps the virtualenv, tests, data and caches out of the build context.
COPY . .
RUN python -m venv /opt/gridbot \
 && /opt/gridbot/bin/pip install --no-cache-dir --upgrade pip==24.3.1 \
 && /opt/gridbot/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
# postgresql-client: pg_dump/pg_restore for `gridbot backup` against the compose PostgreSQL (same major, 15).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 gridbot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --create-home gridbot
COPY --from=build /opt/gridbot /opt/gridbot
ENV PATH=/opt/gridbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GRIDBOT_CACHE_DIR=/data/cache \
    CACHE_DIR=/data/cache/wechaty \
    TZ=Asia/Shanghai
WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
# SIGTERM stops gridbot in order (docker stop, compose down); it answers within a few seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["gridbot"]
CMD ["run", "--config", "/data/config.toml", "--host", "0.0.0.0"]
