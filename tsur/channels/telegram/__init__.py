"""Telegram: a bot residents write to privately, and listening to public channels' discussion groups."""
