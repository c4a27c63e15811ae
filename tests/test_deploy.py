"""The operations kit agrees with the code: Dockerfile, compose files, systemd unit, .env.example
and the health check name the same data directory, config path and environment variables that
ToonBot reads, and the tools that can check them here (systemd-analyze, docker compose) pass."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.config import environment_variables

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "deploy" / "toonbot.service"
ENV_NAME = re.compile(r"\bTOONBOT_[A-Z_]+\b")


def _dockerfile_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    runtime = text.rsplit("\nFROM ", 1)[1]  # the final stage is what runs
    env: dict[str, str] = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def _unit() -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            entries.setdefault(key, []).append(value)
    return entries


def _compose(*files: str) -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    merged: dict[str, Any] = {}
    for name in files:
        data = yaml.safe_load((ROOT / name).read_text())
        for service, spec in data.get("services", {}).items():
            merged.setdefault(service, {}).update(spec)
    return merged


def test_code_reads_exactly_the_variables_it_declares() -> None:
    # Every TOONBOT_* name written anywhere in the shipped code is one environment_variables()
    # declares, so a new variable cannot be read without .env.example hearing of it.
    found: set[str] = set()
    for package in ("bot", "engine", "migrations"):
        for path in (ROOT / package).rglob("*.py"):
            found.update(ENV_NAME.findall(path.read_text()))
    assert found == set(environment_variables())


def test_env_example_lists_exactly_the_variables_the_code_reads() -> None:
    listed = re.findall(r"^#? ?(TOONBOT_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M)
    assert sorted(listed) == sorted(environment_variables())
    # No value is filled in, except the commented-out examples of the two paths.
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("TOONBOT_"):
            assert line.endswith("="), line


def test_env_example_leaves_the_units_own_paths_alone() -> None:
    # In a systemd EnvironmentFile an empty TOONBOT_DATA_DIR= would override the unit's
    # Environment= (the file wins) and send the data to a folder the service cannot write.
    text = (ROOT / ".env.example").read_text()
    for name in ("TOONBOT_DATA_DIR", "TOONBOT_CONFIG"):
        assert not re.search(rf"^{name}=", text, re.M)


def test_image_compose_and_unit_share_one_data_directory_and_config_path() -> None:
    env = _dockerfile_env()
    data, config = env["TOONBOT_DATA_DIR"], env["TOONBOT_CONFIG"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"WORKDIR {data}\n" in dockerfile
    assert re.search(rf"install -d -o toonbot -g toonbot -m 700 {data}\b", dockerfile)
    assert f"COPY config.toml {config}\n" in dockerfile

    service = _compose("compose.yaml")["toonbot"]
    assert service["environment"]["TOONBOT_DATA_DIR"] == data
    assert service["environment"]["TOONBOT_CONFIG"] == config
    assert set(service["environment"]) <= set(environment_variables())
    assert f"toonbot-data:{data}" in service["volumes"]
    assert f"./config.toml:{config}:ro" in service["volumes"]

    unit = _unit()
    state = unit["StateDirectory"][0]
    assert f"TOONBOT_DATA_DIR=/var/lib/{state}" in unit["Environment"]
    assert unit["WorkingDirectory"] == [f"/var/lib/{state}"]
    assert unit["StateDirectoryMode"] == ["0700"]
    named = {v.split("=", 1)[0] for v in unit["Environment"]}
    assert {n for n in named if n.startswith("TOONBOT_")} <= set(environment_variables())


def test_image_runs_unprivileged_with_cpu_torch_and_no_mediapipe() -> None:
    text = (ROOT / "Dockerfile").read_text()
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu\n" in text
    assert "mediapipe" not in text and "[person]" not in text
    assert "--no-cache-dir" in text
    assert "HEALTHCHECK" in text and "/opt/toonbot/healthcheck.py" in text


def test_dockerfile_finds_the_torch_pin_in_pyproject() -> None:
    # The image installs torch==<pin> from the CPU index before `pip install .`; if the pin
    # moved or changed shape, the build would pull PyPI's CUDA torch (or fail).
    sed = shutil.which("sed")
    if sed is None:
        pytest.skip("no sed here")
    expression = re.search(
        r"sed -n '([^']+)' /src/pyproject.toml", (ROOT / "Dockerfile").read_text()
    )
    assert expression is not None
    found = subprocess.run(
        [sed, "-n", expression.group(1), str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pins = re.findall(r'"torch==([0-9.]+)"', (ROOT / "pyproject.toml").read_text())
    assert found == pins and len(pins) == 1


def test_dockerignore_lets_the_build_inputs_in_and_keeps_secrets_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*")] == "*"  # an allow-list: nothing unlisted is sent
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    # What setuptools builds from, and what the Dockerfile copies.
    needed = {"pyproject.toml", "README.md", "LICENSE", "config.toml", "deploy/healthcheck.py"}
    # The packages setuptools finds: include = ["bot*", "engine*", "migrations*"].
    include = re.search(r"include = \[([^]]*)\]", (ROOT / "pyproject.toml").read_text())
    assert include is not None
    needed |= set(re.findall(r'"(\w+)\*?"', include.group(1)))
    assert needed <= allowed
    assert not allowed & {".env", ".venv", ".git", "tests"}


def test_gpu_override_reserves_a_gpu_and_builds_cuda_wheels() -> None:
    service = _compose("compose.yaml", "compose.gpu.yaml")["toonbot"]
    (device,) = service["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    args = service["build"]["args"]
    assert set(args) <= set(re.findall(r"^ARG (\w+)", (ROOT / "Dockerfile").read_text(), re.M))
    assert "whl/cpu" not in args["TORCH_INDEX_URL"]
    assert service["image"] != _compose("compose.yaml")["toonbot"]["image"]


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.parametrize("files", [["compose.yaml"], ["compose.yaml", "compose.gpu.yaml"]])
def test_compose_files_validate(files: list[str]) -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    args = [a for name in files for a in ("-f", str(ROOT / name))]
    done = subprocess.run(
        [*command, *args, "config", "--quiet"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr


def _verify_unit(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify insists that ExecStart exists; stand a script in for the installed toonbot.
    stand_in = tmp_path / "toonbot"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    unit = tmp_path / "toonbot.service"
    unit.write_text(unit_text.replace("/opt/toonbot/bin/toonbot", str(stand_in)))
    return subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)


def test_systemd_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    done = _verify_unit(UNIT.read_text(), tmp_path)
    # verify exits 0 even for unknown keys and bad values; it only complains on stderr.
    complaints = [line for line in done.stderr.splitlines() if "toonbot.service" in line]
    assert done.returncode == 0 and complaints == [], done.stderr


def test_systemd_verify_does_complain_about_a_broken_unit(tmp_path: Path) -> None:
    # The check above is only worth something if a typo shows up on stderr.
    broken = UNIT.read_text().replace("Restart=on-failure", "Restart=sometimes\nFooBar=1")
    done = _verify_unit(broken, tmp_path)
    assert "FooBar" in done.stderr and "sometimes" in done.stderr


def test_systemd_unit_is_hardened(tmp_path: Path) -> None:
    unit = _unit()
    assert unit["DynamicUser"] == ["yes"] or unit.get("User", ["root"]) != ["root"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["EnvironmentFile"] == ["/etc/toonbot/toonbot.env"]
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    copy = tmp_path / "toonbot.service"
    copy.write_text(UNIT.read_text())
    done = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(copy)],
        capture_output=True,
        text=True,
    )
    if "--offline" in done.stderr:
        pytest.skip("this systemd-analyze cannot assess unit files offline")
    level = re.search(r"Overall exposure level for toonbot.service: ([0-9.]+)", done.stdout)
    assert level is not None, done.stdout + done.stderr
    assert float(level.group(1)) <= 2.0  # systemd calls up to 2.9 "OK"; this unit scores ~1.6


def _healthcheck() -> Callable[[], int]:
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy/healthcheck.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main: Callable[[], int] = module.main
    return main


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metrics: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[metrics]\n{metrics}\n")
    monkeypatch.setenv("TOONBOT_CONFIG", str(path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthcheck_passes_with_metrics_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, "port = 0")
    assert _healthcheck()() == 0


def test_healthcheck_fails_when_nothing_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, f"port = {_free_port()}")
    assert _healthcheck()() == 1


def test_healthcheck_fails_on_a_broken_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tmp_path, monkeypatch, "port = -1")
    assert _healthcheck()() == 1


async def test_healthcheck_passes_while_the_metrics_server_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prometheus_client import CollectorRegistry

    from bot.metrics import MetricsServer

    port = _free_port()
    _config(tmp_path, monkeypatch, f'port = {port}\nhost = "0.0.0.0"')
    check = _healthcheck()
    async with MetricsServer(CollectorRegistry(), "0.0.0.0", port):
        assert await asyncio.to_thread(check) == 0


def test_readme_names_the_data_locations_the_kit_uses() -> None:
    from bot.paths import DATABASE_FILE

    readme = (ROOT / "README.md").read_text()
    service = readme.split("## Run as a service", 1)[1].split("\n## Upgrades", 1)[0]
    data = _dockerfile_env()["TOONBOT_DATA_DIR"]
    assert f"`{data}`" in service and "`toonbot-data`" in service
    assert f"`/var/lib/{_unit()['StateDirectory'][0]}`" in service
    assert f'sqlite3 {DATABASE_FILE} ".backup ' in service
    assert f'sqlite3 {data}/{DATABASE_FILE} ".backup ' in service
