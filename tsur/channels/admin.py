"""Admin for channels: per-channel settings validated by the plugin, enabling and disabling,
listening health, stored inbound payloads, outbound deliveries and retention purges."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from tsur.appeals.event_labels import NOTIFICATION_LABELS, notification_label
from tsur.channels import registry
from tsur.channels.forms import ChannelConfigForm, PosImportForm
from tsur.channels.models import ChannelConfig, Delivery, InboundMessage, SignalPurge

# Connect the delivery hook and register the Celery tasks in every process that loads the admin
from tsur.core import tasks
from tsur.core.admin import RussianAdmin, named_filter

# What an inbound item is (RawItem.kind of the plugins).
ITEM_KINDS = {"message": "сообщение", "post": "публикация", "comment": "комментарий", "email": "письмо", "row": "строка выгрузки"}


def kind_name(kind: str) -> str:
    return dict(registry.kinds()).get(kind, kind)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@admin.register(ChannelConfig)
class ChannelConfigAdmin(RussianAdmin):
    form = ChannelConfigForm
    labels = {"kind": "вид канала"}
    renderers = {"kind": kind_name}
    list_display = ("name", "code", "kind", "enabled", "last_polled_at", "failures", "error")
    list_filter = (named_filter("kind", "вид канала", registry.kinds), "enabled")
    search_fields = ("name", "code")
    readonly_fields = ("last_polled_at", "next_poll_at", "failures", "last_error", "cursor_summary", "updated_at", "pos_import")
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "enabled", "pos_import")}),
        ("Настройки канала", {"fields": ("settings",)}),
        ("Состояние опроса", {"fields": ("last_polled_at", "next_poll_at", "failures", "last_error", "cursor_summary", "updated_at")}),
    )
    actions = ("enable", "disable", "poll_now")

    @admin.display(description="последняя ошибка")
    def error(self, obj: ChannelConfig) -> str:
        return _short(obj.last_error) if obj.last_error else "—"

    @admin.display(description="позиция чтения")
    def cursor_summary(self, obj: ChannelConfig) -> str:
        """The listening cursor without what it may hold of residents (unfinished bot dialogues)."""
        cursor = dict(obj.cursor or {})
        if "conversations" in cursor:
            cursor["conversations"] = f"незавершённых диалогов: {len(cursor['conversations'] or {})}"
        return json.dumps(cursor, ensure_ascii=False)[:2000]

    @admin.display(description="импорт выгрузки")
    def pos_import(self, obj: ChannelConfig) -> str:
        if obj.pk is None or obj.kind != "pos_import":
            return "—"
        url = reverse("admin:intake_channels_channelconfig_pos_import", args=[obj.pk])
        return format_html('<a href="{}">Загрузить файл выгрузки ПОС (CSV или XLSX)</a>', url)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/pos-import/",
                self.admin_site.admin_view(self.pos_import_view),
                name="intake_channels_channelconfig_pos_import",
            )
        ]
        return extra + super().get_urls()

    def pos_import_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        from tsur.channels.pos_import.importer import ACTION_LABELS, import_file

        config = get_object_or_404(ChannelConfig, pk=pk, kind="pos_import")
        if not self.has_change_permission(request, config):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = PosImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                report = import_file(
                    upload, name=upload.name, config=config, columns=form.cleaned_data["mapping"] or None,
                    dry_run=form.cleaned_data["dry_run"],
                )
        else:
            form = PosImportForm()
        rows = [
            {**vars(r), "label": ACTION_LABELS.get(r.action, r.action)}
            for r in (report.rows if report else [])
            if r.action != "unchanged" or r.reasons
        ]
        context = {
            **self.admin_site.each_context(request), "config": config, "form": form, "report": report,
            "counts": report.counts if report else {}, "rows": rows, "title": "Импорт выгрузки ПОС",
        }
        return TemplateResponse(request, "admin/intake_channels/pos_import.html", context)

    @admin.action(description="Включить выбранные каналы")
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = queryset.update(enabled=True, next_poll_at=None, failures=0)
        self.message_user(request, f"Включено каналов: {n}.")

    @admin.action(description="Отключить выбранные каналы")
    def disable(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = queryset.update(enabled=False)
        self.message_user(request, f"Отключено каналов: {n}. Уже полученные сообщения будут обработаны.")

    @admin.action(description="Опросить сейчас")
    def poll_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        from tsur.channels.listening import can_poll

        polled = 0
        for config in queryset.filter(enabled=True):
            if can_poll(config):
                ChannelConfig.objects.filter(pk=config.pk).update(next_poll_at=None)
                tasks.enqueue("poll_channel", config.pk)
                polled += 1
        self.message_user(request, f"Опрос запущен для каналов: {polled} (отключённые и каналы без опроса пропущены).")


@admin.register(InboundMessage)
class InboundMessageAdmin(RussianAdmin):
    labels = {"kind": "вид"}
    renderers = {"kind": lambda kind: ITEM_KINDS.get(kind, kind)}
    list_display = ("external_id", "channel", "kind", "state", "received_at", "attempts", "decision_short", "error", "appeal")
    list_filter = ("state", "channel", named_filter("kind", "вид", ITEM_KINDS.items))
    search_fields = ("external_id",)
    search_help_text = "Поиск по номеру сообщения в канале"
    list_select_related = ("channel", "appeal")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in InboundMessage._meta.fields]
    actions = ("requeue",)

    @admin.display(description="решение")
    def decision_short(self, obj: InboundMessage) -> str:
        return _short(obj.decision) if obj.decision else "—"

    @admin.display(description="ошибка")
    def error(self, obj: InboundMessage) -> str:
        return format_html("<span style='color:#b00'>{}</span>", _short(obj.last_error)) if obj.last_error else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # payloads come only from channels: the raw is kept as received

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Повторить обработку (для сообщений с ошибкой)")
    def requeue(self, request: HttpRequest, queryset: QuerySet) -> None:
        from tsur.channels.claiming import requeue_failed

        n = requeue_failed(queryset.values_list("pk", flat=True))
        if n:
            tasks.enqueue("process_inbound")
        self.message_user(request, f"Возвращено в обработку: {n}.", messages.SUCCESS if n else messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(RussianAdmin):
    labels = {"kind": "что отправляется"}
    renderers = {"kind": notification_label}
    list_display = ("appeal", "channel", "kind", "state", "attempts", "next_attempt_at", "sent_at", "error")
    list_filter = ("state", "channel", named_filter("kind", "что отправляется", NOTIFICATION_LABELS.items))
    search_fields = ("appeal__number", "external_id")
    search_help_text = "Поиск по номеру обращения и номеру публикации в канале"
    list_select_related = ("appeal", "channel")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ("retry",)

    @admin.display(description="ошибка")
    def error(self, obj: Delivery) -> str:
        return format_html("<span style='color:#b00'>{}</span>", _short(obj.last_error)) if obj.last_error else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Отправить повторно (для доставок с ошибкой)")
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        from tsur.channels.deliveries import retry_failed

        n = retry_failed(queryset.values_list("pk", flat=True))
        self.message_user(request, f"Поставлено в отправку: {n}.", messages.SUCCESS if n else messages.WARNING)


@admin.register(SignalPurge)
class SignalPurgeAdmin(admin.ModelAdmin):
    list_display = ("at", "cutoff", "purged", "by_channel")
    readonly_fields = ("at", "cutoff", "purged", "by_channel")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
