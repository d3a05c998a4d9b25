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


# ---- find_personal_data / mask_personal_data -------------------------------------------------

from tsur.lib.pdmask import (  # noqa: E402
    ACCOUNT_MASK,
    CARD_MASK,
    NAME_MASK,
    PASSPORT_MASK,
    SNILS_MASK,
    find_personal_data,
    mask_personal_data,
)


def kinds(text: str, **kw) -> list[str]:
    return [f["kind"] for f in find_personal_data(text, **kw)]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Звонил Иванов И.И. вчера", f"Звонил {NAME_MASK} вчера"),
        ("Звонил Петров И. И. вчера", f"Звонил {NAME_MASK} вчера"),
        ("Ответственный: И.И. Петров, кабинет 5", f"Ответственный: {NAME_MASK}, кабинет 5"),
        ("Ответственный И.И. Петров", f"Ответственный {NAME_MASK}"),
        ("Мария Петровна из пятой квартиры", f"{NAME_MASK} из пятой квартиры"),
        ("Сидоров Иван Петрович просит", f"{NAME_MASK} просит"),
        ("Иван Петрович Сидоров сказал", f"{NAME_MASK} сказал"),
        ("Уважаемая Анна Сергеевна, отвечаем", f"Уважаемая {NAME_MASK}, отвечаем"),
        ("передайте Ольге Николаевне", f"передайте {NAME_MASK}"),
    ],
)
def test_it_masks_names_by_their_initials_or_patronymic(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Школа им. С.М. Кирова, ул. Ленина, д. 5",
        "Школа имени Кирова",
        "пр. Маршала Г.К. Жукова, дом 3",
        "В.И. Ленина улица разбита",
        "Площадь Ленина, улица Пушкина",
        "Прошу И.О. главы администрации разобраться",
        "Яма у дома 8, кв. 12",
        "Москва. Калуга. Обнинск.",
    ],
)
def test_street_and_institution_names_are_not_persons(text):
    assert kinds(text) == []
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "phone",
    [
        "+7 900 000-00-00",
        "8 (4842) 56-78-90",
        "(4842) 56-78-90",
        "900 123-45-67",
        "9001234567",
        "567-89-01",
    ],
)
def test_it_finds_phones_in_more_forms_than_mask_contacts(phone):
    assert mask_personal_data(f"звоните {phone} после шести") == f"звоните {PHONE_MASK} после шести"


def test_a_number_after_tel_is_a_phone():
    assert mask_personal_data("тел. 56 78 90, спросить управляющего") == f"тел. {PHONE_MASK}, спросить управляющего"
    assert mask_personal_data("Телефон: 123456") == f"Телефон: {PHONE_MASK}"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("паспорт 4506 123456 выдан", f"паспорт {PASSPORT_MASK} выдан"),
        ("Паспорт серия 45 06 номер 123456", f"Паспорт серия {PASSPORT_MASK}"),
        ("серия 4506 № 123456", f"серия {PASSPORT_MASK}"),
        ("данные: 45 06 123456", f"данные: {PASSPORT_MASK}"),
    ],
)
def test_it_masks_passport_numbers(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("СНИЛС 123-456-789 01", f"СНИЛС {SNILS_MASK}"),
        ("снилс: 123 456 789 01", f"снилс: {SNILS_MASK}"),
        ("СНИЛС 12345678901", f"СНИЛС {SNILS_MASK}"),
    ],
)
def test_it_masks_snils(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "link",
    [
        "vk.com/id123456",
        "https://vk.com/ivan.petrov",
        "https://m.vk.com/id42",
        "t.me/ivan_petrov",
        "https://ok.ru/profile/571234567",
        "instagram.com/ivan.petrov",
        "@ivan_petrov",
        "[id123|Иван]",
    ],
)
def test_it_masks_links_to_personal_accounts(link):
    assert mask_personal_data(f"пишите мне {link} вечером") == f"пишите мне {ACCOUNT_MASK} вечером"


@pytest.mark.parametrize("link", ["vk.com/club123456", "vk.com/wall-123_456", "https://vk.com/public42", "t.me/joinchat/AbCdEf", "ok.ru/group/123"])
def test_community_and_post_links_are_not_accounts(link):
    assert kinds(f"подробности: {link}") == []


def test_an_email_is_an_email_not_an_account():
    assert mask_personal_data("почта ivan@example.org") == f"почта {EMAIL_MASK}"


def test_it_masks_bank_cards_grouped_or_bare_with_a_valid_checksum():
    assert mask_personal_data("карта 4276 1234 5678 9014") == f"карта {CARD_MASK}"
    assert mask_personal_data("карта 4276-1234-5678-9014") == f"карта {CARD_MASK}"
    assert mask_personal_data("карта 4276123456789014") == f"карта {CARD_MASK}"  # passes the Luhn check
    assert kinds("номер 4276123456789015") == []  # fails it: some other 16-digit number


@pytest.mark.parametrize(
    "text",
    [
        "Яма у дома 8, кв. 12, с 12.05.2025",
        "Обращение 2025-000123 не решено",
        "дата 8.12.2024 1234",
        "ИНН 781234567890",
        "лицевой счёт 80012345678901",
        "счёт 40817810099910004312",
        "в 8 часов утра 15 машин, 2024 г.",
        "площадь 123,5 кв. м, 45 квартир",
        "",
    ],
)
def test_it_leaves_non_personal_numbers_alone(text):
    assert find_personal_data(text) == []
    assert mask_personal_data(text) == text


def test_findings_are_sorted_and_do_not_overlap():
    text = "Иванов И.И., тел. 8 900 123-45-67, почта ivan@example.org, паспорт 4506 123456, vk.com/id1"
    found = find_personal_data(text)
    assert [f["kind"] for f in found] == ["name", "phone", "email", "passport", "account_link"]
    assert all(a["end"] <= b["start"] for a, b in zip(found, found[1:], strict=False))
    assert text[found[1]["start"] : found[1]["end"]] == "8 900 123-45-67"


def test_mask_personal_data_is_idempotent_and_keeps_mask_contacts_as_it_was():
    once = mask_personal_data("Иванов И.И., 8 900 123-45-67, 567-89-01")
    assert mask_personal_data(once) == once
    # mask_contacts stays conservative: a local number is not its business
    assert mask_contacts("567-89-01, 8 900 123-45-67") == f"567-89-01, {PHONE_MASK}"


def test_natasha_names_are_optional():
    text = "Звонила Мария Иванова, сказала, что Пётр Сидоров придёт"
    assert kinds(text) == []  # no initials or patronymic: the regexes leave it
    assert mask_personal_data(text, names=True) == f"Звонила {NAME_MASK}, сказала, что {NAME_MASK} придёт"
    assert mask_personal_data("Улица Пушкина, дом 5", names=True) == "Улица Пушкина, дом 5"
