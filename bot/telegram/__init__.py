"""The Telegram frontend (python-telegram-bot): photos in, webtoon pictures out."""

from bot.telegram.frontend import TelegramFrontend

__all__ = ["TelegramFrontend"]
