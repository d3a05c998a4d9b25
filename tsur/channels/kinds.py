"""The channel kinds of tsur.channels' plugins, registered with appeals (tsur.appeals.channels)
when the app is ready: their codes on appeals, their labels, the regime of their deadlines."""

from __future__ import annotations

from tsur.appeals.channels import register
from tsur.directory.models import Regime

# Public posts found by monitoring: «Инцидент Менеджмент».
VK = register("vk", "ВКонтакте", Regime.INCIDENT)
TELEGRAM = register("telegram", "Telegram", Regime.INCIDENT)
OK = register("ok", "Одноклассники", Regime.INCIDENT)
# A resident writing to the center's bot is like the app or the widget, not a post found by monitoring.
TELEGRAM_BOT = register("telegram_bot", "Telegram-бот", Regime.MESSAGE)
# A letter is a written appeal under 59-FZ.
EMAIL = register("email", "Электронная почта", Regime.APPEAL)
POS_IMPORT = register("pos_import", "Импорт из ПОС", Regime.MESSAGE)
