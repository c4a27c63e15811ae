"""Per-request style options: the user-controllable perceptual factors of a look.

After WebtoonMe's background model, which follows "Interactive Cartoonization with
Controllable Perceptual Factors" (Ahn et al., CVPR 2023): texture and colour are separate
controls a user sets per picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Protocol, runtime_checkable

from engine.errors import BadStyleOption

__all__ = [
    "OPTION_NAMES",
    "ConfigurableStyle",
    "StyleOptions",
]

# Every option is a float in [0, 1]; None means "the style's own default".
OPTION_NAMES: tuple[str, ...] = ("texture", "color")


@dataclass(frozen=True, slots=True)
class StyleOptions:
    """Options for one request; hashable, so equal options share a batch.

    texture: 0..1, the amount of painted texture and interior lines (0 = flat, clean shapes;
        1 = busy, detailed painting). color: 0..1, vividness (0 = muted, 1 = vivid).
    None leaves a factor at the style's default. Raises BadStyleOption for a value outside
    [0, 1] or not a finite number.
    """

    texture: float | None = None
    color: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadStyleOption(f.name, str(value), "not a number")
            if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                raise BadStyleOption(f.name, str(value), "out of range")
            # Rounded so that 0.3 typed twice, or 0.30000000000000004, batch together.
            object.__setattr__(self, f.name, round(float(value), 3))

    @property
    def is_default(self) -> bool:
        """True when no option is set."""
        return all(getattr(self, f.name) is None for f in fields(self))

    def as_dict(self) -> dict[str, float]:
        """The options that are set, name -> value (for storage, buttons and logs)."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> StyleOptions:
        """Options from name -> value, values as numbers or text ("0.2", "20%").

        Raises BadStyleOption naming the first unknown option or unreadable value.
        """
        parsed: dict[str, float] = {}
        for name, raw in values.items():
            key = name.strip().lower()
            if key not in OPTION_NAMES:
                raise BadStyleOption(key, str(raw), "unknown option")
            parsed[key] = _number(key, raw)
        return cls(**parsed)


def _number(name: str, raw: object) -> float:
    if isinstance(raw, bool):
        raise BadStyleOption(name, str(raw), "not a number")
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    try:
        value = float(text) * scale
    except ValueError:
        raise BadStyleOption(name, str(raw), "not a number") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise BadStyleOption(name, str(raw), "out of range")
    return value


@runtime_checkable
class ConfigurableStyle(Protocol):
    """A style whose look the per-request options tune.

    option_names lists the OPTION_NAMES it honours; with_options returns the style to run for
    those options (the same object for default options; variants may be cached). Styles that
    do not implement this protocol ignore options.
    """

    option_names: tuple[str, ...]

    def with_options(self, options: StyleOptions) -> object:
        """The style configured for `options` (a Style of the same kind)."""
        ...
