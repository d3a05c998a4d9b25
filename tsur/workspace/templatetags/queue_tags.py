"""The countdown badge of an appeal (the card's head), from tsur.workspace.countdown."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.workspace.countdown import Countdowns
from tsur.workspace.queue_rows import countdown_html

register = template.Library()


@register.simple_tag
def appeal_countdown(appeal: Appeal) -> SafeString | str:
    """«осталось 3 ч 20 мин рабочего времени» / «просрочено на 2 раб. дня», or nothing."""
    cd = Countdowns(clock.now()).of(appeal)
    if cd is None:
        return ""
    return countdown_html(cd, badge=True)
