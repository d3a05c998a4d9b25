"""An answer's files for the resident, by the private link: the appeal's key is checked as for the
status page, and only files of answers already published to this appeal (its own, or its problem
lead's, which the resident sees as the answer) are given out."""

from __future__ import annotations

from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET

from tsur.answers.files import file_response
from tsur.answers.models import AnswerAttachment
from tsur.appeals.models import Appeal
from tsur.intake.views import not_found


@require_GET
def answer_file(request: HttpRequest, number: str, key: str, pk: int) -> FileResponse | HttpResponse:
    appeal = Appeal.objects.filter(number=number).select_related("problem").first()
    expected = appeal.access_key if appeal is not None else "0" * 32
    if not constant_time_compare(expected, key or "") or appeal is None:
        return not_found(request)
    answered = Q(answer__appeal=appeal)
    if appeal.problem_id and appeal.problem.lead_id != appeal.pk:
        answered |= Q(answer__appeal_id=appeal.problem.lead_id)
    att = AnswerAttachment.objects.filter(answered, pk=pk).exclude(answer__published_at=None).first()
    if att is None:
        return not_found(request)
    return file_response(att)
