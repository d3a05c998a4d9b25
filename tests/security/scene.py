"""The objects every cell of the access matrix needs, built once per module through the real
services: an appeal in the city routed to the city administration («org A») with an executor,
a resident's photo and an answer file; a problem; a published poll; a point of tension; a
monitoring source, event and link; a saved view; API keys. The actors are the test world's named
users plus a municipal operator of another queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.test import Client

from tests.answers.helpers import pdf_bytes, png_bytes, upload
from tests.factories import build_world, make_user, new_appeal
from tests.monitoring.helpers import event, pressure_kind
from tests.polls.conftest import NOW as POLL_NOW
from tests.polls.conftest import build_poll
from tests.tension.test_services import make_point
from tsur.accounts.models import ApiToken, Role, Scope
from tsur.answers import services as answers
from tsur.answers.files import read_answer_files
from tsur.appeals import services
from tsur.appeals.models import Attachment, DataRequest
from tsur.appeals.photos import read_photos
from tsur.core import clock
from tsur.directory.models import Queue
from tsur.monitoring.models import Link
from tsur.polls import services as polls
from tsur.workspace.models import SavedView

# Column order of the matrix; API key actors answer only API and Open311 rows.
SESSION_ACTORS = (
    "anon", "resident", "other_resident", "operator", "mop_own", "mop_other",
    "coordinator", "executor", "other_coordinator", "analyst", "admin",
)  # fmt: skip
KEY_ACTORS = ("key_app", "key_open311", "key_staff", "key_bad")


@dataclass
class Scene:
    w: object
    appeal: object  # city pothole, routed to the city administration, executor assigned, answer published
    attachment: Attachment
    answer_file: object
    problem_appeal: object
    poll: object
    question: object
    point: object
    source: object
    event: object
    link: Link
    view: SavedView
    data_request: DataRequest
    keys: dict[str, str] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    _clients: dict[tuple[str, bool], Client] = field(default_factory=dict)

    def client(self, actor: str, *, csrf: bool = False) -> Client:
        """A client logged in as the actor (one per actor: logging in is most of a request's cost).
        `csrf=True`: it enforces CSRF like a browser's cross-site request would meet it."""
        if (actor, csrf) not in self._clients:
            c = Client(enforce_csrf_checks=csrf)
            user = self.users.get(actor)
            if user is not None:
                c.force_login(user)
            self._clients[actor, csrf] = c
        return self._clients[actor, csrf]

    def key_header(self, actor: str) -> dict:
        return {"Authorization": f"Bearer {self.keys[actor]}"} if actor in self.keys else {}

    def params(self) -> dict[str, str]:
        """Values for URL placeholders, by name."""
        a = self.appeal
        return {
            "number": a.number, "key": a.access_key, "pk_attachment": str(self.attachment.pk),
            "pk_answer_file": str(self.answer_file.pk), "poll_id": str(self.poll.pk), "token": self.poll.token,
            "question_id": str(self.question.pk), "pk_point": str(self.point.pk), "code": self.source.code,
            "pk_event": str(self.event.pk), "pk_link": str(self.link.pk), "pk_view": str(self.view.pk),
            "pk_data_request": str(self.data_request.pk),
            "external_id": self.event.external_id, "service_code": "pothole", "lead_number": self.problem_appeal.number,
        }  # fmt: skip


def build_scene() -> Scene:
    w = build_world()
    other_queue = Queue.objects.create(code="district-queue", name="Район", territory=w.district)
    mop_other = make_user("district_operator", Role.MUNICIPAL_OPERATOR, queue=other_queue)

    photos = read_photos([upload("яма.png", png_bytes(), "image/png")])
    a = new_appeal(w, territory_code="city", user=w.resident, photos=photos)
    services.route_appeal(a, w.city_operator)
    services.assign_executor(a, w.city_coordinator, executor_id=w.city_executor.pk)
    answers.prepare_answer(
        a, w.city_executor,
        text="Яма заделана 12.05.2025 подрядной организацией, участок проверен выездом инженера и принят по акту.",
        files=read_answer_files([upload("акт.pdf", pdf_bytes())]),
    )  # fmt: skip
    answers.approve_answer(a, w.city_operator)
    answers.publish_answer(a, w.city_operator)
    a.refresh_from_db()
    answer_file = answers.current_answer(a).attachments.get()

    lead = new_appeal(w, text="Яма на трассе у поворота на село")
    services.join_to_problem(new_appeal(w, text="Та же яма на трассе у поворота"), w.operator, lead_number=lead.number)

    poll = build_poll(w)
    with clock.at(POLL_NOW):
        polls.publish_poll(poll, w.operator)
    poll.refresh_from_db()

    kind = pressure_kind(w)
    ev = event(kind, dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
    link = Link.objects.create(event=ev, appeal=a, score=0.9, reason="рядом и в то же время")
    view = SavedView.objects.create(owner=w.operator, name="Мои", query="status=routed")
    data_request = DataRequest.objects.create(
        resident=a.resident, user=w.resident, source=DataRequest.Source.CABINET, due_at=clock.now() + dt.timedelta(days=14)
    )

    keys = {}
    for actor, user, scopes in (
        ("key_app", w.resident, [Scope.INTAKE, Scope.RESIDENT]),
        ("key_open311", w.operator, [Scope.OPEN311]),
        ("key_staff", w.operator, [Scope.STAFF_READ, Scope.STAFF_WRITE]),
    ):
        keys[actor] = ApiToken.issue(user, f"матрица: {actor}", scopes=scopes)[1]
    keys["key_bad"] = "tsur_not_a_real_key_0000000000"

    users = {
        "resident": w.resident, "other_resident": w.other_resident, "operator": w.operator, "mop_own": w.city_operator,
        "mop_other": mop_other, "coordinator": w.city_coordinator, "executor": w.city_executor,
        "other_coordinator": w.coordinator, "analyst": w.analyst, "admin": w.admin,
    }  # fmt: skip
    return Scene(
        w=w, appeal=a, attachment=a.attachments.get(), answer_file=answer_file, problem_appeal=lead, poll=poll,
        question=poll.questions.order_by("order").first(), point=make_point(w), source=ev.source, event=ev, link=link,
        view=view, data_request=data_request, keys=keys, users=users,
    )  # fmt: skip
