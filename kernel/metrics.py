"""Prometheus metrics through `prometheus_client` (the maintained library): counters and the latency
histogram are updated where things happen (router, sender, scheduler, web login); the outbox and channel
gauges are read at scrape time. The default registry also carries the process metrics (CPU, memory,
open files) and Python's GC metrics. Served by /metrics (bot/web/app.py), which decides who may read it."""

from __future__ import annotations

from importlib import metadata

import prometheus_client
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

prometheus_client.disable_created_metrics()   # no *_created series: nobody alerts on them

MESSAGES = Counter("gridbot_messages", "Incoming messages by outcome (handled, ignored, duplicate, refused, error)",
                   ["outcome"])
ROUTES = Counter("gridbot_routes", "Handled messages by the route (capability command) that handled them", ["route"])
LATENCY = Histogram("gridbot_message_seconds",
                    "Seconds from a message reaching the router to the commit of its transaction (replies queued)",
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
SENDS = Counter("gridbot_sends", "Outbox delivery attempts by result (sent, retry, failed = given up)", ["result"])
ESCALATIONS = Counter("gridbot_escalations", "督办: need clocks that ran out and escalated one level, by clock",
                      ["clock"])
LOGINS = Counter("gridbot_logins", "Web inbox and API logins by result (ok, failed, throttled)", ["result"])
OUTBOX = Gauge("gridbot_outbox_rows", "Outbox rows by status (pending, sent, failed), read at scrape time", ["status"])
OUTBOX_OLDEST = Gauge("gridbot_outbox_oldest_pending_seconds",
                      "Age of the oldest outbox row that is due and not yet sent (0 when none); read at scrape time")
CHANNEL_UP = Gauge("gridbot_channel_up", "1 while the chat channel (WeChat/WeCom gateway) is connected, else 0",
                   ["channel"])
DATABASE_UP = Gauge("gridbot_database_up", "1 if the database answered the scrape's query, else 0")
INFO = Gauge("gridbot_build_info", "Always 1; the version label says which gridbot runs", ["version"])

try:
    INFO.labels(version=metadata.version("gridbot")).set(1)
except metadata.PackageNotFoundError:   # run from a source tree without installing
    INFO.labels(version="unknown").set(1)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
