"""`toonbot models list` and `toonbot models pull`."""

from __future__ import annotations

import asyncio
import sys

from bot.paths import make_private_dirs
from engine.neural.cards import CardError, ModelSettings
from engine.neural.download import DownloadError, pull_model
from engine.neural.registry import model_status

__all__ = ["models_list", "models_pull"]


def models_list(settings: ModelSettings) -> int:
    """Print a table of the cards: format, licence, commercial use, installed."""
    try:
        models = model_status(settings)
    except CardError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    if not models:
        print("no model cards found")
        return 0
    rows = [("name", "format", "licence", "commercial", "installed")]
    for m in models:
        rows.append(
            (
                m.card.name,
                m.card.format,
                m.card.licence,
                "yes" if m.card.commercial_use else "NO",
                "yes" if m.installed else "no",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    if any(not m.card.commercial_use for m in models):
        print("\nModels marked NO are licensed for non-commercial use only.")
    print(f"weights cache: {settings.cache_path}")
    return 0


def models_pull(
    settings: ModelSettings, name: str, allow_unverified: bool, base_url: str | None = None
) -> int:
    """Download one model's weights into the cache, verified by sha256."""
    try:
        models = {m.card.name: m for m in model_status(settings)}
    except CardError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 2
    model = models.get(name)
    if model is None:
        known = ", ".join(models) or "none"
        print(f"toonbot: no model card named {name!r} (known: {known})", file=sys.stderr)
        return 2
    card = model.card
    if not card.commercial_use:
        print(f"note: {card.name} is licensed for non-commercial use only ({card.licence})")
    try:
        # Owner-only, data directory included, before the downloader's plain mkdir gets to it.
        make_private_dirs(settings.cache_path)
    except OSError as exc:
        print(f"toonbot: cannot create {settings.cache_path}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        result = asyncio.run(
            pull_model(
                card,
                settings.cache_path,
                base_url=base_url,
                allow_unverified=allow_unverified,
            )
        )
    except DownloadError as exc:
        print(f"toonbot: {exc}", file=sys.stderr)
        return 1
    if not result.verified:
        print(f"warning: installed without verification; its sha256 is {result.sha256}")
    print(f"installed {card.name} -> {result.path}")
    return 0
