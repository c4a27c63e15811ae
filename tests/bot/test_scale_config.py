"""Scale-out settings: Discord shards and the engine backend are validated, and the composition
root builds the engine the backend names."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import open_engine
from bot.config import ConfigError, parse_config
from engine.engine import Engine


@pytest.mark.parametrize(
    ("table", "shards", "ids"),
    [
        ({}, 0, ()),
        ({"shards": "auto"}, "auto", ()),
        ({"shards": 4, "shard_ids": [3, 1]}, 4, (3, 1)),
    ],
)
def test_discord_shards_are_read(table: dict[str, Any], shards: object, ids: object) -> None:
    discord = parse_config({"discord": table}, env={}).discord
    assert (discord.shards, discord.shard_ids) == (shards, ids)


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"shards": "many"}, "shards has the wrong type"),
        ({"shards": -1}, '"auto" or 0..4096'),
        ({"shards": True}, "shards has the wrong type"),
        ({"shard_ids": [0]}, "needs discord.shards"),
        ({"shards": "auto", "shard_ids": [0]}, "needs discord.shards"),
        ({"shards": 2, "shard_ids": [2]}, "from 0 to 1"),
        ({"shards": 2, "shard_ids": [1, 1]}, "distinct"),
        ({"shards": 2, "shard_ids": "1"}, "list of shard numbers"),
    ],
)
def test_bad_discord_shards_are_refused(table: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError, match="discord") as caught:
        parse_config({"discord": table}, env={})
    assert needle in str(caught.value)


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"backend": "cloud"}, "one of 'local', 'ray'"),
        ({"backend": "ray", "ray_app": " "}, "ray_app must not be empty"),
        ({"ray_address": ""}, "ray_address must not be empty"),
        ({"ray_replicas": 0}, "ray_replicas must be an integer between 1"),
        ({"ray_gpus_per_replica": -1}, "ray_gpus_per_replica must be between 0 and 16"),
    ],
)
def test_bad_engine_backends_are_refused(table: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"engine": table}, env={})
    assert needle in str(caught.value)


def test_open_engine_builds_the_engine_the_backend_names() -> None:
    local = open_engine(parse_config({"engine": {"device": "cpu"}}, env={}))
    assert type(local) is Engine
    remote = open_engine(
        parse_config({"engine": {"backend": "ray", "ray_app": "toons", "ray_replicas": 2}}, env={})
    )
    from engine.remote import RayEngine

    assert isinstance(remote, RayEngine)
    assert (remote.config.ray_app, remote.queue_depth) == ("toons", 0)
