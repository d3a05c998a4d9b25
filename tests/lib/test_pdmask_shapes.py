"""The personal-data engine on the shapes residents really write (found by hand in the public
feed on 2026-12-05): names after «меня зовут», bare and local numbers, foreign numbers, disguised
e-mails; and the values we know of the author, in any grammatical case."""

from __future__ import annotations

import pytest

from tests import pd_samples
from tsur.lib.pdmask import EMAIL_MASK, NAME_MASK, PHONE_MASK, mask_known, mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Меня зовут Сидоров Пётр Ильич, живу рядом", f"Меня зовут {NAME_MASK}, живу рядом"),
        ("Меня зовут Анна, помогите", f"Меня зовут {NAME_MASK}, помогите"),
        ("С уважением, Анна Смирнова", f"С уважением, {NAME_MASK}"),
        ("Уважаемая Анна Смирнова!", f"Уважаемая {NAME_MASK}!"),
        ("ФИО: Петров Иван Сергеевич, адрес ул. Мира", f"ФИО: {NAME_MASK}, адрес ул. Мира"),
        ("звоните 9104445566", f"звоните {PHONE_MASK}"),
        ("звоните 910-777-88-99", f"звоните {PHONE_MASK}"),
        ("в офис (4842) 56-78-90", f"в офис {PHONE_MASK}"),
        ("соседке 57-68-79 вечером", f"соседке {PHONE_MASK} вечером"),
        ("сыну +375 29 123-45-67.", f"сыну {PHONE_MASK}."),
        ("пишите ivan.petrov(at)mail.ru", f"пишите {EMAIL_MASK}"),
        ("пишите ivan [at] mail [dot] ru", f"пишите {EMAIL_MASK}"),
    ],
)
def test_it_masks_the_shapes_residents_write(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "С уважением, Администрация района",
        "Уважаемая администрация!",
        "с 12-00 до 18-00, дом 12-а, 12.05.2024",
        "Счёт 2-1, в 10:20-30 приехали",
        "at the station at 5",
        "Улица Пушкина, дом 5, кв. 12",
    ],
)
def test_it_keeps_what_is_not_personal_data(text):
    assert mask_personal_data(text) == text


def test_it_masks_the_authors_own_values_in_any_case_and_grouping():
    text = "Уважаемый Пётр Ильич Сидоров! Сидорову ответим по телефону 8 (910) 444-55-66 или Petr.Sidorov@example.org"
    masked = mask_known(text, **pd_samples.RESIDENT)
    assert masked == f"Уважаемый {NAME_MASK}! {NAME_MASK} ответим по телефону {PHONE_MASK} или {EMAIL_MASK}"


def test_it_leaves_nothing_of_the_planted_sample():
    masked = mask_known(mask_personal_data(pd_samples.TEXT), **pd_samples.RESIDENT)
    assert pd_samples.leaks(masked) == []
    assert all(kept in masked for kept in pd_samples.KEPT)


def test_the_quick_test_for_a_literal_never_misses_what_the_pattern_finds():
    """`mask_known` compiles no pattern for an e-mail or account link that `_fold` shows is not in
    the text. Safe only if every character `re.IGNORECASE` matches to an ASCII one folds to the
    same: checked over every code point, for every printable ASCII character."""
    import re
    import string
    import sys

    from tsur.lib.pdmask import _fold

    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    for c in string.printable:
        for u in re.findall(re.escape(c), everything, flags=re.IGNORECASE):
            assert _fold(u) == _fold(c), (c, hex(ord(u)))


def test_an_account_link_is_masked_in_any_case_and_a_text_without_it_is_left_as_it_is():
    from tsur.lib.pdmask import ACCOUNT_MASK

    link = "https://vk.com/id12345"
    assert mask_known("Мой профиль HTTPS://VK.COM/ID12345, пишите", account=link) == f"Мой профиль {ACCOUNT_MASK}, пишите"
    assert mask_known("Профиль https://vk.com/İd12345", account=link) == f"Профиль {ACCOUNT_MASK}"  # as re.IGNORECASE matches
    assert mask_known("Яма у дома 5, https://vk.com/id1234", account=link) == "Яма у дома 5, https://vk.com/id1234"
