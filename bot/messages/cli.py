"""The `toonbot` command's words (printed after "toonbot: " where they are errors)."""

from __future__ import annotations

__all__ = [
    "CLI_CANNOT_WRITE",
    "CLI_OUTPUTS_EXIST",
    "CLI_OUTPUTS_EXIST_MORE",
    "CLI_OUTPUT_EXISTS",
]

CLI_OUTPUTS_EXIST = (
    "{path} already exists{more}, so nothing was drawn. Use --overwrite to replace, "
    "or -o to write somewhere else."
)
CLI_OUTPUTS_EXIST_MORE = " (and {count} more output file(s))"
CLI_OUTPUT_EXISTS = "{path} already exists; it was not replaced (use --overwrite to replace it)"
CLI_CANNOT_WRITE = "cannot write {path}: {reason}"
