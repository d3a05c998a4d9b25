"""Forms of the poll builder. They only parse input; tsur.polls.services validate the domain
(and say in Russian what is wrong), the form's errors cover what cannot even be read."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from tsur.core.forms import CleanTextForm
from tsur.directory.models import Territory
from tsur.polls.models import Audience, Poll, Question, QuestionKind, Verification

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
TARGET_LEVELS = (Territory.Level.CITY_DISTRICT, Territory.Level.MUNICIPAL_DISTRICT, Territory.Level.OKRUG)


class _When(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=DATETIME_FORMAT)


def territory_choices() -> list[tuple[int, str]]:
    """Territories a poll can target: the districts and okrugs; none chosen is the whole region (a
    settlement's residents vote as part of their district; a finer target is a follow-up poll's own)."""
    qs = Territory.objects.filter(level__in=TARGET_LEVELS).order_by("level", "name")
    return [(t.pk, t.name) for t in qs]


class PollForm(CleanTextForm, forms.Form):
    title = forms.CharField(label="Название", max_length=200, error_messages={"required": "Укажите название опроса."})
    description = forms.CharField(label="Описание для жителей", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    starts_at = forms.DateTimeField(
        label="Начало", required=False, widget=_When(), input_formats=[DATETIME_FORMAT],
        help_text="Пусто — с момента публикации.", error_messages={"invalid": "Укажите дату и время начала."},
    )  # fmt: skip
    ends_at = forms.DateTimeField(
        label="Окончание", required=False, widget=_When(), input_formats=[DATETIME_FORMAT],
        help_text="Пусто — до завершения вручную.", error_messages={"invalid": "Укажите дату и время окончания."},
    )  # fmt: skip
    territories = forms.TypedMultipleChoiceField(
        label="Территории", required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Ничего не выбрано — вся область. Голосуют жители выбранных территорий и их населённых пунктов.",
        error_messages={"invalid_choice": "Выберите территорию из списка."},
    )  # fmt: skip
    verification = forms.ChoiceField(label="Как подтверждается голос", choices=Verification.choices)
    audience = forms.ChoiceField(label="Кто может голосовать", choices=Audience.choices)
    show_results = forms.BooleanField(label="Показывать итоги проголосовавшим", required=False)

    def __init__(self, *args, poll: Poll | None = None, locked: bool = False, **kwargs) -> None:
        if poll is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": poll.title,
                "description": poll.description,
                "starts_at": timezone.localtime(poll.starts_at) if poll.starts_at else None,
                "ends_at": timezone.localtime(poll.ends_at) if poll.ends_at else None,
                "territories": list(poll.territories.values_list("pk", flat=True)),
                "verification": poll.verification,
                "audience": poll.audience,
                "show_results": poll.show_results,
            }
        kwargs.setdefault("initial", {}).setdefault("show_results", True)
        super().__init__(*args, **kwargs)
        self.fields["territories"].choices = territory_choices()
        # A published poll: its targeting and verification are what residents voted under.
        self.locked = locked
        if locked:
            for name in ("starts_at", "territories", "verification", "audience"):
                self.fields[name].disabled = True

    def values(self) -> dict:
        """The fields the service takes (a published poll's locked fields left out)."""
        data = dict(self.cleaned_data)
        if self.locked:
            for name in ("starts_at", "territories", "verification", "audience"):
                data.pop(name, None)
        return data


class QuestionForm(CleanTextForm, forms.Form):
    kind = forms.ChoiceField(label="Вид вопроса", choices=QuestionKind.choices)
    text = forms.CharField(label="Вопрос", max_length=500, error_messages={"required": "Введите текст вопроса."})
    required = forms.BooleanField(label="Обязательный", required=False)
    options = forms.CharField(
        label="Варианты ответа", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Каждый вариант — с новой строки.",
    )  # fmt: skip
    max_choices = forms.IntegerField(
        label="Не больше вариантов", required=False, min_value=1,
        error_messages={"invalid": "Укажите число.", "min_value": "Не меньше одного."},
    )  # fmt: skip
    scale_min = forms.IntegerField(label="Шкала от", initial=1, required=False, error_messages={"invalid": "Укажите число."})
    scale_max = forms.IntegerField(label="Шкала до", initial=5, required=False, error_messages={"invalid": "Укажите число."})
    scale_min_label = forms.CharField(label="Подпись начала", max_length=100, required=False)
    scale_max_label = forms.CharField(label="Подпись конца", max_length=100, required=False)

    def __init__(self, *args, question: Question | None = None, **kwargs) -> None:
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": question.kind,
                "text": question.text,
                "required": question.required,
                "options": "\n".join(question.options.values_list("text", flat=True)),
                "max_choices": question.max_choices,
                "scale_min": question.scale_min,
                "scale_max": question.scale_max,
                "scale_min_label": question.scale_min_label,
                "scale_max_label": question.scale_max_label,
            }
        kwargs.setdefault("initial", {}).setdefault("required", True)
        super().__init__(*args, **kwargs)

    def values(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "text": d["text"],
            "required": d["required"],
            "options": [line for line in (d.get("options") or "").splitlines()],
            "max_choices": d.get("max_choices"),
            "scale_min": 1 if d.get("scale_min") is None else d["scale_min"],
            "scale_max": 5 if d.get("scale_max") is None else d["scale_max"],
            "scale_min_label": d.get("scale_min_label") or "",
            "scale_max_label": d.get("scale_max_label") or "",
        }
