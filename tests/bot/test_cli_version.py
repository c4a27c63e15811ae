"""`toonbot --version`, `toonbot` alone, and the commands that draw nothing staying torch-free."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands import COMMANDS
from engine.styles.catalog import DESCRIPTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_version_prints_the_installed_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"toonbot {version('toonbot')}"


def test_no_command_prints_the_whole_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    # A usage error, as argparse's own are, but with every command listed to choose from.
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: toonbot")
    for command in COMMANDS:
        assert f"    {command.name} " in captured.err, command.name


def test_style_classes_describe_themselves_from_the_catalogue() -> None:
    from engine.styles.registry import build_styles

    styles = build_styles(person_aware=False)
    assert {name: style.description for name, style in styles.items()} == DESCRIPTIONS


# Runs main() in a fresh interpreter and reports whether torch (or onnxruntime) was imported.
_PROBE = """
import sys
from bot.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
heavy = sorted(m for m in ("torch", "onnxruntime") if m in sys.modules)
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize(
    ("argv", "code", "expect"),
    [
        (["--help"], 0, "usage: toonbot"),
        (["--version"], 0, "toonbot "),
        ([], 2, "usage: toonbot"),
        (["styles"], 0, "webtoon"),
    ],
)
def test_commands_that_draw_nothing_import_no_torch(
    tmp_path: Path, argv: list[str], code: int, expect: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")  # the defaults: no tokens, no model cards installed
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOONBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    args = argv if not argv or argv[0].startswith("--") else ["--config", str(config), *argv]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    assert expect in done.stdout + done.stderr
    assert "HEAVY=\n" in done.stderr, done.stderr
