"""Forms of the appeal card's actions. They only parse input; the services validate the domain."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse

from tsur.accounts.models import Role
from tsur.answers.models import Answer
from tsur.answers.services import flagged_answer, templates_for
from tsur.appeals.models import Appeal, RejectionReason
from tsur.core.forms import CleanTextForm
from tsur.directory.models import Organisation, Urgency
from tsur.routing.services import RoutingDecision, decide
from tsur.workspace import answering
from tsur.workspace.queries import category_choices, territory_choices

TEXTAREA = {"rows": 3}
PICKER_FIELDS = {"organisation", "executor", "category", "territory"}


class ActionForm(CleanTextForm, forms.Form):
    """Base: every action form knows the appeal it acts on (for choices and initial values)."""

    def __init__(self, *args, appeal: Appeal, **kwargs) -> None:
        self.appeal = appeal
        super().__init__(*args, **kwargs)
        self.setup()
        for name in PICKER_FIELDS & set(self.fields):
            # A searchable picker over a long list (tsur/static/workspace/pickers.js).
            self.fields[name].widget.attrs["data-picker"] = ""

    def setup(self) -> None:
        """Fill dynamic choices and initial values."""


def organisation_choices(*, exclude_id: int | None = None) -> list[tuple[str, str]]:
    qs = Organisation.objects.filter(is_active=True).order_by("short_name")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return [(o.code, f"{o.short_name} — {o.name}" if o.name != o.short_name else o.short_name) for o in qs]


def template_choices(kind: str, appeal: Appeal) -> list[tuple[str, str]]:
    """The appeal's category's templates first, then its block's, then the general ones."""
    return [("", "— без шаблона —"), *((t.code, t.name) for t in templates_for(appeal, kind))]


def routing_decision(appeal: Appeal) -> RoutingDecision | None:
    """What the routing rules choose for the appeal as it is (None: no rule and no center
    organisation), asked once per appeal object and version: a moderation card shows it twice, in
    the route form's first choice and in the preview above it."""
    key = (appeal.pk, appeal.version, appeal.category_id, appeal.territory_id)
    known = appeal.__dict__.get("_routing_decision")
    if known is None or known[0] != key:
        try:
            decision = decide(appeal)
        except Organisation.DoesNotExist:
            decision = None
        known = appeal.__dict__["_routing_decision"] = (key, decision)
    return known[1]


def rules_choice_label(appeal: Appeal) -> str:
    decision = routing_decision(appeal)
    if decision is None:
        return "Автоматически, по правилам маршрутизации"
    return f"По правилам: {decision.organisation.short_name}"


class EmptyForm(ActionForm):
    pass


class RouteForm(ActionForm):
    organisation = forms.ChoiceField(label="Организация", required=False)
    reason = forms.CharField(label="Комментарий", required=False, max_length=500)

    def setup(self) -> None:
        # Preselected: the rules' choice, named, so Enter on «Направить» routes there (and the
        # event keeps the rule that chose it, which a hand-picked organisation would not).
        self.fields["organisation"].choices = [("", rules_choice_label(self.appeal)), *organisation_choices()]


class TransferForm(ActionForm):
    organisation = forms.ChoiceField(label="Куда переадресовать")
    reason = forms.CharField(label="Причина", widget=forms.Textarea(attrs=TEXTAREA), max_length=1000)

    def setup(self) -> None:
        self.fields["organisation"].choices = [("", "— выберите —"), *organisation_choices(exclude_id=self.appeal.organisation_id)]


class ReasonForm(ActionForm):
    reason = forms.CharField(label="Причина", widget=forms.Textarea(attrs=TEXTAREA), max_length=1000)


class AssignForm(ActionForm):
    executor = forms.TypedChoiceField(label="Исполнитель", coerce=int)

    def setup(self) -> None:
        users = (
            get_user_model()
            .objects.filter(
                is_active=True,
                membership__organisation_id=self.appeal.organisation_id,
                membership__role__in=[Role.EXECUTOR, Role.COORDINATOR],
            )
            .select_related("membership")
            .order_by("last_name", "first_name", "username")
        )
        self.fields["executor"].choices = [("", "— выберите —")] + [
            (u.pk, f"{u.get_full_name() or u.username} ({u.membership.get_role_display().lower()})") for u in users
        ]
        if self.appeal.executor_id:
            self.fields["executor"].initial = self.appeal.executor_id


class RejectForm(ActionForm):
    reason = forms.ChoiceField(label="Причина", choices=[("", "— выберите —"), *RejectionReason.choices])
    note = forms.CharField(label="Пояснение", required=False, widget=forms.Textarea(attrs=TEXTAREA), max_length=2000)


class JoinForm(ActionForm):
    lead = forms.CharField(label="Номер ведущего обращения", max_length=20)
    reason = forms.CharField(label="Комментарий", required=False, max_length=500)

    def setup(self) -> None:
        self.fields["lead"].widget.attrs["placeholder"] = "2025-000123"


class ReclassifyForm(ActionForm):
    category = forms.ChoiceField(label="Категория")
    reason = forms.CharField(label="Комментарий", required=False, max_length=500)

    def setup(self) -> None:
        self.fields["category"].choices = category_choices(empty="— выберите —")
        if self.appeal.category_id:
            self.fields["category"].initial = self.appeal.category.code


class ChangePlaceForm(ActionForm):
    territory = forms.ChoiceField(label="Территория", required=False)
    address = forms.CharField(label="Адрес", required=False, max_length=300)
    # The point: a click on the card's map fills both (tsur/static/workspace/place.js), or typed.
    lat = forms.FloatField(label="Широта", required=False, error_messages={"invalid": "Широта — число, например 54.51345."})
    lon = forms.FloatField(label="Долгота", required=False, error_messages={"invalid": "Долгота — число, например 36.26123."})
    clear_point = forms.BooleanField(label="Убрать точку с карты", required=False)
    reason = forms.CharField(label="Комментарий", required=False, max_length=500)

    def setup(self) -> None:
        self.fields["territory"].choices = [("", "— не менять —"), *territory_choices()]
        if self.appeal.territory_id:
            self.fields["territory"].initial = self.appeal.territory.code
        self.fields["address"].initial = self.appeal.address
        self.fields["lat"].initial = self.appeal.lat
        self.fields["lon"].initial = self.appeal.lon
        for name in ("lat", "lon"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal", "data-place-input": name})
        self.fields["clear_point"].widget.attrs["data-place-input"] = "clear"
        if self.appeal.lat is None:
            del self.fields["clear_point"]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("clear_point"):
            data["lat"] = data["lon"] = None
        elif (data.get("lat") is None) != (data.get("lon") is None) and not ({"lat", "lon"} & set(self.errors)):
            self.add_error("lat", "Укажите обе координаты или нажмите на карту.")
        return data


class UrgencyForm(ActionForm):
    urgency = forms.ChoiceField(label="Срочность", choices=Urgency.choices)
    reason = forms.CharField(label="Причина", max_length=300)

    def setup(self) -> None:
        self.fields["urgency"].initial = Urgency.NORMAL if self.appeal.urgency == Urgency.HIGH else Urgency.HIGH


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the answers' service checks each by its content."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class AnswerTextForm(ActionForm):
    """An answer's text, optionally started from a template (rendered into the text by HTMX, or on
    the server when the text is left empty and JavaScript is off), with the evidence of the work
    attached; the formal-reply check runs on the text as the executor types."""

    template_kind = Answer.Kind.FINAL
    template = forms.ChoiceField(label="Шаблон", required=False)
    text = forms.CharField(label="Текст ответа", required=False, widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    files = MultipleFileField(label="Фото и документы (JPEG, PNG, WebP, PDF)", required=False)

    def __init__(self, *args, check_on_load: bool = False, **kwargs) -> None:
        self.check_on_load = check_on_load
        super().__init__(*args, **kwargs)

    @property
    def live_check_id(self) -> str:
        return answering.live_check_id(self.prefix)

    def setup(self) -> None:
        self.fields["template"].choices = template_choices(self.template_kind, self.appeal)
        self.fields["text"].widget.attrs.update(answering.live_check_attrs(self.appeal, self.prefix, on_load=self.check_on_load))
        # With HTMX, choosing a template renders it into the text at once, ready for editing.
        url = reverse("workspace:answer_template", args=[self.appeal.number]) + f"?for={self.prefix}"
        self.fields["template"].widget.attrs.update(
            {
                "hx-get": url,
                "hx-target": f"#id_{self.prefix}-text",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
                "hx-disabled-elt": "this",  # not the form's inherited "find button"
            }
        )

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("text") or "").strip() and not data.get("template"):
            self.add_error("text", "Напишите текст ответа или выберите шаблон.")
        return data


class InterimForm(AnswerTextForm):
    template_kind = Answer.Kind.INTERIM


class ExtensionRequestForm(ActionForm):
    days = forms.IntegerField(label="На сколько дней", min_value=1, max_value=365)
    reason = forms.CharField(label="Обоснование", widget=forms.Textarea(attrs=TEXTAREA), max_length=2000)


class ExtensionDecisionForm(ActionForm):
    request = forms.IntegerField(widget=forms.HiddenInput)
    # Comes from the pressed button (name="<prefix>-decision"), never rendered as an input.
    decision = forms.ChoiceField(
        choices=[("grant", "Продлить"), ("deny", "Отказать")],
        error_messages={"required": "Выберите: продлить или отказать."},
    )
    note = forms.CharField(label="Комментарий", required=False, max_length=1000)


class ClarificationForm(ActionForm):
    """«Запросить уточнение» (residents): the question goes to the resident as it is written."""

    question = forms.CharField(
        label="Вопрос жителю", widget=forms.Textarea(attrs=TEXTAREA), max_length=2000,
        error_messages={"required": "Напишите вопрос жителю.", "max_length": "Вопрос слишком длинный (не более 2000 знаков)."},
    )


class NoteForm(ActionForm):
    note = forms.CharField(label="Замечание", required=False, widget=forms.Textarea(attrs=TEXTAREA), max_length=2000)


class ApproveForm(NoteForm):
    """One click for a clean answer; a flagged one is approved only with the reason why."""

    def setup(self) -> None:
        if flagged_answer(self.appeal) is not None:
            note = self.fields["note"]
            note.required = True
            note.label = "Почему ответ годится, несмотря на признаки отписки"
            note.error_messages["required"] = "Ответ отмечен проверкой как возможная отписка: обоснуйте одобрение."


class ReturnAnswerForm(ActionForm):
    note = forms.CharField(label="Что исправить", widget=forms.Textarea(attrs=TEXTAREA), max_length=2000)


class ConfirmForm(ActionForm):
    source = forms.CharField(label="Объективный источник", max_length=500)

    def setup(self) -> None:
        self.fields["source"].widget.attrs["placeholder"] = "Напр.: камера «Безопасный город», акт ГЖИ № …"
