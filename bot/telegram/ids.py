"""How Telegram users and chats are named to the quota service and the engine."""

from __future__ import annotations

__all__ = ["chat_key", "user_key"]


def user_key(user_id: int) -> str:
    """The platform-prefixed id the quota service and the engine know a Telegram user by."""
    return f"tg:{user_id}"


def chat_key(chat_id: int) -> str:
    """The platform-prefixed id of a Telegram chat."""
    return f"tg:{chat_id}"
