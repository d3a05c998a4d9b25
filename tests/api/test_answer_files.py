"""The API lists an answer's files: staff see every answer's, the resident a published answer's,
with links to the access-checked views; a flagged answer's approval needs a note here too."""

from __future__ import annotations

from tests.answers.helpers import CLEAN, FLAGGED, in_progress, pdf_bytes, png_bytes, upload
from tsur.answers import services as answers
from tsur.answers.files import read_answer_files


def test_it_lists_the_files_for_staff_and_after_publication_for_the_resident(api, world):
    a = in_progress(world)
    answers.prepare_answer(a, world.executor, text=CLEAN, files=read_answer_files([upload("a.png", png_bytes()), upload("b.pdf", pdf_bytes())]))
    card = api.card(a.number, "operator")
    files = card["answers"][-1]["files"]
    assert [(f["name"], f["is_image"]) for f in files] == [("Фото 1", True), ("Документ PDF 2", False)]
    assert files[0]["url"].startswith("http://testserver/workspace/appeals/")
    assert api.get(f"/api/public/appeals/{a.number}", key=a.access_key).json()["answer"] is None
    answers.approve_answer(a, world.operator)
    answers.publish_answer(a, world.operator)
    public = api.get(f"/api/public/appeals/{a.number}", key=a.access_key).json()["answer"]["files"]
    assert [f["url"] for f in public] == [
        f"/status/{a.number}/{a.access_key}/answer-files/{att.pk}/" for att in answers.current_answer(a).attachments.all()
    ]


def test_it_refuses_the_approval_of_a_flagged_answer_without_a_note(api, world):
    a = in_progress(world)
    answers.prepare_answer(a, world.executor, text=FLAGGED)
    refused = api.act(a.number, "answer-approve", "operator", {"note": ""})
    assert refused.status_code == 422 and "отписк" in refused.json()["message"]
    assert api.act(a.number, "answer-approve", "operator", {"note": "Согласовано с жителем"}).json()["status"] == "answer_checked"
