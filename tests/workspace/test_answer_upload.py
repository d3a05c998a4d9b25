"""Files uploaded with the answer from the card, listed on the card's answer with links."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.answers.helpers import CLEAN, in_progress, pdf_bytes, png_bytes, upload
from tsur.answers import services as answers
from tsur.answers.models import AnswerAttachment, AnswerTemplate
from tsur.appeals.models import Status


def test_it_uploads_a_photo_and_an_act_with_the_answer(desk, world):
    a = in_progress(world)
    files = [upload("фото.png", png_bytes(), "image/png"), upload("акт.pdf", pdf_bytes(), "application/pdf")]
    response = desk.as_(world.executor).act(a, "prepare_answer", {"template": "", "text": CLEAN, "files": files})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == Status.ANSWER_PREPARED
    stored = answers.current_answer(a).attachments.all()
    assert [f.content_type for f in stored] == ["image/png", "application/pdf"]
    body = desk.as_(world.operator).card(a).content.decode()
    listed = body[body.index('data-testid="answer-files"') :]
    for f in stored:
        assert reverse("workspace:answer_file", args=[a.number, f.pk]) in listed
    assert "Фото 1" in listed and "Документ PDF 2" in listed


def test_it_keeps_the_text_and_names_the_refused_file(desk, world):
    a = in_progress(world)
    files = [upload("акт.pdf", b"<html>not a pdf</html>", "application/pdf")]
    response = desk.as_(world.executor).act(a, "prepare_answer", {"template": "", "text": CLEAN, "files": files}, htmx=True)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Файл 1: это не изображение" in body
    assert CLEAN in body  # the executor's text is not lost
    assert not AnswerAttachment.objects.exists()
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


def test_it_sends_the_answer_form_as_multipart(desk, world):
    a = in_progress(world)
    body = desk.as_(world.executor).card(a).content.decode()
    form = re.search(r"<form[^>]*actions/prepare_answer/[^>]*>", body).group(0)
    assert 'enctype="multipart/form-data"' in form and 'hx-encoding="multipart/form-data"' in form
    assert 'name="prepare_answer-files"' in body and "multiple" in body


def test_it_offers_the_categorys_templates_first_in_the_picker(desk, world):
    AnswerTemplate.objects.create(code="general", name="А: общий", text="…")
    t = AnswerTemplate.objects.create(code="pothole", name="Я: ямы", text="…")
    t.categories.set([world.pothole])
    a = in_progress(world)
    body = desk.as_(world.executor).card(a).content.decode()
    select = re.search(r'<select name="prepare_answer-template".*?</select>', body, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "pothole", "general"]
