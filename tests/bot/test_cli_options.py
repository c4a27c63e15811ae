"""`toonbot toon --texture/--color`: validated, and carried by every job, videos included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from engine.engine import Engine
from engine.job import Job
from engine.styles.options import StyleOptions
from tests.bot.test_cli import photo  # noqa: F401  (the fixture)


@pytest.fixture
def jobs(monkeypatch: pytest.MonkeyPatch) -> list[Job]:
    """Every job the command's engine is handed."""
    seen: list[Job] = []
    submit = Engine.submit

    async def spy(self: Engine, job: Job) -> np.ndarray:
        seen.append(job)
        return await submit(self, job)

    monkeypatch.setattr(Engine, "submit", spy)
    return seen


def test_texture_and_color_reach_the_job(
    photo: Path,  # noqa: F811
    tmp_path: Path,
    jobs: list[Job],
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "soft.png"
    argv = ["toon", str(photo), "-o", str(target), "--max-side", "96"]
    assert main([*argv, "--texture", "0.2", "--color", "90%"]) == 0
    assert target.exists()
    [job] = jobs
    assert (job.style, job.options) == ("webtoon", StyleOptions(texture=0.2, color=0.9))
    assert "doesn't use" not in capsys.readouterr().err  # webtoon uses both: no note
    assert main([*argv, "--overwrite"]) == 0  # the same output again: replaced when asked
    assert jobs[1].options == StyleOptions()


@pytest.mark.parametrize("value", ["abc", "5", "-0.1", "150%", "nan"])
def test_bad_option_values_exit_2_naming_the_option(
    value: str,
    photo: Path,  # noqa: F811
    jobs: list[Job],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["toon", str(photo), "--texture", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --texture: must be a number from 0 to 1 or a percentage" in err
    assert repr(value) in err
    assert jobs == []
    assert not list(photo.parent.glob("*_webtoon*"))


def test_every_video_frame_carries_the_options_and_unused_ones_are_noted(
    tmp_path: Path, jobs: list[Job], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.engine.test_video import make_clip

    (tmp_path / "clip.mp4").write_bytes(make_clip(n=6))
    cfg = tmp_path / "c.toml"
    cfg.write_text("[engine]\nperson_aware = false\n[video]\nmax_side = 64\n")
    clip = str(tmp_path / "clip.mp4")
    assert main(["--config", str(cfg), "toon", clip, "-s", "sketch", "--color", "0.3"]) == 0
    assert (tmp_path / "clip_sketch.mp4").exists()
    assert len(jobs) == 6
    assert {job.options for job in jobs} == {StyleOptions(color=0.3)}
    assert "toonbot: sketch doesn't use color." in capsys.readouterr().err
