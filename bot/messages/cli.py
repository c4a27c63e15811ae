"""The `toonbot` command's words (printed after "toonbot: " where they are errors)."""

from __future__ import annotations

__all__ = [
    "CLI_CANNOT_WRITE",
    "CLI_INTERRUPTED",
    "CLI_LOG_KEY_FAILED",
    "CLI_NO_RAY_CLUSTER",
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
CLI_INTERRUPTED = "stopped (interrupted)"
CLI_NO_RAY_CLUSTER = (
    "no Ray cluster at [engine] ray_address = {address!r}: start one with `ray start --head` "
    "on this machine, or set ray_address to the cluster's address ({reason})"
)
CLI_LOG_KEY_FAILED = (
    "cannot use the log key file {path}: {reason}. Make its folder writable, or delete a "
    "damaged key (user tags in the logs then change)"
)
