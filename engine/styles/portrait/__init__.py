"""The portrait renderer: faces drawn from the 478-point face mesh, as an artist inks a photo.

CPU side (per image, in ``prepare``): which faces can be drawn (``faces``), the proportion warp
(``warp``), skin and hair masks (``skin``, ``hair``) and the rasterized face drawing (``ink``,
``eyes``). Device side (batched torch, in the style's ``__call__``): warping, skin and hair
painting, and compositing (``compose``).
"""

from __future__ import annotations

__all__: list[str] = []
