"""Channel administration: settings validated by the plugin's model, enabling and disabling,
retrying failed messages and deliveries, and the pages of stored payloads and purges."""

from __future__ import annotations

import json

import pytest

from tsur.channels import services
from tsur.channels.base import RawItem
from tsur.channels.models import ChannelConfig, InboundMessage


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pass-12345")
    client.force_login(user)
    return client


def form(code="pos-main", kind="pos_import", settings=None, enabled="on"):
    data = {"code": code, "name": "ПОС", "kind": kind, "settings": json.dumps(settings or {}, ensure_ascii=False)}
    if enabled:
        data["enabled"] = enabled
    return data


def test_it_saves_settings_normalised_by_the_plugin(db, admin_client):
    response = admin_client.post("/admin/intake_channels/channelconfig/add/", form(settings={"columns": {"number": "Рег. №"}}))
    assert response.status_code == 302
    config = ChannelConfig.objects.get(code="pos-main")
    assert config.enabled
    assert config.settings == {"columns": {"number": "Рег. №"}, "statuses": {}, "check_note": "Ответ проверен в ПОС"}


def test_it_refuses_settings_the_plugin_rejects_and_says_why(db, admin_client):
    response = admin_client.post(
        "/admin/intake_channels/channelconfig/add/",
        form(settings={"columns": {"nomer": "№"}, "statuses": {"Исполнено": "done"}, "extra": 1}),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["settings"]
    fields = "number, date, text, category, address, status, answer, responsible, answered_at, author, email, phone"
    assert f"columns: неизвестные поля: nomer; допустимы: {fields}" in errors
    assert "statuses: неизвестные значения статусов: done; допустимы: received, in_progress, answered, rejected" in errors
    assert "extra: неизвестное поле" in errors
    assert not ChannelConfig.objects.exists()


def test_it_shows_the_fields_of_the_plugins_settings(db, admin_client, channel_config):
    config = channel_config("pos_import")
    page = admin_client.get(f"/admin/intake_channels/channelconfig/{config.pk}/change/").content.decode()
    assert "check_note (по умолчанию &quot;Ответ проверен в ПОС&quot;)" in page


def test_it_enables_and_disables_channels(db, admin_client, channel_config):
    config = channel_config("pos_import", enabled=False)
    url = "/admin/intake_channels/channelconfig/"
    admin_client.post(url, {"action": "enable", "_selected_action": [config.pk]})
    assert ChannelConfig.objects.get().enabled
    admin_client.post(url, {"action": "disable", "_selected_action": [config.pk]})
    assert not ChannelConfig.objects.get().enabled


def test_it_returns_failed_messages_to_processing(world, admin_client, fake_channel, complaint_screen):
    config = fake_channel("vk")
    services.receive(config, [RawItem("1", {"text": "Яма", "chat": "unknown"}, "post")])
    row = InboundMessage.objects.get()
    assert row.state == InboundMessage.State.FAILED
    page = admin_client.get("/admin/intake_channels/inboundmessage/").content.decode()
    assert "сообщение из неизвестного чата" in page
    admin_client.post("/admin/intake_channels/inboundmessage/", {"action": "requeue", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.state == InboundMessage.State.FAILED and row.attempts == 1  # processed again, same verdict


def test_the_pages_of_deliveries_and_purges_open(db, admin_client):
    for page in ("delivery", "signalpurge", "inboundmessage", "channelconfig"):
        assert admin_client.get(f"/admin/intake_channels/{page}/").status_code == 200


def test_it_imports_an_uploaded_export_with_a_dry_run_first(world, admin_client, channel_config):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tsur.appeals.models import Appeal

    config = channel_config("pos_import")
    url = f"/admin/intake_channels/channelconfig/{config.pk}/pos-import/"
    assert "Загрузить файл выгрузки ПОС" in admin_client.get(f"/admin/intake_channels/channelconfig/{config.pk}/change/").content.decode()
    body = "Номер;Дата;Текст\n5;01.03.2026;Яма у подъезда\n6;;Без даты\n".encode()
    dry = admin_client.post(url, {"file": SimpleUploadedFile("export.csv", body), "dry_run": "on"}).content.decode()
    assert "Пробный прогон: ничего не записано" in dry and "Создано: 1; обновлено: 0; без изменений: 0; отклонено: 1." in dry
    assert not Appeal.objects.exists()
    page = admin_client.post(url, {"file": SimpleUploadedFile("export.csv", body)}).content.decode()
    assert "Импорт выполнен" in page and "нет даты" in page
    assert Appeal.objects.get().external_id == f"{config.code}:5"
