"""The repository keeps its promises: README commands, CI script, layout."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_readme_gives_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "toonbot" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_house_rules_then_the_readmes_test_command() -> None:
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines  # a failing check fails the run
    test_command = _setup_commands()[1]
    runs = [i for i, line in enumerate(lines) if test_command in line]
    assert runs, "CI does not run the README's test command"
    for check in (".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"):
        assert check in lines, check
        assert lines.index(check) < runs[0], f"{check} must run before the tests"


def test_readme_sample_and_pictures_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"\]\(((?:docs|bot)/[^)]+\.(?:jpg|png|md))\)", readme)
    assert pictures
    for ref in [*pictures, "docs/samples/astronaut.jpg"]:
        assert (ROOT / ref).is_file(), ref


def test_engine_never_imports_bot() -> None:
    for path in (ROOT / "engine").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import) bot\b", text, flags=re.M), path


def test_naming_the_engine_seams_types_imports_no_torch() -> None:
    # bot/ types against engine.api, engine.job and the option types; naming them must not
    # cost a torch import (seconds of start-up for commands that draw nothing).
    import subprocess
    import sys

    code = (
        "import sys, engine.api, engine.job, engine.styles.options, bot.pipeline, bot.tracking; "
        "sys.exit('torch' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
