"""`toonbot doctor`: device, codecs, styles, models (each loaded), database and tokens: OK/WARN/FAIL."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import platform
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

import aiohttp

from bot.config import DATABASE_URL_ENV, DISCORD_TOKEN_ENV, TELEGRAM_TOKEN_ENV, Config

if TYPE_CHECKING:
    from engine.neural.cards import ModelCard

__all__ = ["Check", "gather_checks", "print_checks", "run_doctor"]

Status = Literal["OK", "WARN", "FAIL"]
# Network checks are a quick look, not a wait: a healthy API answers well within this.
NETWORK_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    detail: str
    hint: str = ""


def run_doctor(config: Config, *, offline: bool = False, out: TextIO | None = None) -> int:
    """Print every check; 0 when none failed, 1 otherwise."""
    checks = asyncio.run(gather_checks(config, offline=offline))
    print_checks(checks, out if out is not None else sys.stdout)
    return 1 if any(c.status == "FAIL" for c in checks) else 0


def print_checks(checks: list[Check], out: TextIO) -> None:
    """One aligned line per check, its hint indented below."""
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{c.status:<4}  {c.name:<{width}}  {c.detail}", file=out)
        if c.hint:
            print(f"      {'':<{width}}  -> {c.hint}", file=out)


async def gather_checks(
    config: Config, *, offline: bool = False, discord_api: str | None = None
) -> list[Check]:
    """Run every check; the network ones (tokens) only when not offline."""
    # torch, PyAV and hashing are slow or blocking: off the loop, though nothing else runs here.
    checks = await asyncio.to_thread(_local_checks, config)
    checks.append(await _database(config))
    checks.extend(await _tokens(config, offline=offline, discord_api=discord_api))
    return checks


def _local_checks(config: Config) -> list[Check]:
    checks = [Check("python", "OK", f"{platform.python_version()} ({sys.executable})")]
    checks.extend(_device(config))
    checks.append(_onnxruntime())
    checks.extend(_codecs())
    checks.append(_face_analysis(config))
    checks.extend(_styles_and_models(config))
    return checks


def _device(config: Config) -> list[Check]:
    import torch

    from engine.worker import select_device

    checks = [Check("torch", "OK", torch.__version__)]
    try:
        device = select_device(config.engine.device)
    except RuntimeError as exc:
        return [*checks, Check("device", "FAIL", str(exc), 'set [engine] device = "auto"')]
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        detail = f"cuda: {props.name}, {props.total_memory / 2**30:.1f} GiB"
        return [*checks, Check("device", "OK", detail)]
    hint = "" if config.engine.device == "cpu" else "no GPU seen: pictures are drawn on the CPU"
    return [*checks, Check("device", "OK", f"cpu ({torch.get_num_threads()} threads)", hint)]


def _onnxruntime() -> Check:
    if importlib.util.find_spec("onnxruntime") is None:
        return Check("onnxruntime", "WARN", "not installed", "only needed for ONNX model cards")
    import onnxruntime

    providers = ", ".join(onnxruntime.get_available_providers())
    return Check("onnxruntime", "OK", f"{onnxruntime.__version__}: {providers}")


def _codecs() -> list[Check]:
    import av

    checks = []
    for name, why in (("libx264", "videos cannot be sent back"), ("aac", "clips lose their sound")):
        try:
            av.codec.Codec(name, "w")
        except Exception:  # PyAV raises its own UnknownCodecError, or ValueError on old builds
            status: Status = "FAIL" if name == "libx264" else "WARN"
            checks.append(Check(f"encoder {name}", status, f"missing: {why}", "pip install av"))
        else:
            checks.append(Check(f"encoder {name}", "OK", f"PyAV {av.__version__}"))
    return checks


def _face_analysis(config: Config) -> Check:
    """Whether the bundled face models load (builds their onnxruntime sessions, ~0.5 s)."""
    from engine.analysis import build_analyzer

    if not config.engine.person_aware:
        return Check("face analysis", "OK", "person_aware is off")
    if build_analyzer() is not None:
        return Check("face analysis", "OK", "person-aware webtoon available (bundled ONNX models)")
    return Check(
        "face analysis",
        "WARN",
        "face models missing or unreadable: webtoon draws the whole picture alike",
        "reinstall toonbot; see README, 'Person-aware webtoon'",
    )


def _styles_and_models(config: Config) -> list[Check]:
    from engine.neural.cards import CardError
    from engine.neural.registry import model_status
    from engine.styles import describe_styles

    try:
        styles = describe_styles(config.models)
        models = model_status(config.models)
    except CardError as exc:
        return [Check("styles", "FAIL", str(exc), "fix or remove the model card")]
    checks = [Check("styles", "OK", ", ".join(styles))]
    for model in models:
        checks.append(_model(model.card, model.path, config))
    return checks


def _model(card: ModelCard, path: Path, config: Config) -> Check:
    """Present, matching the card's sha256 when it pins one, and loadable as its model."""
    name, sha256 = card.name, card.sha256
    label = f"model {name}"
    if not path.is_file():
        wanted = name in config.models.enabled
        status: Status = "WARN" if wanted else "OK"
        return Check(label, status, "not installed", f"toonbot models pull {name}")
    refetch = f"delete {path} and run toonbot models pull {name}"
    if sha256:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            return Check(
                label, "FAIL", "checksum mismatch: the weights are not the card's", refetch
            )
    loaded = _load_model(card, path)
    if loaded:
        return Check(label, "FAIL", f"installed, does not load: {loaded}", refetch)
    if not sha256:
        return Check(label, "WARN", f"installed, loads, unverified (card pins no sha256): {path}")
    return Check(label, "OK", "installed, sha256 verified, loads")


def _load_model(card: ModelCard, path: Path) -> str:
    """Load the weights on the CPU as `toonbot run` would: "" if they load, else why not."""
    import torch

    from engine.neural.style import ModelLoadFailed, load_neural_style

    try:
        load_neural_style(card, path, torch.device("cpu"))
    except ModelLoadFailed as exc:
        return f"the file {exc.reason}"
    return ""


async def _database(config: Config) -> Check:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.db import Database, _current_revision, head_revision, known_revisions

    db = Database(config.database, config.secrets.database_url)
    shown = db.url  # password hidden
    url = make_url(config.secrets.database_url or db.url)
    local = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if local and not Path(str(url.database)).expanduser().is_file():
        # A first start creates it (toonbot run migrates at start): nothing to fix yet.
        detail = f"{shown} does not exist yet; toonbot run (or toonbot db upgrade) creates it"
        return Check("database", "OK", detail)
    # A plain connection, not Database: the doctor looks, it never migrates or creates.
    engine = create_async_engine(url)
    try:
        async with asyncio.timeout(NETWORK_TIMEOUT_S), engine.connect() as conn:
            revision = await conn.run_sync(_current_revision)
    except (OSError, SQLAlchemyError, TimeoutError, ImportError) as exc:
        hint = f"check {DATABASE_URL_ENV} or [database] sqlite_path"
        return Check("database", "FAIL", f"{shown} unreachable: {exc}", hint)
    finally:
        await engine.dispose()
    head = head_revision()
    if revision is not None and revision not in known_revisions():
        detail = f"{shown} at revision {revision}, migrated by a newer ToonBot (this one: {head})"
        return Check("database", "FAIL", detail, "install that version, or restore a backup")
    if revision != head:
        detail = f"{shown} at revision {revision or 'none'}, code expects {head}"
        return Check("database", "WARN", detail, "toonbot db upgrade (toonbot run also does)")
    return Check("database", "OK", f"{shown} at revision {revision} (head)")


async def _tokens(config: Config, *, offline: bool, discord_api: str | None) -> list[Check]:
    import discord

    wanted = [
        ("telegram", config.telegram.enabled, config.secrets.telegram_token, TELEGRAM_TOKEN_ENV),
        ("discord", config.discord.enabled, config.secrets.discord_token, DISCORD_TOKEN_ENV),
    ]
    base = (discord_api or discord.http.Route.BASE).rstrip("/")
    probes: dict[str, Callable[[aiohttp.ClientSession, str], Awaitable[Check]]] = {
        "telegram": lambda s, t: _telegram_token(s, config.telegram.api_url.rstrip("/"), t),
        "discord": lambda s, t: _discord_token(s, base, t),
    }
    checks: list[Check] = []
    timeout = aiohttp.ClientTimeout(total=NETWORK_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for name, enabled, token, env in wanted:
            label = f"{name} token"
            if not enabled:
                checks.append(Check(label, "OK", f"[{name}] enabled = false"))
            elif not token:
                checks.append(Check(label, "WARN", f"{env} is not set", f"{name} will not run"))
            elif offline:
                checks.append(Check(label, "OK", "set (not checked: --offline)"))
            else:
                checks.append(await probes[name](session, token))
    if not any(enabled and token for _, enabled, token, _ in wanted):
        hint = f"set {TELEGRAM_TOKEN_ENV} and/or {DISCORD_TOKEN_ENV}"
        checks.append(Check("frontends", "FAIL", "no frontend has a token to run with", hint))
    return checks


async def _telegram_token(session: aiohttp.ClientSession, api: str, token: str) -> Check:
    async def probe() -> tuple[int, Any]:
        async with session.get(f"{api}/bot{token}/getMe") as resp:
            return resp.status, await resp.json(content_type=None)

    return await _probe("telegram token", probe, lambda body: "@" + body["result"]["username"])


async def _discord_token(session: aiohttp.ClientSession, base: str, token: str) -> Check:
    async def probe() -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {token}"}
        async with session.get(f"{base}/users/@me", headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    return await _probe("discord token", probe, lambda body: str(body["username"]))


async def _probe(
    label: str,
    probe: Callable[[], Awaitable[tuple[int, Any]]],
    who: Callable[[Any], str],
) -> Check:
    try:
        status, body = await probe()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return Check(
            label, "FAIL", f"API unreachable: {exc or type(exc).__name__}", "check network"
        )
    if status in (401, 404):  # Telegram answers an unknown token with 401 or 404
        return Check(label, "FAIL", f"refused by the API (HTTP {status})", "check the token")
    if status != 200:
        return Check(label, "FAIL", f"API answered HTTP {status}", "try again later")
    try:
        return Check(label, "OK", f"valid: {who(body)}")
    except (KeyError, TypeError):
        return Check(label, "WARN", "valid, but the answer was not understood")
