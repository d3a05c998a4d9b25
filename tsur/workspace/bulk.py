"""Bulk actions of the queue: one action over the appeals an operator ticked.

Every appeal goes through its own door (the same service function the card calls), with the
version the operator saw in the queue, and in its own transaction (the service's): one refusal —
another operator got there first, no rights, a wrong status — does not undo the others. The
summary names each refused appeal with the service's own Russian reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth import get_user_model

from tsur.accounts.models import Role
from tsur.appeals import access
from tsur.appeals import services as appeals
from tsur.appeals.models import Appeal, RejectionReason, Status
from tsur.core.errors import AccessDenied, ConcurrentUpdate, DomainError, ValidationFailed
from tsur.directory.models import Organisation, Urgency
from tsur.lib.ru import plural

MAX_BATCH = 200

BY_RULES = ""  # the route form's value for «по правилам»


@dataclass
class BulkSummary:
    op: str
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, reason)
    error: str = ""

    @property
    def total(self) -> int:
        return len(self.done) + len(self.refused)

    @property
    def headline(self) -> str:
        if self.error:
            return self.error
        verb = OPS[self.op].done_label
        head = f"{verb} {len(self.done)} из {self.total}"
        if self.refused:
            head += f"; не выполнено {len(self.refused)}"
        return head


@dataclass(frozen=True)
class BulkOp:
    name: str
    label: str
    done_label: str
    permission: str
    form: type[forms.Form]
    run: Callable[[Appeal, object, dict, int | None], None]


# --- the small forms ------------------------------------------------------------------------------


class RouteForm(forms.Form):
    organisation = forms.ChoiceField(label="Куда направить", required=False)
    reason = forms.CharField(label="Комментарий", required=False, max_length=500)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        orgs = Organisation.objects.filter(is_active=True).order_by("short_name").values_list("code", "short_name")
        self.fields["organisation"].choices = [(BY_RULES, "По правилам маршрутизации"), *orgs]


class AssignForm(forms.Form):
    executor = forms.TypedChoiceField(label="Исполнитель", coerce=int)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["executor"].choices = [("", "— выберите —"), *executor_choices(user)]


class RejectForm(forms.Form):
    reason = forms.ChoiceField(label="Причина", choices=RejectionReason.choices, initial=RejectionReason.SPAM)
    note = forms.CharField(label="Пояснение", required=False, max_length=500)


class JoinForm(forms.Form):
    lead = forms.CharField(label="Ведущее обращение (номер)", max_length=20)
    reason = forms.CharField(label="Комментарий", required=False, max_length=500)


class UrgencyForm(forms.Form):
    urgency = forms.ChoiceField(label="Срочность", choices=Urgency.choices)
    reason = forms.CharField(label="Причина", max_length=300)


def executor_choices(user) -> list[tuple[int, str]]:
    """Executors and coordinators of the user's own organisation."""
    m = access.membership_of(user) if user is not None else None
    if m is None or not m.organisation_id:
        return []
    people = (
        get_user_model()
        .objects.filter(is_active=True, membership__organisation_id=m.organisation_id, membership__role__in=[Role.EXECUTOR, Role.COORDINATOR])
        .order_by("last_name", "first_name", "username")
    )
    return [(u.pk, appeals.actor_label(u)) for u in people]


# --- runners: one service call per appeal ---------------------------------------------------------


def _route(a: Appeal, user, d: dict, v: int | None) -> None:
    appeals.route_appeal(a, user, organisation_code=d["organisation"], reason=d["reason"], expected_version=v)


def _assign(a: Appeal, user, d: dict, v: int | None) -> None:
    appeals.assign_executor(a, user, executor_id=d["executor"], expected_version=v)


def _reject(a: Appeal, user, d: dict, v: int | None) -> None:
    appeals.reject_appeal(a, user, reason_code=d["reason"], note=d["note"], expected_version=v)


def _join(a: Appeal, user, d: dict, v: int | None) -> None:
    appeals.join_to_problem(a, user, lead_number=d["lead"], reason=d["reason"], expected_version=v)


def _urgency(a: Appeal, user, d: dict, v: int | None) -> None:
    appeals.change_urgency(a, user, urgency=d["urgency"], reason=d["reason"], expected_version=v)


OPS: dict[str, BulkOp] = {
    op.name: op
    for op in (
        BulkOp("route", "Направить", "Направлено", "route", RouteForm, _route),
        BulkOp("assign", "Назначить исполнителя", "Назначено", "assign", AssignForm, _assign),
        BulkOp("reject", "Отклонить", "Отклонено", "reject", RejectForm, _reject),
        BulkOp("join", "Объединить в проблему", "Присоединено", "join_problem", JoinForm, _join),
        BulkOp("urgency", "Изменить срочность", "Изменено", "change_urgency", UrgencyForm, _urgency),
    )
}


def ops_for(user) -> list[BulkOp]:
    """The bulk actions worth offering this user (the services check again per appeal). Assigning
    is a coordinator's: the center's operators route, the organisation picks its executor."""
    role = access.role_of(user)
    out = []
    for op in OPS.values():
        if not access.can(user, op.permission):
            continue
        if op.name == "assign" and role != Role.COORDINATOR:
            continue
        out.append(op)
    return out


def make_form(op: BulkOp, user, data=None) -> forms.Form:
    return op.form(data, user=user, prefix=op.name) if op.form in (RouteForm, AssignForm) else op.form(data, prefix=op.name)


def _reason(exc: DomainError) -> str:
    if isinstance(exc, AccessDenied):
        return "нет прав"
    message = exc.message
    if exc.field_errors and isinstance(exc, ValidationFailed):
        details = "; ".join(e for errors in exc.field_errors.values() for e in errors)
        if details and details not in message:
            message = f"{message} {details}"
    return message


def run_bulk(user, op_name: str, numbers: list[str], versions: dict[str, int], data) -> tuple[BulkSummary, forms.Form | None]:
    """Run one bulk action. `versions` maps a number to the version the operator saw."""
    op = OPS.get(op_name)
    if op is None or op not in ops_for(user):
        return BulkSummary(op=op_name if op else "route", error="Это действие вам недоступно."), None
    summary = BulkSummary(op=op.name)
    numbers = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    form = make_form(op, user, data)
    if not numbers:
        summary.error = "Отметьте обращения в списке."
        return summary, form
    if len(numbers) > MAX_BATCH:
        summary.error = f"За один раз можно обработать не больше {MAX_BATCH} обращений, отмечено {len(numbers)}."
        return summary, form
    if not form.is_valid():
        summary.error = "Проверьте поля формы массового действия."
        return summary, form
    d = form.cleaned_data
    visible = {a.number: a for a in access.appeals_for(user).filter(number__in=numbers)}
    for number in numbers:
        if op.name == "join" and number == d["lead"].strip():
            continue  # the lead stays as it is; the others join it
        appeal = visible.get(number)
        if appeal is None:
            summary.refused.append((number, "не найдено или нет прав"))
            continue
        try:
            op.run(appeal, user, d, versions.get(number))
        except ConcurrentUpdate:
            now = Appeal.objects.filter(pk=appeal.pk).values_list("status", flat=True).first()
            summary.refused.append((number, f"уже изменено другим пользователем (сейчас: «{Status(now).label}»)"))
        except DomainError as exc:
            summary.refused.append((number, _reason(exc)))
        else:
            summary.done.append(number)
    return summary, form


def parse_versions(post) -> dict[str, int]:
    """`version-<number>` fields of the queue's rows."""
    out = {}
    for key, value in post.items():
        if key.startswith("version-") and value.isdigit():
            out[key.removeprefix("version-")] = int(value)
    return out


def appeals_word(n: int) -> str:
    return plural(n, "обращение", "обращения", "обращений")
