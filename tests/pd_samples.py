"""Personal data planted in texts, in every common Russian shape, and the needles that must never
be found where personal data may not be shown (the analyst's pages, the public feed, exports)."""

from __future__ import annotations

# The author, as stored in Resident.
RESIDENT = {"name": "Сидоров Пётр Ильич", "phone": "+7 910 444-55-66", "email": "petr.sidorov@example.org"}

# What the resident typed into the appeal: a name after a cue, mobiles in every grouping, a city
# number with its area code, a bare six-digit local number, a foreign number, plain and
# disguised e-mails.
TEXT = (
    "Меня зовут Сидоров Пётр Ильич, пишу от имени жителей дома. Во дворе дома 5 по ул. Ленина третью неделю "
    "не вывозят мусор. Звоните 9104445566 или 910-777-88-99, в офис (4842) 56-78-90, соседке 57-68-79, "
    "мой второй +7 (912) 345-67-89 и 8 913 765 43 21, сыну +375 29 123-45-67. "
    "Пишите ivan.petrov(at)mail.ru или petr.sidorov@example.org."
)

# An official's answer that addresses the resident by name (as they do).
ANSWER = (
    "Уважаемый Пётр Ильич! Сообщаем, что вывоз мусора по ул. Ленина, д. 5 выполнен 12.05.2025, "
    "график восстановлен. Ответ направлен Сидорову П.И. по телефону 8 (910) 444-55-66."
)

NEEDLES = (
    "Сидоров", "Пётр", "Ильич", "9104445566", "910-777-88-99", "444-55-66", "56-78-90", "57-68-79",
    "345-67-89", "765 43 21", "123-45-67", "ivan.petrov", "petr.sidorov", "example.org",
)

# What must survive masking: the substance of the complaint.
KEPT = ("ул. Ленина", "вывозят мусор", "дома 5")


def leaks(text: str) -> list[str]:
    """The planted values found in `text`."""
    return [needle for needle in NEEDLES if needle in text]
