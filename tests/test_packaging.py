"""The wheel carries what an install without a checkout needs: model cards, pictures, licence."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARDS = sorted(p.name for p in (ROOT / "engine" / "neural" / "model_cards").iterdir())
PICTURES = ["astronaut.jpg", "styles_astronaut.jpg"]

# Run from the unpacked wheel (put first on sys.path): the shipped cards load, the pictures read.
_FROM_WHEEL = """
import sys
sys.path.insert(0, sys.argv[1])
import bot.data, engine
from engine.neural.cards import ModelSettings, cards_dir, load_cards
assert engine.__file__.startswith(sys.argv[1]), engine.__file__
print(",".join(card.name for card in load_cards(cards_dir(ModelSettings()))))
print(len(bot.data.read_picture(bot.data.HELP_SAMPLE) or b""))
print(len(bot.data.read_picture(bot.data.SAMPLE_PHOTO) or b""))
from bot.i18n import lang_for
assert lang_for("ko")("Cancel") == "\ucde8\uc18c", "the Korean catalogue did not load"
"""


def test_the_wheel_ships_the_cards_the_pictures_and_the_licence(tmp_path: Path) -> None:
    # Built from a copy, so the build leaves nothing in the checkout; ~2 s, offline.
    source = tmp_path / "src"
    for name in ("bot", "engine", "migrations"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(dist), str(source)],
        check=True,
        timeout=300,
    )  # fmt: skip
    (wheel,) = dist.glob("toonbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for card in CARDS:
            assert f"engine/neural/model_cards/{card}" in names, card
        for picture in PICTURES:
            shipped = archive.read(f"bot/data/{picture}")
            assert shipped == (ROOT / "bot" / "data" / picture).read_bytes(), picture
        for catalogue in ("bot/locales/toonbot.pot", "bot/locales/ko/LC_MESSAGES/toonbot.po"):
            assert archive.read(catalogue) == (ROOT / catalogue).read_bytes(), catalogue
        licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        assert archive.read(licence) == (ROOT / "LICENSE").read_bytes()
        archive.extractall(tmp_path / "site")
    done = subprocess.run(
        [sys.executable, "-c", _FROM_WHEEL, str(tmp_path / "site")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    cards, help_sample, photo = done.stdout.split()
    assert cards.split(",") == sorted(c.removesuffix(".toml") for c in CARDS if c.endswith(".toml"))
    assert int(help_sample) == (ROOT / "bot" / "data" / "styles_astronaut.jpg").stat().st_size
    assert int(photo) == (ROOT / "bot" / "data" / "astronaut.jpg").stat().st_size


def test_the_checkout_paths_lead_to_the_packaged_files() -> None:
    # README and config.toml name models/ and docs/: links into the package data.
    assert (ROOT / "models").resolve() == ROOT / "engine" / "neural" / "model_cards"
    for link, target in [
        ("docs/styles_astronaut.jpg", "bot/data/styles_astronaut.jpg"),
        ("docs/samples/astronaut.jpg", "bot/data/astronaut.jpg"),
    ]:
        assert (ROOT / link).resolve() == ROOT / target, link


def test_the_licence_is_the_mit_licence_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 ToonBot contributors\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
