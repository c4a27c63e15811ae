"""Pictures shipped inside the package (a wheel install has no docs/ folder).

styles_astronaut.jpg is the styles' sample that /help and /toon-help send; astronaut.jpg is the
quick start's photo. docs/styles_astronaut.jpg and docs/samples/astronaut.jpg link here.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["HELP_SAMPLE", "SAMPLE_PHOTO", "read_picture"]

HELP_SAMPLE = "styles_astronaut.jpg"
SAMPLE_PHOTO = "astronaut.jpg"


def read_picture(name: str) -> bytes | None:
    """The bytes of one shipped picture; None when this install lacks it."""
    try:
        return resources.files(__name__).joinpath(name).read_bytes()
    except OSError:
        return None
