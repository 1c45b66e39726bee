"""A few Prometheus metrics, rendered by /metrics. Small on purpose: counters and one histogram."""

from __future__ import annotations

import bisect
from collections import defaultdict


class Counter:
    def __init__(self, name: str, help_text: str, label: str) -> None:
        self.name, self.help, self.label = name, help_text, label
        self.values: dict[str, float] = defaultdict(float)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self.values[labels.get(self.label, "")] += amount

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        for value, count in sorted(self.values.items()):
            lines.append(f'{self.name}{{{self.label}="{value}"}} {count:g}')
        return lines


class Histogram:
    BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self.counts = [0] * (len(self.BUCKETS) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.BUCKETS, seconds)] += 1
        self.total += seconds
        self.n += 1

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for bound, count in zip(self.BUCKETS, self.counts):
            running += count
            lines.append(f'{self.name}_bucket{{le="{bound}"}} {running}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.n}')
        lines += [f"{self.name}_sum {self.total:.6f}", f"{self.name}_count {self.n}"]
        return lines


MESSAGES = Counter("gridbot_messages_total", "Incoming messages by outcome", "outcome")
ROUTES = Counter("gridbot_routes_total", "Messages handled, by route", "route")
SENDS = Counter("gridbot_sends_total", "Outbox deliveries by result", "result")
LATENCY = Histogram("gridbot_message_seconds", "Time from receipt to commit of handled messages")


def render(extra: dict[str, float] | None = None) -> str:
    lines: list[str] = []
    for metric in (MESSAGES, ROUTES, SENDS, LATENCY):
        lines += metric.render()
    for name, value in (extra or {}).items():
        lines += [f"# TYPE {name} gauge", f"{name} {value:g}"]
    return "\n".join(lines) + "\n"
