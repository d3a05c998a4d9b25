"""Contacts typed into free text are masked; dates, numbers and addresses stay readable."""

from __future__ import annotations

import pytest

from tsur.lib.pdmask import EMAIL_MASK, PHONE_MASK, has_contacts, mask_contacts


@pytest.mark.parametrize(
    "phone",
    [
        "+7 900 000-00-00",
        "+79001234567",
        "+7(900)123-45-67",
        "+7 (4842) 56-78-90",
        "+ 7 900 123 45 67",
        "8 900 123 45 67",
        "8(900)1234567",
        "8-900-123-45-67",
        "89001234567",
        "8 (4842) 56\u201178\u201190",  # non-breaking hyphens
        "8\u00a0800\u00a0555\u00a035\u00a035",  # no-break spaces
        "8 800 555-35-35",
    ],
)
def test_it_masks_russian_phones_in_any_grouping(phone):
    assert mask_contacts(f"Звоните: {phone}, после 18:00.") == f"Звоните: {PHONE_MASK}, после 18:00."


@pytest.mark.parametrize(
    "email",
    ["ivan@example.org", "ivan.petrov+yama@mail.ru", "a_b-c@sub.domain.example.com", "житель@почта.рф"],
)
def test_it_masks_emails(email):
    assert mask_contacts(f"пишите на {email}.") == f"пишите на {EMAIL_MASK}."


@pytest.mark.parametrize(
    "text",
    [
        "Яма у дома 8, кв. 12, с 12.05.2025",
        "Обращение 2025-000123 не решено",
        "дата 8.12.2024 1234",
        "ИНН 781234567890",
        "лицевой счёт 80012345678901",
        "номер без кода 900 123-45-67",
        "в 8 часов утра 15 машин",
        "",
    ],
)
def test_it_leaves_dates_numbers_and_plain_text_alone(text):
    assert mask_contacts(text) == text
    assert not has_contacts(text)


def test_it_masks_several_contacts_and_keeps_the_rest():
    text = "Иван, +7 900 000-00-00, ivan@example.org; второй: 8(4842)56-78-90. Дом 15."
    assert mask_contacts(text) == f"Иван, {PHONE_MASK}, {EMAIL_MASK}; второй: {PHONE_MASK}. Дом 15."
    assert has_contacts(text)


def test_it_masks_a_phone_followed_by_other_numbers():
    assert mask_contacts("8 900 123 45 67 2025 году") == f"{PHONE_MASK} 2025 году"


def test_it_is_idempotent():
    once = mask_contacts("+7 900 000-00-00 ivan@example.org")
    assert mask_contacts(once) == once
