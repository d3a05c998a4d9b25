"""Files on answers: checked by content like residents' photos, stored with the answer, given out
to staff who may see the appeal and, once published, to the resident by the private link."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.answers.helpers import CLEAN, in_progress, pdf_bytes, png_bytes, prepared, upload
from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.answers.files import public_files, read_answer_files, staff_files
from tsur.answers.models import AnswerAttachment, AnswerTemplate
from tsur.appeals import services
from tsur.appeals.models import Event
from tsur.core.errors import ValidationFailed


def checked(*files):
    return read_answer_files(list(files))


def test_it_accepts_a_photo_and_a_pdf_act():
    photo, act = checked(upload("фото.png", png_bytes()), upload("акт.pdf", pdf_bytes()))
    assert (photo.content_type, photo.width, photo.height) == ("image/png", 24, 16)
    assert act.content_type == "application/pdf" and act.width is None


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("акт.pdf", b"<html><script>alert(1)</script></html>", "не изображение"),  # a page named .pdf
        ("фото.jpg", b"MZ\x90\x00" + b"\x00" * 200, "не изображение"),  # a program named .jpg
        ("акт.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\n", "не фотография"),  # a PDF cut off
        ("акт.pdf", pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "сценарии"),
        ("акт.pdf", pdf_bytes(b"/Names << /EmbeddedFiles 4 0 R >>"), "сценарии"),
        ("акт.pdf", pdf_bytes(b"/AA << /O << /S /J#61vaScript >> >>"), "сценарии"),  # an escaped name
        ("пусто.png", b"", "пустой"),
    ],
)
def test_it_refuses_disguised_and_active_files(name, content, words):
    with pytest.raises(ValidationFailed) as exc:
        checked(upload(name, content))
    assert words in exc.value.message and "files" in exc.value.field_errors


def test_it_refuses_an_image_bomb(monkeypatch):
    monkeypatch.setattr("tsur.appeals.photos.MAX_PIXELS", 100)
    with pytest.raises(ValidationFailed) as exc:
        checked(upload("фото.png", png_bytes((20, 20))))
    assert "разрешение" in exc.value.message


@override_settings(TSUR_MAX_PHOTOS=2)
def test_it_refuses_more_files_than_allowed():
    with pytest.raises(ValidationFailed) as exc:
        checked(*(upload(f"{i}.png", png_bytes()) for i in range(3)))
    assert "не более 2" in exc.value.message


@override_settings(TSUR_MAX_PHOTO_BYTES=1000)
def test_it_refuses_a_file_over_the_size_limit():
    with pytest.raises(ValidationFailed) as exc:
        checked(upload("акт.pdf", pdf_bytes(b"/Title (" + b"x" * 2000 + b")")))
    assert "больше" in exc.value.message


def test_it_stores_the_files_with_the_answer_and_counts_them_in_the_event(world):
    # Names no random hex path can contain ("a.png" was inside "…3a.png" one run in sixteen).
    a = prepared(world, text=CLEAN, files=checked(upload("двор.png", png_bytes()), upload("смета.pdf", pdf_bytes())))
    answer = answers.current_answer(a)
    stored = list(answer.attachments.all())
    assert [f.content_type for f in stored] == ["image/png", "application/pdf"]
    assert all("двор" not in f.file.name and "смета" not in f.file.name for f in stored)  # names not kept
    assert Event.objects.get(appeal=a, kind="prepare_answer").data["files"] == 2
    assert [(i.name, i.is_image) for i in staff_files(answer, number=a.number)] == [("Фото 1", True), ("Документ PDF 2", False)]


def test_it_stores_files_with_an_interim_answer(world):
    a = in_progress(world)
    answer = answers.give_interim_answer(a, world.executor, text="Выехала бригада, работы начаты.", files=checked(upload("a.png", png_bytes())))
    assert answer.attachments.count() == 1


def test_it_writes_no_file_when_the_answer_is_refused(world):
    AnswerTemplate.objects.create(code="planned", name="План", text="Срок — [дата].")
    a = in_progress(world)
    with pytest.raises(ValidationFailed):
        answers.prepare_answer(a, world.executor, text="Срок — [дата].", files=checked(upload("a.png", png_bytes())))
    assert not AnswerAttachment.objects.exists()


def test_it_serves_the_file_to_staff_who_see_the_appeal_only(client, world):
    a = prepared(world, files=checked(upload("a.png", png_bytes())))
    att = answers.current_answer(a).attachments.get()
    url = reverse("workspace:answer_file", args=[a.number, att.pk])
    client.force_login(world.executor)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(world.city_coordinator)  # another organisation: the appeal is not theirs
    assert client.get(url).status_code == 404
    client.force_login(world.resident)
    assert client.get(url).status_code in (302, 403)  # residents are sent to their own pages
    # A file of another appeal's answer is not reachable through this appeal's number.
    other = prepared(world, files=checked(upload("b.pdf", pdf_bytes())))
    other_att = answers.current_answer(other).attachments.get()
    client.force_login(world.executor)
    assert client.get(reverse("workspace:answer_file", args=[a.number, other_att.pk])).status_code == 404


def publish(world, a):
    answers.approve_answer(a, world.operator)
    answers.publish_answer(a, world.operator)


def test_it_gives_the_resident_a_published_answers_files_by_the_private_link(client, world):
    a = prepared(world, files=checked(upload("a.pdf", pdf_bytes())))
    answer = answers.current_answer(a)
    att = answer.attachments.get()
    url = reverse("intake:answer_file", args=[a.number, a.access_key, att.pk])
    assert public_files(answer, number=a.number, key=a.access_key) == []  # a draft's files are not listed
    assert client.get(url).status_code == 404  # nor served
    publish(world, a)
    answer.refresh_from_db()
    items = public_files(answer, number=a.number, key=a.access_key)
    assert [(i.name, i.url, i.is_image) for i in items] == [("Документ PDF 1", url, False)]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"
    wrong = reverse("intake:answer_file", args=[a.number, "0" * len(a.access_key), att.pk])
    assert client.get(wrong).status_code == 404


def test_it_gives_a_joined_appeals_author_the_leads_answer_files(client, world):
    lead = in_progress(world)
    member = new_appeal(world)
    services.join_to_problem(member, world.operator, lead_number=lead.number)
    stranger = new_appeal(world)
    answers.prepare_answer(lead, world.executor, text=CLEAN, files=checked(upload("a.png", png_bytes())))
    att = answers.current_answer(lead).attachments.get()
    publish(world, lead)
    member.refresh_from_db()
    assert client.get(reverse("intake:answer_file", args=[member.number, member.access_key, att.pk])).status_code == 200
    assert client.get(reverse("intake:answer_file", args=[stranger.number, stranger.access_key, att.pk])).status_code == 404
