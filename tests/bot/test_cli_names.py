"""The `toonbot toon` command's output names: every input its own file, nothing replaced silently,
and animated pictures drawn as animations."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bot import files
from bot.cli import main
from bot.files import OutputExists, plan_outputs
from bot.messages import CLI_OUTPUT_EXISTS
from tests.bot.phone_media import animated_picture, gif_frames


def disc(path: Path, colour: tuple[int, int, int]) -> None:
    im = Image.new("RGB", (160, 120), (230, 230, 230))
    ImageDraw.Draw(im).ellipse((40, 20, 120, 100), fill=colour)
    im.save(path)


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"x")


def names(pairs: list[tuple[Path, Path]]) -> dict[str, str]:
    return {source.name: target.name for source, target in pairs}


def test_same_stem_in_a_folder_gets_distinct_names(tmp_path: Path) -> None:
    touch(tmp_path, "photo.jpg", "photo.png", "photo_jpg.png", "Photo.webp", "solo.jpeg")
    touch(tmp_path, "clip.mp4", "clip.mov", "notes.txt")
    pairs = plan_outputs(tmp_path, str(tmp_path.parent / "out"), "webtoon", "png")
    assert names(pairs) == {
        # sorted order decides who keeps a name that is still taken: deterministic
        "Photo.webp": "Photo_webp.png",
        "clip.mov": "clip_mov.mp4",
        "clip.mp4": "clip_mp4.mp4",
        "photo.jpg": "photo_jpg.png",
        "photo.png": "photo_png.png",
        "photo_jpg.png": "photo_jpg_2.png",
        "solo.jpeg": "solo.png",
    }
    assert all(target.parent == tmp_path.parent / "out" for _, target in pairs)
    assert plan_outputs(tmp_path, str(tmp_path.parent / "out"), "webtoon", "png") == pairs


def test_without_clashes_names_are_unchanged(tmp_path: Path) -> None:
    touch(tmp_path, "a.jpg", "b.png", "c.gif", "d.mov")
    pairs = plan_outputs(tmp_path, None, "sketch", "jpeg")
    assert names(pairs) == {"a.jpg": "a.jpg", "b.png": "b.jpg", "c.gif": "c.gif", "d.mov": "d.mp4"}
    assert {t.parent for _, t in pairs} == {tmp_path.with_name(f"{tmp_path.name}_sketch")}


def test_animated_pictures_are_named_as_gifs(tmp_path: Path) -> None:
    (tmp_path / "party.webp").write_bytes(animated_picture("WEBP"))
    (tmp_path / "party.gif").write_bytes(b"GIF89a")
    (tmp_path / "wave.png").write_bytes(animated_picture("PNG"))
    pairs = plan_outputs(tmp_path, str(tmp_path / "out/"), "webtoon", "png")
    assert names(pairs) == {
        "party.gif": "party_gif.gif",
        "party.webp": "party_webp.gif",
        "wave.png": "wave.gif",
    }


def test_existing_outputs_are_refused_unless_overwrite(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    touch(source, "a.jpg", "b.jpg")
    out = tmp_path / "out"
    out.mkdir()
    touch(out, "b.png")
    with pytest.raises(OutputExists) as info:
        plan_outputs(source, str(out), "webtoon", "png")
    assert info.value.paths == (out / "b.png",)
    assert len(plan_outputs(source, str(out), "webtoon", "png", overwrite=True)) == 2
    # One file beside its input: a previous result is not silently replaced either.
    touch(tmp_path, "c.jpg", "c_webtoon.png")
    with pytest.raises(OutputExists):
        plan_outputs(tmp_path / "c.jpg", None, "webtoon", "png")


def test_a_file_that_appears_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"theirs")
    with pytest.raises(FileExistsError):
        files._write_atomically(target, b"ours")
    assert target.read_bytes() == b"theirs"
    assert sorted(os.listdir(tmp_path)) == ["out.png"]  # no .part left behind
    files._write_atomically(target, b"ours", overwrite=True)
    assert target.read_bytes() == b"ours"
    files._write_atomically(tmp_path / "new" / "fresh.png", b"new")
    assert sorted(os.listdir(tmp_path / "new")) == ["fresh.png"]


def dominant(path: Path) -> str:
    with Image.open(path) as im:
        centre = np.asarray(im.convert("RGB"))[55:65, 75:85].reshape(-1, 3).mean(axis=0)
    return "red" if centre[0] > centre[2] else "blue"


def test_folder_with_photo_jpg_and_photo_png_keeps_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holiday = tmp_path / "holiday"
    holiday.mkdir()
    disc(holiday / "photo.jpg", (220, 40, 40))
    disc(holiday / "photo.png", (40, 60, 220))
    out = tmp_path / "out"
    assert main(["toon", str(holiday), "-o", str(out), "--max-side", "160"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["photo_jpg.png", "photo_png.png"]
    assert dominant(out / "photo_jpg.png") == "red"
    assert dominant(out / "photo_png.png") == "blue"
    capsys.readouterr()

    # Again: refused before anything is drawn, the results untouched.
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["toon", str(holiday), "-o", str(out), "--max-side", "160"]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--overwrite" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert main(["toon", str(holiday), "-o", str(out), "--overwrite", "--max-side", "160"]) == 0


def test_file_appearing_during_the_run_is_reported_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "p.png"
    disc(photo, (220, 40, 40))
    target = tmp_path / "p_webtoon.png"
    write = files._write_atomically

    def someone_else_first(path: Path, data: bytes, overwrite: bool = False) -> None:
        path.write_bytes(b"theirs")
        write(path, data, overwrite)

    monkeypatch.setattr(files, "_write_atomically", someone_else_first)
    assert main(["toon", str(photo), "--max-side", "64"]) == 1
    assert CLI_OUTPUT_EXISTS.format(path=target) in capsys.readouterr().err
    assert target.read_bytes() == b"theirs"


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_animated_picture_comes_back_as_an_animated_gif(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / f"party.{fmt.lower()}"
    source.write_bytes(animated_picture(fmt))
    assert main(["toon", str(source), "--max-side", "96"]) == 0
    frames = gif_frames((tmp_path / "party_webtoon.gif").read_bytes())
    assert len(frames) >= 3
    means = [f.reshape(-1, 3).mean(axis=0) for f in frames]
    assert np.abs(means[0] - means[-1]).max() > 30  # it moves: not one still
