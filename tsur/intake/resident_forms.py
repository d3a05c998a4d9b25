"""Forms of the residents' own pages: recovering the private link, replying to a clarification."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tsur.core.forms import CleanTextForm

PHONE_RE = re.compile(r"^\+?[\d\s()\-]{5,31}$")


def phone_digits(phone: str) -> str:
    """A Russian phone number as 11 digits starting with 7 («8 (900) 000-00-00» → «79000000000»);
    other numbers as their digits."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = "7" + digits
    return digits


class RecoveryForm(CleanTextForm, forms.Form):
    """«Не помню ссылку»: the contact the appeal was sent with, and optionally its number."""

    number = forms.CharField(required=False, max_length=20)
    contact = forms.CharField(max_length=254, error_messages={"required": "Укажите электронную почту или телефон, которые вы указали в обращении."})

    def clean_number(self) -> str:
        return (self.cleaned_data.get("number") or "").strip()

    def clean_contact(self) -> str:
        contact = (self.cleaned_data.get("contact") or "").strip()
        if "@" in contact:
            try:
                validate_email(contact)
            except ValidationError:
                raise ValidationError("Проверьте адрес электронной почты: он выглядит как name@example.ru.") from None
            return contact.lower()
        if not PHONE_RE.match(contact) or len(phone_digits(contact)) < 10:
            raise ValidationError("Укажите адрес электронной почты или номер телефона, например +7 900 123-45-67.")
        return contact

    @property
    def kind(self) -> str:
        """The contact's kind after validation: "email" or "phone"."""
        return "email" if "@" in self.cleaned_data["contact"] else "phone"


class ReplyForm(CleanTextForm, forms.Form):
    """The resident's reply to a clarification request."""

    text = forms.CharField(
        max_length=settings.TSUR_MAX_TEXT_CHARS,
        widget=forms.Textarea,
        error_messages={
            "required": "Напишите ответ на вопрос.",
            "max_length": f"Ответ слишком длинный (не более {settings.TSUR_MAX_TEXT_CHARS} знаков).",
        },
    )

    def clean_text(self) -> str:
        text = (self.cleaned_data.get("text") or "").strip()
        if not text:
            raise ValidationError("Напишите ответ на вопрос.")
        return text
