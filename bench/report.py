"""The tail every small bench shares: its rows and settings with the host's load, as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["write_report"]


def write_report(path: Path, bench: str, rows: list[dict[str, Any]], **settings: Any) -> None:
    """Write {bench, settings..., loadavg (1/5/15 min), cpus, malloc_mmap_threshold, rows} to
    path (creating its folder) and print the load average with the path."""
    load = os.getloadavg()
    report = {
        "bench": bench,
        **settings,
        "loadavg": [round(x, 2) for x in load],
        "cpus": os.cpu_count(),
        "malloc_mmap_threshold": os.environ.get("MALLOC_MMAP_THRESHOLD_"),
        "rows": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; wrote {path}")
