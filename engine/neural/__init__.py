"""Pluggable neural styles: model cards, generators, downloads and the style registry."""

from __future__ import annotations

from engine.neural.cards import CardError, ModelCard, ModelSettings, load_card, load_cards

__all__ = ["CardError", "ModelCard", "ModelSettings", "load_card", "load_cards"]
