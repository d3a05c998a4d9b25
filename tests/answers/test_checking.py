"""The formal-reply check: what it flags, and what it lets pass without asking for a reason."""

from __future__ import annotations

from tsur.answers.checking import find_formal_reply, unfilled_fields


def whys(text: str) -> list[str]:
    return [f["why"] for f in find_formal_reply(text)]


def test_it_lets_a_short_concrete_answer_pass():
    assert find_formal_reply("Яма заделана 12.05.2025 подрядной организацией, участок проверен.") == []


def test_it_flags_a_short_vague_answer():
    assert whys("Ваш вопрос решается.") == ["ответ слишком короткий, чтобы объяснить решение", "нет ни срока, ни выполненной работы"]


def test_it_flags_the_template_fields_left_unfilled_once_each():
    text = "Работы включены в план на [год] год, срок — до [ДД.ММ.ГГГГ] ([ДД.ММ.ГГГГ]); см. п. [1] закона."
    assert unfilled_fields(text) == ["[год]", "[ДД.ММ.ГГГГ]"]
    assert [f["phrase"] for f in find_formal_reply(text) if f["why"] == "не заполнено поле шаблона"] == ["[год]", "[ДД.ММ.ГГГГ]"]


def test_it_accepts_a_plan_with_a_year_and_a_date():
    text = (
        "По обращению № 2026-000123: ремонт покрытия проезжей части по адресу ул. Ленина, д. 5 включён в план "
        "работ на 2027 год, срок выполнения — до 30.06.2027; до начала работ участок огорожен."
    )
    assert find_formal_reply(text) == []


def test_it_takes_work_done_or_a_near_day_as_concrete():
    for text in (
        "Яму на Тестовой улице заделали 3 марта, спасибо за сообщение.",
        "Яму на Синтетической улице заделают до пятницы.",
        "Двор на Условной улице почистят сегодня.",
    ):
        assert find_formal_reply(text) == [], text
