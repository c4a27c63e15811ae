"""Log formatting: bound request fields reach text and JSON lines; configure_logging swaps handlers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logsetup import configure_logging
from engine.logcontext import bind


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger, restored after the test."""
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    try:
        yield logger
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in handlers:
            logger.addHandler(handler)
        logger.setLevel(level)


def test_text_lines_carry_the_bound_fields(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("info", "text", out)
    log = logging.getLogger("toonbot.test")
    with bind(job_id="abc123", platform="discord"):
        log.info("inside")
    log.info("outside")
    log.debug("too detailed")
    inside, outside = out.getvalue().splitlines()
    assert inside.endswith("toonbot.test: inside [job_id=abc123 platform=discord]")
    assert outside.endswith("toonbot.test: outside")
    assert root.handlers and len(root.handlers) == 1


def test_json_lines_keep_tracebacks_inside_the_object(root: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("warning", "json", out)
    with bind(job_id="x1"):
        try:
            raise RuntimeError("model exploded")
        except RuntimeError:
            logging.getLogger("engine").exception("batch failed")
    [line] = out.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["msg"] == "batch failed" and entry["level"] == "error"
    assert entry["job_id"] == "x1" and "RuntimeError: model exploded" in entry["exc"]
