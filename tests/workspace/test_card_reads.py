"""The card reads each of the appeal's collections once: the events (the timeline and the open
question), the extension requests (the actions, the notice and the list), the answer templates
(the interim and final forms), and no signal read when there is no signal about the appeal."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import in_work_appeal, new_appeal
from tsur.answers import services as answers
from tsur.answers.models import AnswerTemplate
from tsur.appeals import services
from tsur.deadlines.models import StaffAlert


def _reads(queries, table: str) -> int:
    """Reads of the table's rows (not probes such as the audit's «viewed within the hour?»)."""
    return sum(1 for q in queries if re.match(rf'\s*SELECT (DISTINCT )?"{table}"\."id"', q["sql"]))


def test_the_card_reads_events_extensions_and_templates_once(desk, world):
    AnswerTemplate.objects.create(code="gen-final", name="Общий ответ", kind="final", text="Сделано.")
    AnswerTemplate.objects.create(code="gen-interim", name="Промежуточный общий", kind="interim", text="Работаем.")
    a = in_work_appeal(world)
    services.request_clarification(a, world.executor, question="Какой номер дома?")
    answers.request_extension(a, world.executor, days=5, reason="Нужна техника")
    # The center's operator decides on the extension; the coordinator answers with templates.
    with CaptureQueriesContext(connection) as q:
        body = desk.as_(world.operator).card(a).content.decode()
    assert "Какой номер дома?" in body and 'data-testid="clarification-open"' in body  # the open question, from the events
    assert "Нужна техника" in body and "Продлить срок" in body  # the pending request: the action and its notice
    assert _reads(q.captured_queries, "appeals_event") == 1
    assert _reads(q.captured_queries, "answers_extensionrequest") == 1
    with CaptureQueriesContext(connection) as q:
        body = desk.as_(world.coordinator).card(a).content.decode()
    assert "Общий ответ" in body and "Промежуточный общий" in body  # both kinds of templates, one read
    assert _reads(q.captured_queries, "answers_answertemplate") == 1
    assert _reads(q.captured_queries, "appeals_event") == 1


def test_a_card_without_signals_skips_the_scoped_signal_read_and_one_with_a_signal_marks_it_read(desk, world):
    a = new_appeal(world)  # received: nobody has been signalled about it
    desk.as_(world.operator)
    with CaptureQueriesContext(connection) as q:
        desk.card(a)
    scoped = [x for x in q.captured_queries if 'FROM "deadlines_staffalert"' in x["sql"] and "deadlines_staffalertread" in x["sql"]]
    assert len(scoped) == 1  # the menu's unread counter; opening the card probes and reads no signal
    alert = StaffAlert.objects.create(appeal=a, kind=StaffAlert.Kind.RETURNED_TO_CENTER, text="Возвращено в ЦУР", organisation=None)
    desk.card(a)
    assert alert.reads.filter(user=world.operator).exists()


def test_opening_the_same_card_again_writes_no_session(desk, world):
    a, b = new_appeal(world), new_appeal(world)
    desk.as_(world.operator).card(a)

    def session_writes(appeal) -> int:
        with CaptureQueriesContext(connection) as q:
            desk.card(appeal)
        return sum(1 for x in q.captured_queries if re.match(r'\s*UPDATE "django_session"', x["sql"]))

    assert session_writes(a) == 0  # where it stood in the queue is remembered already
    assert session_writes(b) == 1  # another card: remembered anew (next/previous follow it)
