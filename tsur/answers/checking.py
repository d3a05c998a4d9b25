"""Catch formal replies («отписки»): answers that promise nothing concrete.

A rule-based reader the checking operator sees as hints, never as a verdict: each finding names
the phrase and why it matters.
"""

from __future__ import annotations

import re

# Phrases typical of a reply that shifts the problem away or promises nothing.
_FORMAL_PATTERNS: list[tuple[str, str]] = [
    (r"\bбудет рассмотрен\w*\b", "обещание рассмотреть без срока"),
    (r"\bпо мере (финансирования|возможност\w*|поступления)", "решение отложено «по мере возможности»"),
    (r"\bв рамках (имеющихся|выделенных) (средств|ассигнований|лимитов)", "ссылка на отсутствие средств"),
    (r"\bвключен\w* в план\w*\b(?!.*\b20\d\d\b)", "включено в план без указания года"),
    (r"\bинформаци\w+ принят\w* к сведению", "«принято к сведению» без действий"),
    (r"\bв перспективе\b", "решение «в перспективе»"),
    (r"\bрассмотрим возможность\b|\bрассмотрен\w* возможност\w*", "только возможность, а не решение"),
    (r"\bне представляется возможным\b", "отказ без альтернативы"),
    (r"\bвам необходимо обратиться\b|\bрекомендуем обратиться\b", "житель перенаправлен без переадресации"),
    (r"\bне относится к (нашей )?компетенции\b", "ссылка на чужую компетенцию"),
]
_CONCRETE_PATTERNS = [
    r"\b\d{1,2}\.\d{1,2}\.(20)?\d\d\b",  # a date
    r"\b\d{1,2} (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)\b",
    r"\b(выполнен\w*|устранен\w*|отремонтирован\w*|вывезен\w*|восстановлен\w*|убран\w*|заменен\w*|очищен\w*)\b",
    # The same work in the active voice: «заделали», «вывезли», «почистили».
    r"\b(выполнили|устранили|отремонтировали|заделан\w*|заделали|вывезли|восстановили|убрали|заменили|очистили|почистили)\b",
    r"\bв срок до\b",
    r"\bдо (понедельника|вторника|среды|четверга|пятницы|субботы|воскресенья|конца (недели|месяца))\b",
    r"\b(сегодня|завтра)\b",
]
_MIN_WORDS = 12
# A template's field for the executor to fill: «[дата]», «[что будет сделано]». Letters inside, so
# a reference like «[1]» in a legal citation is not taken for one.
_FIELD = re.compile(r"\[[^\[\]\n]{0,80}[^\W\d_][^\[\]\n]{0,80}\]")
UNFILLED_WHY = "не заполнено поле шаблона"


def unfilled_fields(text: str) -> list[str]:
    """The template's fields left as they were, in order of appearance, each once."""
    return list(dict.fromkeys(m.group(0) for m in _FIELD.finditer(text or "")))


def find_formal_reply(text: str) -> list[dict]:
    """Findings for the checking operator; an empty list means nothing suspicious was seen."""
    lowered = (text or "").casefold()
    findings: list[dict] = [{"phrase": field, "why": UNFILLED_WHY} for field in unfilled_fields(text)]
    for pattern, why in _FORMAL_PATTERNS:
        m = re.search(pattern, lowered)
        if m:
            findings.append({"phrase": m.group(0), "why": why})
    concrete = any(re.search(p, lowered) for p in _CONCRETE_PATTERNS)
    # A short answer that names a date or the work done is concise, not formal: flagging it would
    # make the center give a reason for approving every good one-line answer.
    if len(lowered.split()) < _MIN_WORDS and not concrete:
        findings.append({"phrase": "", "why": "ответ слишком короткий, чтобы объяснить решение"})
    if findings and not concrete:
        findings.append({"phrase": "", "why": "нет ни срока, ни выполненной работы"})
    return findings


def is_formal_reply(text: str) -> bool:
    return any(f["why"] == "нет ни срока, ни выполненной работы" for f in find_formal_reply(text))
