"""The request pipeline every platform shares: charge, draw, settle or refund, final status.

A platform supplies one Conversation per request (adapter.py); RequestPipeline (flow.py) does
the rest, drawing through drawing.py, letting the requester cancel a clip (cancel.py) and
closing the charge (charges.py). styles.py picks the style a request names none of;
privacy.py serves the privacy commands.
"""

from bot.pipeline.adapter import Conversation, Failure, StatusTexts
from bot.pipeline.cancel import CancelOutcome, ClipCancelled, ClipJobs
from bot.pipeline.charges import DeliveryUnconfirmed, refund_quietly, settle_quietly
from bot.pipeline.flow import PipelineSettings, RequestPipeline
from bot.pipeline.privacy import Privacy
from bot.pipeline.styles import StyleMemory, read_help_sample

__all__ = [
    "CancelOutcome",
    "ClipCancelled",
    "ClipJobs",
    "Conversation",
    "DeliveryUnconfirmed",
    "Failure",
    "PipelineSettings",
    "Privacy",
    "RequestPipeline",
    "StatusTexts",
    "StyleMemory",
    "read_help_sample",
    "refund_quietly",
    "settle_quietly",
]
