"""Admin for users (with their platform role), roles and API keys.

An API key is shown in full exactly once, in the message after it is issued; only its hash is
stored and the hash is never displayed.
"""

from __future__ import annotations

from axes import admin as axes_admin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from tsur.accounts.models import ApiToken, Membership, Scope, default_scopes
from tsur.core.admin import RussianAdmin, RussianLabels, shown

User = get_user_model()


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    extra = 0
    max_num = 1
    fields = ("role", "organisation", "queue")
    autocomplete_fields = ("organisation", "queue")
    verbose_name = "роль в платформе"
    verbose_name_plural = "роль в платформе"


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "full_name", "platform_role", "platform_scope", "is_active", "is_staff", "last_login")
    list_filter = ("membership__role", "is_active", "is_staff", "is_superuser")
    list_select_related = ("membership", "membership__organisation", "membership__queue")
    search_fields = ("username", "first_name", "last_name", "email")

    @admin.display(description="имя и фамилия", ordering="last_name")
    def full_name(self, obj) -> str:
        return obj.get_full_name() or "—"

    @admin.display(description="роль")
    def platform_role(self, obj) -> str:
        m = getattr(obj, "membership", None)
        return m.get_role_display() if m else "—"

    @admin.display(description="организация / очередь")
    def platform_scope(self, obj) -> str:
        m = getattr(obj, "membership", None)
        if m is None:
            return "—"
        return str(m.organisation or m.queue or "—")


@admin.register(Membership)
class MembershipAdmin(RussianAdmin):
    labels = {"user": "пользователь"}
    list_display = ("user", "role", "organisation", "queue")
    list_filter = ("role", "organisation", "queue")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    search_help_text = "Поиск по логину, имени и фамилии"
    autocomplete_fields = ("user", "organisation", "queue")
    list_select_related = ("user", "organisation", "queue")


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label="Разрешено",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=default_scopes,
        help_text="Ключ действует только для отмеченного и только в пределах роли своего пользователя.",
    )

    class Meta:
        model = ApiToken
        fields = ("name", "user", "scopes", "is_active")


class ApiTokenAddForm(ApiTokenForm):
    class Meta(ApiTokenForm.Meta):
        fields = ("name", "user", "scopes")


def _show_key_once(request: HttpRequest, token: ApiToken, raw: str) -> None:
    messages.warning(
        request,
        format_html(
            "API-ключ «{}» выпущен. Скопируйте его сейчас — он показывается один раз и нигде не хранится: "
            "<code style='user-select:all'>{}</code>",
            token.name,
            raw,
        ),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(RussianAdmin):
    labels = {"created_at": "выпущен", "last_used_at": "последнее использование"}
    list_display = ("name", "user", "scopes_display", "prefix_display", "created_at", "last_used_at", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "user__username", "prefix")
    search_help_text = "Поиск по названию, логину пользователя и началу ключа"
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    actions = ("reissue", "deactivate")

    @admin.display(description="разрешено")
    def scopes_display(self, obj: ApiToken) -> str:
        return obj.scope_labels()

    @admin.display(description="префикс ключа")
    def prefix_display(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…" if obj.prefix else "—"

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiTokenAddForm if obj is None else ApiTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "user", "scopes")
        return self._named(("name", "user", "scopes", "prefix_display", "is_active", "created_at", "last_used_at"))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self._named(("user", "prefix_display", "created_at", "last_used_at"))

    def save_model(self, request, obj: ApiToken, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = ApiToken.issue(obj.user, obj.name, scopes=list(form.cleaned_data["scopes"]))
        # The admin continues with `obj` (log entry, redirect): make it the issued row.
        obj.pk = token.pk
        obj.prefix, obj.key_hash, obj.created_at = token.prefix, token.key_hash, token.created_at
        obj._state.adding = False
        _show_key_once(request, token, raw)

    @admin.action(description="Выпустить новый ключ взамен (старый перестанет действовать)")
    def reissue(self, request: HttpRequest, queryset: QuerySet) -> None:
        for old in queryset.select_related("user"):
            token, raw = ApiToken.issue(old.user, old.name, scopes=list(old.scopes))
            ApiToken.objects.filter(pk=old.pk).update(is_active=False)
            _show_key_once(request, token, raw)

    @admin.action(description="Отозвать выбранные ключи")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = queryset.update(is_active=False)
        self.message_user(request, f"Отозвано ключей: {n}.", messages.SUCCESS)


# django-axes' own admin, in Russian: its columns, filters and forms are English in its Russian
# translation. Same models, same read-only behaviour; axes loads first (INSTALLED_APPS).
AXES_LABELS = {
    "attempt_time": "время попытки", "logout_time": "время выхода", "ip_address": "IP-адрес", "username": "логин",
    "user_agent": "браузер", "http_accept": "принимаемые форматы", "path_info": "адрес страницы",
    "get_data": "параметры запроса", "post_data": "данные формы", "failures_since_start": "неудачных попыток",
    "session_hash": "отпечаток сессии",
}  # fmt: skip


class AxesRussian(RussianLabels):
    """Axes' models name themselves with UTC times («… @ 2026-12-06 02:21»): the page's subtitle
    is the login and the Moscow time instead. Pages are not filtered by path (a filter over every
    URL ever tried, «<unknown>» included); the search covers paths."""

    labels = AXES_LABELS

    def get_list_filter(self, request: HttpRequest) -> list:
        return [f for f in super().get_list_filter(request) if f != "path_info"]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None):
        obj = self.get_object(request, object_id)
        subtitle = f"{obj.username or '—'}, {shown(obj.attempt_time)}" if obj is not None else None
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "subtitle": subtitle})


class LockedOutFilter(axes_admin.IsLockedOutFilter):
    title = "заблокирован"

    def lookups(self, request: HttpRequest, model_admin) -> tuple:
        return (("yes", "да"), ("no", "нет"))


class AccessAttemptAdmin(AxesRussian, axes_admin.AccessAttemptAdmin):
    list_filter = [LockedOutFilter if f is axes_admin.IsLockedOutFilter else f for f in axes_admin.AccessAttemptAdmin.list_filter]
    fieldsets = (
        (None, {"fields": ("username", "path_info", "failures_since_start", "expiration")}),
        ("Данные формы", {"fields": ("get_data", "post_data")}),
        ("Сведения о запросе", {"fields": ("user_agent", "ip_address", "http_accept")}),
    )

    @admin.display(description="действует до")
    def expiration(self, obj: AccessAttempt):
        return shown(obj.expiration.expires_at) if hasattr(obj, "expiration") else "не задано"

    @admin.display(description="состояние")
    def status(self, obj: AccessAttempt) -> str:
        limit = axes_settings.AXES_FAILURE_LIMIT
        left = limit - obj.failures_since_start
        return f"осталось попыток: {left}" if left > 0 else "вход заблокирован"

    @admin.action(description="Удалить истёкшие попытки")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, f"Удалено истёкших попыток: {count}.")


class AccessLogAdmin(AxesRussian, axes_admin.AccessLogAdmin):
    fieldsets = (
        (None, {"fields": ("username", "path_info")}),
        ("Время", {"fields": ("attempt_time", "logout_time")}),
        ("Сведения о запросе", {"fields": ("user_agent", "ip_address", "http_accept")}),
    )


class AccessFailureLogAdmin(AxesRussian, axes_admin.AccessFailureLogAdmin):
    labels = {**AXES_LABELS, "locked_out": "вход заблокирован"}
    fieldsets = (
        (None, {"fields": ("username", "path_info", "locked_out")}),
        ("Сведения о запросе", {"fields": ("user_agent", "ip_address", "http_accept")}),
    )


for _model, _admin in ((AccessAttempt, AccessAttemptAdmin), (AccessLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin)):
    if admin.site.is_registered(_model):  # AXES_ENABLE_ADMIN off: not shown at all
        admin.site.unregister(_model)
        admin.site.register(_model, _admin)
