"""gridbot (网格小助手): a chat-bot service for urban community grid groups."""

__version__ = "0.1.0"
