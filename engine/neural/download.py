"""`toonbot models pull`: stream weights into the cache, verify sha256, rename atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import aiohttp

from engine.neural.cards import ModelCard

__all__ = ["DownloadError", "PullResult", "pull_model"]

_CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """The download failed or did not match its checksum; nothing was installed."""


@dataclass(frozen=True, slots=True)
class PullResult:
    """An installed file and the sha256 it was checked against (or measured, if unverified)."""

    path: Path
    sha256: str
    verified: bool


async def pull_model(
    card: ModelCard,
    cache_dir: Path,
    *,
    base_url: str | None = None,
    allow_unverified: bool = False,
    progress: bool = True,
    timeout_s: float = 600.0,
) -> PullResult:
    """Download card's weights into cache_dir; base_url replaces the card URL's folder."""
    if not card.sha256 and not allow_unverified:
        raise DownloadError(
            f"{card.name}: the card pins no sha256, so the download cannot be verified; "
            "pass --allow-unverified to install it anyway"
        )
    url = f"{base_url.rstrip('/')}/{card.file}" if base_url else card.url
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / card.file
    # A temp file in the same folder makes the final rename atomic (same filesystem).
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{card.file}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = await _fetch(url, out, card.name, progress=progress, timeout_s=timeout_s)
            out.flush()
            os.fsync(out.fileno())
        if card.sha256 and digest != card.sha256:
            raise DownloadError(
                f"{card.name}: checksum mismatch (expected {card.sha256}, got {digest}); "
                "nothing was installed"
            )
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return PullResult(target, digest, verified=bool(card.sha256))


async def _fetch(url: str, out: IO[bytes], name: str, *, progress: bool, timeout_s: float) -> str:
    from tqdm import tqdm

    sha = hashlib.sha256()
    timeout = aiohttp.ClientTimeout(total=timeout_s, sock_read=60)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as response,
        ):
            if response.status != 200:
                raise DownloadError(f"{name}: {url} answered HTTP {response.status}")
            total = response.content_length
            received = 0
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=name,
                disable=not progress,
                file=sys.stderr,
            ) as bar:
                async for chunk in response.content.iter_chunked(_CHUNK):
                    out.write(chunk)
                    sha.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received != total:
                raise DownloadError(f"{name}: download cut short ({received} of {total} bytes)")
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise DownloadError(f"{name}: download from {url} failed: {exc}") from exc
    return sha.hexdigest()
