"""The load scenario in miniature: real bot, both fakes, more photos than the quota allows."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.load import noise_clip, run_load
from bench.load_report import (
    LoadReport,
    LoadSettings,
    Request,
    check,
    fault_counts,
    summarize,
    summarize_clips,
)
from tests.fakes.clips import make_clip, read_clip


async def test_ten_users_each_get_one_answer_and_the_quota_holds(tmp_path: Path) -> None:
    # Two photos each at once against a daily quota of one: one picture and one refusal each.
    settings = LoadSettings(users=10, size=64, style="classic", photos=2, quota=1, timeout_s=60)
    report = await run_load(settings, tmp_path)
    assert check(report) == []
    summary = summarize(report)
    assert (summary["sent"], summary["results"], summary["refusals"]) == (20, 10, 10)
    assert summary["failures"] == 0
    assert {r.platform for r in report.requests} == {"telegram", "discord"}
    assert report.db_used == {r.user_key: 1 for r in report.requests}
    assert sum(len(times) for times in report.engine_s.values()) == 10
    assert summary["latency_s"]["end_to_end all"]["p50"] > 0


def _report() -> LoadReport:
    """Two users who kept their promises: one picture and one refusal each, counted once."""
    settings = LoadSettings(users=2, photos=2, quota=1)
    requests = [
        Request("telegram", 1, "1:10", 0.0, [1.0]),
        Request("telegram", 1, "1:11", 0.0, refusals=1),
        Request("discord", 1000, "tok-a", 0.0, [2.0]),
        Request("discord", 1000, "tok-b", 0.0, refusals=1),
    ]
    engine = {"tg:1": [0.5], "dc:1000": [0.5]}
    return LoadReport(
        settings, requests, engine, [(1, 0.4), (1, 0.4)], {"tg:1": 1, "dc:1000": 1}, 0
    )


def _duplicate(r: LoadReport) -> None:
    r.requests[0].results_at.append(1.5)
    r.db_used["tg:1"] = 2


def _over_grant(r: LoadReport) -> None:
    r.requests[3].refusals, r.requests[3].results_at = 0, [2.5]
    r.engine_s["dc:1000"].append(0.5)
    r.db_used["dc:1000"] = 2


def _lose(r: LoadReport) -> None:
    r.requests[2].results_at = []


def _time_out(r: LoadReport) -> None:
    r.requests[2].results_at = []
    r.requests[2].failures.append("That took too long, sorry.")
    r.engine_s["dc:1000"] = []
    r.db_used["dc:1000"] = 0


def _miscount(r: LoadReport) -> None:
    r.db_used["tg:1"] = 0


def _extra_job(r: LoadReport) -> None:
    r.engine_s["tg:1"].append(0.5)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (_duplicate, "answered 2 times"),
        (_over_grant, "over-granted"),
        (_lose, "got no answer"),
        (_time_out, "failed: That took too long"),
        (_miscount, "database counts 0, delivered 1"),
        (_extra_job, "engine ran 2 jobs"),
    ],
)
def test_check_names_each_broken_promise(
    breakage: Callable[[LoadReport], None], expected: str
) -> None:
    assert check(_report()) == []
    broken = copy.deepcopy(_report())
    breakage(broken)
    assert any(expected in problem for problem in check(broken)), check(broken)


async def test_a_clip_flood_counts_each_clip_once_on_both_platforms(tmp_path: Path) -> None:
    # The --videos plumbing: clips come back as sendVideo / a followup file, and the clip
    # status lines ("Fetching your clip", "Drawing your clip... 40%") are progress, not failures.
    settings = LoadSettings(users=4, size=64, style="classic", video_mb=0.01, video_side=64)
    report = await run_load(settings, tmp_path, make_clip(n=6, audio=False))
    assert check(report) == []
    counts = fault_counts(report)
    assert (counts["delivered"], counts["lost"], counts["double_charged"]) == (4, 0, 0)
    assert {r.platform for r in report.requests} == {"telegram", "discord"}
    assert summarize_clips(report)["frames_drawn"] == 4 * 6
    assert report.memory["rss_peak_mb"] >= report.memory["rss_before_mb"] > 0


def test_busy_refunds_are_honest_answers_in_a_clip_flood_only() -> None:
    requests = [
        Request("telegram", 1, "1:10", 0.0, [3.0]),
        Request("discord", 1000, "tok-a", 0.0, refusals=1, busy=1),
    ]
    db_used = {"tg:1": 1, "dc:1000": 0}
    flood = LoadReport(LoadSettings(users=2, video_mb=19.0), requests, {}, [], db_used, 0)
    assert check(flood) == []
    counts = summarize_clips(flood)
    assert (counts["delivered"], counts["refunded"], counts["busy"], counts["lost"]) == (1, 1, 1, 0)
    photos = LoadReport(LoadSettings(users=2), requests, {"tg:1": [0.5]}, [], db_used, 0)
    assert any("quota allowed 1" in problem for problem in check(photos))
    # Charged without a picture is still lost, clip flood or not.
    charged = copy.deepcopy(flood)
    charged.db_used["dc:1000"] = 1
    assert fault_counts(charged)["double_charged"] == 1


def test_noise_clip_is_about_the_size_asked_for() -> None:
    data = noise_clip(1_000_000, w=160, h=120)
    assert 0.9 < len(data) / 1_000_000 < 1.1
    frames, audio, size = read_clip(data)
    assert frames >= 2
    assert not audio
    assert size == (160, 120)
