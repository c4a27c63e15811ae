"""Handlers for what every user can do: send media, the everyday commands, keyboard presses."""

from __future__ import annotations

import logging

from telegram import Bot, CallbackQuery, Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.i18n import ENGLISH, Lang, lang_for
from bot.messages import (
    CANCEL_GONE,
    CANCEL_NOT_YOURS,
    CANCEL_STARTED,
    TG_HELP,
    TG_HELP_SAMPLE,
    TG_HELP_STYLE,
    TG_LOTTIE_STICKER,
    TG_NOT_AN_IMAGE,
    TG_ORIGINAL_GONE,
    TG_RESTYLE_STARTED,
    TG_STYLE_PROMPT,
    TG_STYLE_SET,
    TG_TEXT_HINT,
    TG_TOON_HOW,
    TG_WELCOME,
    error_message,
    quota_message,
    quota_status_message,
)
from bot.pipeline import CancelOutcome, StyleMemory, read_help_sample
from bot.quota import QuotaService, QuotaUnavailable
from bot.telegram.captions import TOON_COMMAND, StyleRequest, parse_caption, parse_words
from bot.telegram.ids import chat_key, user_key
from bot.telegram.keyboards import (
    CANCEL_PREFIX,
    RESTYLE_PREFIX,
    STYLE_PREFIX,
    callback_restyle,
    callback_style,
    style_keyboard,
)
from bot.telegram.media import Media, MediaKind, find_media
from bot.telegram.pipeline import ToonPipeline
from bot.telegram.replies import reply, reply_parameters
from engine.api import EngineSurface
from engine.errors import BadStyleOption, UnknownStyle
from engine.styles import describe_styles

__all__ = ["MEDIA_FILTER", "UserHandlers"]

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# New messages only: an edited caption must not draw (and charge for) the same photo twice.
MEDIA_FILTER = filters.UpdateType.MESSAGE & (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VIDEO
    | filters.ANIMATION
    | filters.VIDEO_NOTE
    | filters.Sticker.ALL
)


class UserHandlers:
    """Media, /start, /help, /style, /quota, /toon and the style and redraw buttons."""

    def __init__(
        self,
        engine: EngineSurface,
        quota: QuotaService,
        pipeline: ToonPipeline,
        styles: StyleMemory,
    ) -> None:
        self._engine = engine
        self._quota = quota
        self._pipeline = pipeline
        self._styles = styles
        self._descriptions = describe_styles()
        self._sample_file_id: str | None = None

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        """The PTB handlers, in the order they must be tried."""
        private_text = filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
        return [
            CommandHandler("start", self.on_start),
            CommandHandler("help", self.on_help),
            CommandHandler("style", self.on_style),
            CommandHandler("quota", self.on_quota),
            CommandHandler(TOON_COMMAND, self.on_toon),
            MessageHandler(MEDIA_FILTER, self.on_media),
            MessageHandler(filters.UpdateType.MESSAGE & private_text, self.on_private_text),
            CallbackQueryHandler(self.on_style_chosen, pattern=f"^{STYLE_PREFIX}"),
            CallbackQueryHandler(self.on_restyle, pattern=f"^{RESTYLE_PREFIX}"),
            CallbackQueryHandler(self.on_cancel, pattern=f"^{CANCEL_PREFIX}"),
        ]

    async def on_start(self, update: Update, context: Context) -> None:
        """Greet a new user."""
        if update.message is not None:
            styles = ", ".join(self._engine.style_names)
            text = _lang(update.effective_user)(TG_WELCOME).format(styles=styles)
            await reply(context.bot, update.message, text)

    async def on_help(self, update: Update, context: Context) -> None:
        """Explain usage and the styles."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = _lang(user)
        # The style descriptions (engine.styles.catalog) stay English, like the style names.
        styles = "\n".join(
            lang(TG_HELP_STYLE).format(name=name, description=self._descriptions[name])
            if name in self._descriptions
            else name
            for name in self._engine.style_names
        )
        text = lang(TG_HELP).format(styles=styles, current=await self._style_for(user.id))
        await reply(context.bot, message, text)
        await self._send_help_sample(context.bot, message, lang)

    async def _send_help_sample(self, bot: Bot, message: Message, lang: Lang) -> None:
        # After the first upload Telegram knows the picture: resend it by file_id, not bytes.
        photo: str | bytes | None = self._sample_file_id
        if photo is None:
            photo = await read_help_sample()
        if photo is None:
            return
        try:
            sent = await bot.send_photo(
                chat_id=message.chat_id,
                photo=photo,
                caption=lang(TG_HELP_SAMPLE),
                reply_parameters=reply_parameters(message),
            )
        except TelegramError as exc:
            log.warning("could not send the help sample in chat %s: %s", message.chat_id, exc)
            return
        if sent.photo:
            self._sample_file_id = sent.photo[-1].file_id

    async def on_style(self, update: Update, context: Context) -> None:
        """Show the style keyboard, or set the style given as an argument."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = _lang(user)
        if context.args:
            style = context.args[0].lower()
            if not await self._check_style(context.bot, message, style, lang):
                return
            await self._styles.remember(user_key(user.id), style)
            await reply(context.bot, message, lang(TG_STYLE_SET).format(style=style))
            return
        current = await self._style_for(user.id)
        keyboard = style_keyboard(self._engine.style_names, current, lang)
        await reply(context.bot, message, lang(TG_STYLE_PROMPT).format(current=current), keyboard)

    async def on_quota(self, update: Update, context: Context) -> None:
        """Tell the user what is left of their quota in this chat."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = _lang(user)
        try:
            status = await self._quota.status(user_key(user.id), chat_key(message.chat_id))
        except QuotaUnavailable as exc:
            await reply(context.bot, message, quota_message(exc, lang))
            return
        await reply(context.bot, message, quota_status_message(status, lang))

    async def on_toon(self, update: Update, context: Context) -> None:
        """/toon [style] [texture=X] [color=X] as a reply to a photo draws that photo."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        target = message.reply_to_message
        media = find_media(target) if target is not None else None
        if target is None or media is None:
            await reply(context.bot, message, _lang(user)(TG_TOON_HOW))
            return
        request = parse_words(context.args or [], command=True)
        await self._answer(context.bot, target, media, user, request)

    async def on_media(self, update: Update, context: Context) -> None:
        """A photo, file, video, GIF, video note or sticker arrived."""
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        media = find_media(message)
        request = parse_caption(message.caption, context.bot.username)
        if media is None or request is None:
            return
        # In groups only photos explicitly captioned /toon are drawn: a bot that is an admin
        # (or has privacy mode off) sees every photo, and drawing them all would spam the chat.
        if message.chat.type != ChatType.PRIVATE and not request.command:
            return
        await self._answer(context.bot, message, media, user, request)

    async def on_private_text(self, update: Update, context: Context) -> None:
        """Plain text in a private chat: point at what the bot does."""
        if update.message is not None:
            await reply(context.bot, update.message, _lang(update.effective_user)(TG_TEXT_HINT))

    async def on_style_chosen(self, update: Update, context: Context) -> None:
        """A press on the /style keyboard: remember the style."""
        query = update.callback_query
        if query is None:
            return
        lang = _lang(query.from_user)
        style = callback_style(query.data, STYLE_PREFIX)
        if style is None or style not in self._engine.style_names:
            await _answer_query(query, self._unknown_style(style or "", lang))
            return
        await self._styles.remember(user_key(query.from_user.id), style)
        text = lang(TG_STYLE_SET).format(style=style)
        await _answer_query(query, text)
        if isinstance(query.message, Message):
            try:
                await query.edit_message_text(text)
            except TelegramError as exc:
                log.info("could not edit the style keyboard: %s", exc)

    async def on_restyle(self, update: Update, context: Context) -> None:
        """A press under a result: redraw the original (the result's reply target) in a style,
        with the options the result was drawn with."""
        query = update.callback_query
        if query is None:
            return
        # The clicker's language: whoever presses is charged and answered.
        lang = _lang(query.from_user)
        try:
            asked = callback_restyle(query.data)
        except BadStyleOption as exc:  # a corrupted button: say so, draw nothing
            await _answer_query(query, error_message(exc, lang), alert=True)
            return
        style, options = asked if asked is not None else ("", None)
        if style not in self._engine.style_names:
            await _answer_query(query, self._unknown_style(style, lang))
            return
        # The result replies to the user's message, so the button needs no server-side state.
        result = query.message
        source = result.reply_to_message if isinstance(result, Message) else None
        media = find_media(source) if source is not None else None
        if source is None or media is None or not media.drawable:
            await _answer_query(query, lang(TG_ORIGINAL_GONE), alert=True)
            return
        await _answer_query(query, lang(TG_RESTYLE_STARTED).format(style=style))
        user_id = query.from_user.id
        await self._pipeline.run(context.bot, source, media, user_id, style, options, lang)

    async def on_cancel(self, update: Update, context: Context) -> None:
        """A press on a clip's Cancel button: only the person who sent the clip may cancel it."""
        query = update.callback_query
        if query is None:
            return
        job_id = callback_style(query.data, CANCEL_PREFIX) or ""
        outcome = self._pipeline.cancel(job_id, query.from_user.id)
        # The pipeline itself edits the status to say the clip was cancelled.
        await _answer_query(query, _lang(query.from_user)(_CANCEL_ANSWERS[outcome]))

    async def _answer(
        self, bot: Bot, source: Message, media: Media, user: User, request: StyleRequest
    ) -> None:
        lang = _lang(user)
        if media.kind is MediaKind.OTHER_FILE:
            await reply(bot, source, lang(TG_NOT_AN_IMAGE))
            return
        if media.kind is MediaKind.LOTTIE_STICKER:  # answered before anything is charged
            await reply(bot, source, lang(TG_LOTTIE_STICKER))
            return
        style = request.style
        if style is not None and not await self._check_style(bot, source, style, lang):
            return
        if request.problem is not None:  # refused before anything is charged
            await reply(bot, source, error_message(request.problem, lang))
            return
        chosen = style or await self._style_for(user.id)
        await self._pipeline.run(bot, source, media, user.id, chosen, request.options, lang)

    async def _check_style(self, bot: Bot, message: Message, style: str, lang: Lang) -> bool:
        if style in self._engine.style_names:
            return True
        await reply(bot, message, self._unknown_style(style, lang))
        return False

    def _unknown_style(self, style: str, lang: Lang) -> str:
        return error_message(UnknownStyle(style, self._engine.style_names), lang)

    async def _style_for(self, user_id: int) -> str:
        return await self._styles.usual(user_key(user_id))


_CANCEL_ANSWERS = {
    CancelOutcome.CANCELLED: CANCEL_STARTED,
    CancelOutcome.NOT_YOURS: CANCEL_NOT_YOURS,
    CancelOutcome.GONE: CANCEL_GONE,
}


def _lang(user: User | None) -> Lang:
    """The language of `user`'s Telegram app (language_code, e.g. "ko" or "en-US")."""
    return ENGLISH if user is None else lang_for(user.language_code)


async def _answer_query(query: CallbackQuery, text: str, *, alert: bool = False) -> None:
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:
        # Queries expire after a while; the work (if any) still goes ahead.
        log.info("could not answer callback query: %s", exc)
