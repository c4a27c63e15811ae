"""`toonbot models list|pull` and the verified, atomic download against a local HTTP server."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli import main
from engine.neural.cards import ModelCard, ModelSettings, load_cards
from engine.neural.download import DownloadError, pull_model
from engine.styles import STYLE_NAMES

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = bytes(range(256)) * 1000


def card(sha256: str = "") -> ModelCard:
    return ModelCard(
        name="tiny",
        description="test",
        format="onnx",
        file="tiny.onnx",
        url="https://example.invalid/tiny.onnx",
        licence="test",
        commercial_use=False,
        layout="NHWC",
        value_range="[-1,1]",
        size_multiple=8,
        sha256=sha256,
    )


async def _good(request: web.Request) -> web.Response:
    return web.Response(body=PAYLOAD)


async def _error(request: web.Request) -> web.Response:
    return web.Response(status=500, text="boom")


async def _drop(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = len(PAYLOAD)
    await response.prepare(request)
    await response.write(PAYLOAD[:1000])
    assert request.transport is not None
    request.transport.close()  # hang up mid-body
    return response


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/good/tiny.onnx", _good)
    app.router.add_get("/error/tiny.onnx", _error)
    app.router.add_get("/drop/tiny.onnx", _drop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def test_good_download_is_verified_and_installed(server: str, tmp_path: Path) -> None:
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    result = await pull_model(card(digest), tmp_path, base_url=f"{server}/good", progress=False)
    assert result.path == tmp_path / "tiny.onnx" and result.verified
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.onnx"]


async def test_checksum_mismatch_installs_nothing(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="checksum mismatch"):
        await pull_model(card("0" * 64), tmp_path, base_url=f"{server}/good", progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("route", "message"), [("error", "HTTP 500"), ("drop", "failed|cut")])
async def test_failed_download_leaves_nothing_half_written(
    server: str, tmp_path: Path, route: str, message: str
) -> None:
    with pytest.raises(DownloadError, match=message):
        await pull_model(card("0" * 64), tmp_path, base_url=f"{server}/{route}", progress=False)
    assert list(tmp_path.iterdir()) == []


async def test_unverified_card_needs_explicit_permission(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="--allow-unverified"):
        await pull_model(card(), tmp_path, base_url=f"{server}/good", progress=False)
    assert list(tmp_path.iterdir()) == []
    result = await pull_model(
        card(), tmp_path, base_url=f"{server}/good", allow_unverified=True, progress=False
    )
    assert not result.verified and result.sha256 == hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "paprika.pt").write_bytes(b"x")
    path = tmp_path / "config.toml"
    path.write_text(f'[models]\ncache_dir = "{cache}"\ncards_dir = "{ROOT / "models"}"\n')
    return path


def test_models_list_shows_licences_and_what_is_installed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config), "models", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["name", "format", "licence", "commercial", "installed"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line.strip()}
    assert rows["paprika"][-2:] == ["NO", "yes"]
    assert rows["hayao"][1] == "onnx" and rows["hayao"][-1] == "no"
    assert "non-commercial" in out
    assert {c.name for c in load_cards(ROOT / "models")} <= set(rows)


def test_models_pull_refuses_unknown_and_unverified_models(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config), "models", "pull", "nope"]) == 2
    assert "no model card named 'nope'" in capsys.readouterr().err
    assert main(["--config", str(config), "models", "pull", "hayao"]) == 1
    assert "--allow-unverified" in capsys.readouterr().err
    assert not (tmp_path / "cache" / "AnimeGANv3_Hayao_36.onnx").exists()


@pytest.fixture
def threaded_server() -> Iterator[str]:
    """The good route served from its own thread, so the CLI can run its own event loop."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    urls: list[str] = []

    def serve() -> None:
        app = web.Application()
        app.router.add_get("/good/{name}", _good)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        host, port = runner.addresses[0][:2]
        urls.append(f"http://{host}:{port}/good")
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(5)
    try:
        yield urls[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def test_models_pull_installs_and_the_model_shows_as_installed(
    config: Path, tmp_path: Path, threaded_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(config), "models", "pull", "hayao", "--base-url", threaded_server]
    assert main([*args, "--allow-unverified"]) == 0
    out = capsys.readouterr().out
    assert hashlib.sha256(PAYLOAD).hexdigest() in out and "installed hayao" in out
    assert "non-commercial" in out
    target = tmp_path / "cache" / "AnimeGANv3_Hayao_36.onnx"
    assert target.read_bytes() == PAYLOAD
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name, "paprika.pt"]
    assert main(["--config", str(config), "models", "list"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines() if line}
    assert rows["hayao"][-1] == "yes"


def test_models_section_is_validated() -> None:
    with pytest.raises(ValueError, match=r"models\.enabled"):
        ModelSettings(enabled="hayao")  # type: ignore[arg-type]


def test_installed_models_are_listed_as_styles(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config), "styles"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    # paprika's card has role "background": it also pairs with webtoon as a composite.
    assert names == [*STYLE_NAMES, "paprika", "webtoon-paprika"]
