"""The `toonbot` command driven as a user would: files, folders, bad inputs, missing tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=90)
    return path


def test_toon_one_file_writes_a_stylized_png_beside_it(
    photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["toon", str(photo), "--max-side", "160"])
    assert code == 0
    target = photo.with_name("astronaut_webtoon.png")
    assert capsys.readouterr().out.strip() == str(target)
    with Image.open(target) as out:
        assert out.format == "PNG"
        assert out.size == (160, 160)
        pixels = np.asarray(out.convert("RGB"), dtype=np.int16)
    original = np.asarray(Image.open(photo).convert("RGB").resize((160, 160)), dtype=np.int16)
    assert np.abs(pixels - original).mean() > 3  # stylized, not a copy


def test_toon_with_explicit_output_style_and_format(photo: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "sketch.jpg"
    assert (
        main(
            [
                "toon",
                str(photo),
                "-o",
                str(target),
                "-s",
                "sketch",
                "--format",
                "jpeg",
                "--max-side",
                "128",
            ]
        )
        == 0
    )
    with Image.open(target) as out:
        assert out.format == "JPEG"
        assert out.size == (128, 128)
        assert not out.getexif()


def test_toon_folder_reports_bad_files_and_keeps_going(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i, img in enumerate([data.astronaut(), data.coffee(), data.chelsea()]):
        Image.fromarray(img).save(folder / f"p{i}.png")
    (folder / "notes.jpg").write_text("this is not a photo")
    (folder / "readme.txt").write_text("ignored: not an image suffix")
    out = tmp_path / "out"
    code = main(["toon", str(folder), "-o", str(out), "--max-side", "96"])
    captured = capsys.readouterr()
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png", "p2.png"]
    assert "notes.jpg: I can't read that file" in captured.err
    assert "Traceback" not in captured.err


def test_unknown_style_and_missing_input_exit_2(
    photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["toon", str(photo), "-s", "vaporwave"]) == 2
    assert "unknown style 'vaporwave'" in capsys.readouterr().err
    assert main(["toon", str(photo.with_name("missing.png"))]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not list(photo.parent.glob("*_vaporwave*"))


def test_styles_lists_every_style(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["styles"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == ["webtoon", "manhwa", "sketch", "classic"]


def test_bad_config_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text("[engine]\nqueue = 3\n")
    assert main(["--config", str(bad), "styles"]) == 2
    assert "unknown key(s) queue" in capsys.readouterr().err


def test_run_without_tokens_exits_nonzero_naming_the_variables(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOONBOT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "TOONBOT_TELEGRAM_TOKEN" in proc.stderr
    assert "TOONBOT_DISCORD_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_output_ending_in_a_slash_is_a_new_folder(photo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    assert main(["toon", str(photo), "-o", f"{folder}/", "--max-side", "64"]) == 0
    assert [p.name for p in folder.iterdir()] == ["astronaut_webtoon.png"]
    mode = (folder / "astronaut_webtoon.png").stat().st_mode & 0o777
    assert mode == 0o666 & ~_current_umask()  # not mkstemp's private 0600


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_toon_video_and_gif_keep_their_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.engine.test_video import make_clip, make_gif, read_back

    (tmp_path / "clip.mp4").write_bytes(make_clip(n=8))
    (tmp_path / "anim.gif").write_bytes(make_gif(n=4))
    cfg = tmp_path / "c.toml"
    cfg.write_text("[engine]\nperson_aware = false\n[video]\nmax_side = 64\n")
    assert main(["--config", str(cfg), "toon", str(tmp_path / "clip.mp4"), "-s", "sketch"]) == 0
    assert main(["--config", str(cfg), "toon", str(tmp_path / "anim.gif"), "-s", "sketch"]) == 0
    out = capsys.readouterr().out.split()
    assert out == [str(tmp_path / "clip_sketch.mp4"), str(tmp_path / "anim_sketch.gif")]
    frames, _, _, has_audio = read_back((tmp_path / "clip_sketch.mp4").read_bytes())
    assert frames == 8 and has_audio
    with Image.open(tmp_path / "anim_sketch.gif") as gif:
        assert gif.n_frames == 4 and gif.size == (64, 48)
