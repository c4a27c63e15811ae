"""What a load run measured (bench/load.py), the promises it checks, and its summary table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "LoadReport",
    "LoadSettings",
    "Request",
    "check",
    "fault_counts",
    "print_table",
    "print_video_table",
    "summarize",
    "summarize_clips",
]


@dataclass(frozen=True)
class LoadSettings:
    """One load scenario."""

    users: int = 100
    size: int = 512
    style: str = "webtoon"
    photos: int = 1  # sent by each user at once
    quota: int = 20  # daily_per_user; below `photos` some photos must be refused
    timeout_s: float = 900.0
    # A fault mix on the fakes (429s, 5xx, answers stalled after delivery, a locked database):
    # friendly refusals and refunded failures are then allowed; nothing may be lost or doubled.
    faults: bool = False
    engine: dict[str, Any] = field(default_factory=lambda: {"device": "cpu"})
    # Above 0: each user sends one clip of about this many MB (10**6 bytes) instead of photos,
    # drawn with frames scaled to `video_side`; "busy, try again" refusals are then allowed.
    video_mb: float = 0.0
    video_side: int = 360
    # [memory]: the byte budget for uploads in flight, MiB, and how long a request waits for it.
    inflight_mb: int = 256
    busy_wait_s: float = 10.0

    @property
    def refusals_expected(self) -> bool:
        """Friendly refusals and refunds are honest answers: under faults or a clip flood."""
        return self.faults or self.video_mb > 0


@dataclass
class Request:
    """One photo one user sent, and what came back."""

    platform: str  # "telegram" or "discord"
    user: int
    key: str  # telegram: "chat:message_id"; discord: interaction token
    sent_at: float
    results_at: list[float] = field(default_factory=list)
    refusals: int = 0
    busy: int = 0  # of the refusals, "busy, try again" (the byte budget had no room)
    failures: list[str] = field(default_factory=list)  # friendly error texts (e.g. timed out)

    @property
    def settled(self) -> bool:
        """The user heard back: a picture, a refusal or a failure."""
        return bool(self.results_at or self.refusals or self.failures)

    @property
    def user_key(self) -> str:
        """How the quota service and the engine name this user."""
        return f"{'tg' if self.platform == 'telegram' else 'dc'}:{self.user}"


@dataclass
class LoadReport:
    """Everything measured in one run; `check` and `summarize` read it."""

    settings: LoadSettings
    requests: list[Request]
    engine_s: dict[str, list[float]]  # user key -> engine.submit durations, in finishing order
    batches: list[tuple[int, float]]  # (images, seconds) per inference call
    db_used: dict[str, int]  # user key -> photos counted today
    exit_code: int
    memory: dict[str, float] = field(default_factory=dict)  # RSS and byte budget figures, MB


def fault_counts(report: LoadReport) -> dict[str, int]:
    """Per request: delivered (a picture arrived), refunded (answered without one, and not
    counted), busy (of those, told "busy, try again" by the byte budget), duplicated (pictures
    beyond the first), lost (no answer at all, or counted in the database without a picture);
    double_charged: counts beyond the pictures delivered."""
    delivered = sum(bool(r.results_at) for r in report.requests)
    answered_without = sum(
        not r.results_at and bool(r.refusals or r.failures) for r in report.requests
    )
    silent = sum(not r.settled for r in report.requests)
    per_user: dict[str, int] = {}
    for r in report.requests:
        per_user[r.user_key] = per_user.get(r.user_key, 0) + len(r.results_at)
    over = sum(max(0, report.db_used.get(u, 0) - n) for u, n in per_user.items())
    return {
        "delivered": delivered,
        "refunded": answered_without,
        "busy": sum(not r.results_at and r.busy > 0 for r in report.requests),
        "duplicated": sum(max(0, len(r.results_at) - 1) for r in report.requests),
        "lost": silent + over,
        "double_charged": over,
    }


def check(report: LoadReport) -> list[str]:
    """Every broken promise: lost or doubled answers, quota over-granted, counts that disagree."""
    problems = []
    s = report.settings
    granted_per_user = min(s.photos, s.quota)
    per_user: dict[str, list[Request]] = {}
    for r in report.requests:
        per_user.setdefault(r.user_key, []).append(r)
        answers = len(r.results_at) + r.refusals
        if r.failures and s.refusals_expected:
            answers += 1  # a refunded failure is an honest answer under faults
        elif r.failures:
            problems.append(f"{r.platform} user {r.user}: photo {r.key} failed: {r.failures[-1]}")
        elif answers == 0:
            problems.append(f"{r.platform} user {r.user}: photo {r.key} got no answer (lost)")
        if answers > 1:
            problems.append(
                f"{r.platform} user {r.user}: photo {r.key} answered {answers} times "
                f"({len(r.results_at)} pictures, {r.refusals} refusals)"
            )
    for user, reqs in per_user.items():
        delivered = sum(len(r.results_at) for r in reqs)
        if s.refusals_expected:  # refusals are expected: only the database must agree
            pass
        elif delivered > granted_per_user:
            problems.append(
                f"{user}: {delivered} pictures with a quota of {s.quota} (over-granted)"
            )
        elif delivered < granted_per_user:
            problems.append(f"{user}: {delivered} pictures, quota allowed {granted_per_user}")
        if report.db_used.get(user, 0) != delivered:
            problems.append(
                f"{user}: database counts {report.db_used.get(user, 0)}, delivered {delivered}"
            )
        jobs = len(report.engine_s.get(user, []))
        if s.video_mb > 0:  # a clip is one engine job per frame
            pass
        elif jobs != delivered and not s.faults:  # a refused send may follow a drawn picture
            problems.append(f"{user}: engine ran {jobs} jobs, delivered {delivered}")
    if report.exit_code != 0:
        problems.append(f"the bot exited with code {report.exit_code}")
    return problems


def _pcts(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99)}


def summarize(report: LoadReport) -> dict[str, Any]:
    """Latency percentiles (s), throughput, and how the time splits between engine and bot."""
    done = [r for r in report.requests if r.results_at]
    # (platform, end to end, engine) per picture; a user's several jobs pair shortest first.
    timed: list[tuple[str, float, float]] = []
    for user in {r.user_key for r in done}:
        mine = sorted(done, key=lambda r: r.results_at[0] - r.sent_at)
        mine = [r for r in mine if r.user_key == user]
        engine_s = sorted(report.engine_s.get(user, []))
        for r, spent in zip(mine, engine_s, strict=False):
            timed.append((r.platform, r.results_at[0] - r.sent_at, spent))
    latency: dict[str, dict[str, float]] = {}
    for name in ("all", "telegram", "discord"):
        rows = [t for t in timed if name in ("all", t[0])]
        latency[f"end_to_end {name}"] = _pcts([e2e for _, e2e, _ in rows])
        latency[f"engine_submit {name}"] = _pcts([spent for _, _, spent in rows])
        latency[f"bot_overhead {name}"] = _pcts([e2e - spent for _, e2e, spent in rows])
    latency["inference_per_image"] = _pcts([sec / n for n, sec in report.batches for _ in range(n)])
    span = max((r.results_at[0] for r in done), default=0.0) - min(
        (r.sent_at for r in report.requests), default=0.0
    )
    busy = sum(sec for _, sec in report.batches)
    return {
        "sent": len(report.requests),
        "results": len(done),
        "refusals": sum(r.refusals for r in report.requests),
        "failures": sum(bool(r.failures) for r in report.requests),
        "throughput_per_s": len(done) / span if span > 0 else 0.0,
        "span_s": span,
        "batches": len(report.batches),
        "mean_batch": float(np.mean([n for n, _ in report.batches])) if report.batches else 0.0,
        # Below 1 the inference thread sat idle part of the time: the bot, not the model, limits.
        "inference_busy_s": busy,
        "engine_busy_share": busy / span if span > 0 else 0.0,
        "latency_s": latency,
    }


def print_table(summary: dict[str, Any]) -> None:
    """The summary as a plain-text table."""
    print(
        f"sent={summary['sent']} results={summary['results']} refusals={summary['refusals']} "
        f"failures={summary['failures']} "
        f"throughput={summary['throughput_per_s']:.2f} results/s over {summary['span_s']:.1f} s "
        f"batches={summary['batches']} (mean {summary['mean_batch']:.1f} images), "
        f"inference busy {summary['inference_busy_s']:.1f} s ({summary['engine_busy_share']:.0%})"
    )
    print(f"{'seconds':<24} {'p50':>8} {'p95':>8} {'p99':>8}")
    for name, p in summary["latency_s"].items():
        print(f"{name:<24} {p['p50']:>8.2f} {p['p95']:>8.2f} {p['p99']:>8.2f}")


def summarize_clips(report: LoadReport) -> dict[str, Any]:
    """A clip flood: what each request came to, end-to-end seconds, frames drawn, memory (MB)."""
    done = [r for r in report.requests if r.results_at]
    first_sent = min((r.sent_at for r in report.requests), default=0.0)
    span = max((r.results_at[0] for r in done), default=first_sent) - first_sent
    return {
        **fault_counts(report),
        "sent": len(report.requests),
        "span_s": span,
        "end_to_end_s": _pcts([r.results_at[0] - r.sent_at for r in done]),
        "frames_drawn": sum(len(v) for v in report.engine_s.values()),
        "inference_busy_s": sum(sec for _, sec in report.batches),
        "memory_mb": report.memory,
    }


def print_video_table(runs: dict[str, dict[str, Any]]) -> None:
    """Clip-flood summaries (summarize_clips) side by side, one column per run."""
    rows: list[tuple[str, str, Any]] = [
        ("sent", "{:d}", lambda s: s["sent"]),
        ("delivered", "{:d}", lambda s: s["delivered"]),
        ("refunded: busy", "{:d}", lambda s: s["busy"]),
        ("refunded: other", "{:d}", lambda s: s["refunded"] - s["busy"]),
        ("duplicated", "{:d}", lambda s: s["duplicated"]),
        ("lost", "{:d}", lambda s: s["lost"]),
        ("double-charged", "{:d}", lambda s: s["double_charged"]),
        ("RSS before flood, MB", "{:.0f}", lambda s: s["memory_mb"]["rss_before_mb"]),
        ("RSS peak, MB", "{:.0f}", lambda s: s["memory_mb"]["rss_peak_mb"]),
        ("RSS peak - before, MB", "{:.0f}", lambda s: s["memory_mb"]["rss_growth_mb"]),
        ("budget peak, MiB", "{:.0f}", lambda s: s["memory_mb"]["budget_peak_mb"]),
        ("end-to-end p50, s", "{:.1f}", lambda s: s["end_to_end_s"]["p50"]),
        ("end-to-end p95, s", "{:.1f}", lambda s: s["end_to_end_s"]["p95"]),
        ("last result after, s", "{:.1f}", lambda s: s["span_s"]),
        ("frames drawn", "{:d}", lambda s: s["frames_drawn"]),
    ]
    width = max(12, *(len(name) + 2 for name in runs))
    print(f"{'':<24}" + "".join(f"{name:>{width}}" for name in runs))
    for label, fmt, get in rows:
        print(f"{label:<24}" + "".join(f"{fmt.format(get(s)):>{width}}" for s in runs.values()))
