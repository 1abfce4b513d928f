"""Feishu / Lark, as one ChatPlatform: webhooks or the long connection, @bot text commands."""

from .app import FeishuPlatform, status_card
from .settings import FeishuSettings
from .supervisor import Supervisor

__all__ = ["FeishuPlatform", "FeishuSettings", "Supervisor", "status_card"]
