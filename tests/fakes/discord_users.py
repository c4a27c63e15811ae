"""What people do on the fake Discord: post pictures, run commands, click buttons; and lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.discord_objects import (
    JSON,
    MEMBER_PERMISSIONS,
    interaction_object,
    message_object,
    snowflakes,
    user_object,
)

if TYPE_CHECKING:
    from tests.fakes.discord_server import Call, Interaction

__all__ = ["CHANNEL", "DEFAULT_LIMIT", "GUILD", "UserActions"]

GUILD = 700_000_000_000_000_001
CHANNEL = 700_000_000_000_000_002
DEFAULT_LIMIT = 10 * 1024 * 1024  # attachment_size_limit of an unboosted server


class UserActions:
    """Mixed into FakeDiscord: builds interactions, dispatches them, and reads back answers."""

    calls: list[Call]
    messages: dict[str, JSON]
    interactions: dict[str, Interaction]

    def store_file(self, data: bytes, filename: str, content_type: str | None) -> JSON:
        raise NotImplementedError

    async def dispatch(self, event: str, data: JSON, *, shard: int | None = None) -> None:
        raise NotImplementedError

    # -- actions -------------------------------------------------------------------------------

    def upload(
        self, data: bytes, filename: str = "photo.jpg", content_type: str | None = "image/jpeg"
    ) -> JSON:
        """An attachment a user uploaded, served by the fake."""
        return self.store_file(data, filename, content_type)

    def post(self, user: int, attachments: list[JSON], *, channel: int = CHANNEL) -> JSON:
        """A message a user posted in the channel (a target for the Toonify menu)."""
        message = message_object(
            next(snowflakes), channel, user_object(user), attachments=attachments, guild_id=GUILD
        )
        self.messages[message["id"]] = message
        return message

    async def toon(
        self, user: int, attachment: JSON, style: str | None = None, **where: Any
    ) -> Interaction:
        """/toon image:<attachment> [style:<style>]."""
        options: list[JSON] = [{"name": "image", "type": 11, "value": attachment["id"]}]
        if style is not None:
            options.append({"name": "style", "type": 3, "value": style})
        resolved = {"attachments": {attachment["id"]: attachment}}
        return await self.command(user, "toon", options, resolved=resolved, **where)

    async def toonify(self, user: int, message: JSON, **where: Any) -> Interaction:
        """The "Toonify" message context menu on `message`."""
        data = {
            "id": str(next(snowflakes)),
            "name": "Toonify",
            "type": 3,
            "target_id": message["id"],
            "resolved": {"messages": {message["id"]: message}},
        }
        return await self._interact(2, data, user, **where)

    async def delete(self, message: JSON) -> None:
        """Its author deletes `message`: the gateway sends MESSAGE_DELETE."""
        self.messages.pop(message["id"], None)
        data = {"id": message["id"], "channel_id": message["channel_id"]}
        if message.get("guild_id") is not None:
            data["guild_id"] = message["guild_id"]
        await self.dispatch("MESSAGE_DELETE", data)

    async def admin(
        self, user: int, sub: str, value: int | None = None, **where: Any
    ) -> Interaction:
        """/toon-admin <sub> [value]."""
        inner = [] if value is None else [{"name": "value", "type": 4, "value": value}]
        options = [{"name": sub, "type": 1, "options": inner}]
        return await self.command(user, "toon-admin", options, **where)

    async def command(
        self,
        user: int,
        name: str,
        options: list[JSON] | None = None,
        *,
        resolved: JSON | None = None,
        **where: Any,
    ) -> Interaction:
        """Any slash command."""
        data: JSON = {"id": str(next(snowflakes)), "name": name, "type": 1}
        data["options"] = options or []
        if resolved is not None:
            data["resolved"] = resolved
        return await self._interact(2, data, user, **where)

    async def click(self, user: int, message: JSON, custom_id: str, **where: Any) -> Interaction:
        """A button press on `message`."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(3, data, user, message=message, **where)

    async def _interact(
        self,
        kind: int,
        data: JSON,
        user: int,
        *,
        guild: int | None = GUILD,
        channel: int = CHANNEL,
        permissions: int = MEMBER_PERMISSIONS,
        size_limit: int = DEFAULT_LIMIT,
        message: JSON | None = None,
        shard: int | None = None,
        locale: str = "en-US",
    ) -> Interaction:
        from tests.fakes.discord_server import Interaction

        payload = interaction_object(
            kind,
            data,
            user_id=user,
            channel_id=channel,
            guild_id=guild,
            permissions=permissions,
            size_limit=size_limit,
            message=message,
            locale=locale,
        )
        record = Interaction(payload)
        self.interactions[record.token] = record
        await self.dispatch("INTERACTION_CREATE", payload, shard=shard)
        return record

    # -- lookups -------------------------------------------------------------------------------

    def calls_for(self, record: Interaction) -> list[Call]:
        """Every REST call made with this interaction's token."""
        return [c for c in self.calls if f"/{record.token}" in f"/{c.path}"]

    def texts(self, record: Interaction) -> list[str]:
        """Every content the bot sent or set with this interaction's token, in order."""
        out = []
        for call in self.calls_for(record):
            body = call.body or {}
            data = body.get("data") if "callback" in call.path else body
            if isinstance(data, dict) and data.get("content"):
                out.append(data["content"])
        return out

    def ephemeral_texts(self, record: Interaction) -> list[str]:
        """Contents only the user saw: ephemeral replies, and edits of an ephemeral original."""
        out = []
        original_ephemeral = False
        for call in self.calls_for(record):
            body = call.body or {}
            if "callback" in call.path:
                data = body.get("data") or {}
                original_ephemeral = bool(data.get("flags", 0) & 64)
                if original_ephemeral and data.get("content"):
                    out.append(data["content"])
            elif (call.method == "PATCH" and original_ephemeral and body.get("content")) or (
                call.method == "POST" and body.get("flags", 0) & 64 and body.get("content")
            ):
                out.append(body["content"])
        return out

    def results(self, record: Interaction) -> list[JSON]:
        """Public followup messages (with files) that are still there."""
        found = []
        for message_id in record.followups:
            message = self.messages.get(message_id)
            if message is not None and not message["flags"] & 64 and message["attachments"]:
                found.append(message)
        return found

    def file(self, attachment: JSON) -> bytes:
        """The bytes of an attachment the bot uploaded."""
        files: dict[str, bytes] = getattr(self, "files")  # noqa: B009
        return files[attachment["id"]]


def custom_ids(message: JSON) -> list[str]:
    """The custom_id of every button on a message."""
    return [
        c["custom_id"]
        for row in message["components"]
        for c in row.get("components", [])
        if "custom_id" in c
    ]
