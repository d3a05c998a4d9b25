"""The access matrix: every page, API operation, export and file × every actor.

One line per URL pattern (or API operation). Columns, in this order (tests/security/scene.py):

    anon  resident  other_resident  operator  mop_own  mop_other  coordinator  executor  other_coordinator  analyst  admin
    └ API rows add:  key_app (resident's app key)  key_open311 (an operator's Open311 key)  key_staff (an operator's staff key)  key_bad

`resident` wrote the appeal; the appeal is in the city, routed to the city administration, whose
`coordinator` and `executor` work it; `mop_own` is the city queue's municipal operator, `mop_other`
another queue's; `other_coordinator` coordinates the roads ministry.

Cells: ok (2xx) · L (sent to log in) · →name (sent elsewhere: REDIRECTS names the usual targets,
others read →/path) · 401 · 403 · 404 (hidden) · 405 · 4xx.
On a POST row, `act` marks an actor who may act (not sent: it would change data; a GET must not
refuse them); every other cell is POSTed with a valid CSRF token and must give exactly that
refusal and change nothing.

Placeholders in URLs come from Scene.params(): {number} {key} {pk_attachment} {pk_answer_file}
{poll_id} {token} {question_id} {pk_point} {code} {pk_event} {pk_link} {pk_view} {pk_data_request} {external_id}
{service_code}.

Adding an endpoint: one line, e.g.
    Row("GET", "/health/", "ok ok ok ok ok ok ok ok ok ok ok"),
then run `pytest tests/security/test_access_matrix.py`: a wrong guess fails with the actual row.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN_FAMILY = "admin/"


@dataclass(frozen=True)
class Row:
    method: str
    url: str
    spec: str
    api: bool = False

    @property
    def cells(self) -> list[str]:
        return self.spec.split()


# Redirect targets by short names, so a row fits on a line.
REDIRECTS = {
    "/workspace/": "queue", "/workspace/mine/": "mine", "/cabinet/": "cab", "/workspace/appeals/{number}/": "card",
    "/workspace/appeals/{lead_number}/": "lead", "/status/{number}/{key}/": "status", "/workspace/center/tension/{pk_point}/": "point",
}  # fmt: skip


def Api(method: str, url: str, spec: str) -> Row:
    return Row(method, url, spec, api=True)


ROWS: list[Row] = [
    Row("GET", "/accounts/login/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/accounts/logout/", "405 405 405 405 405 405 405 405 405 405 405"),
    Row("GET", "/api/openapi.json", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/api/docs", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/api/", "404 404 404 404 404 404 404 404 404 404 404"),
    Row("GET", "/open311/v2/openapi.json", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/open311/v2/services.json", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/open311/v2/services/{service_code}.json", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/open311/v2/requests.json", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/open311/v2/requests/{number}.json", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/open311/v2/unknown.json", "404 404 404 404 404 404 404 404 404 404 404"),
    Row("GET", "/workspace/", "L →cab →cab ok ok ok ok ok ok ok ok"),
    Row("GET", "/workspace/mine/", "L →cab →cab ok ok ok ok ok ok ok ok"),
    Row("POST", "/workspace/bulk/", "L →cab →cab act act act act act act act act"),
    Row("POST", "/workspace/views/", "L →cab →cab act act act act act act act act"),
    Row("POST", "/workspace/views/{pk_view}/delete/", "L →cab →cab act →queue →queue →queue →queue →queue →queue →queue"),
    Row("GET", "/workspace/alerts/", "L →cab →cab ok ok ok ok ok ok ok ok"),
    Row("POST", "/workspace/alerts/seen/", "L →cab →cab act act act act act act act act"),
    Row("GET", "/workspace/alerts/settings/", "L →cab →cab ok ok ok ok ok ok ok ok"),
    Row("POST", "/workspace/appeals/{number}/notes/", "L →cab →cab act act 404 act act 404 →card#notes act"),
    Row("GET", "/workspace/appeals/{number}/", "L →cab →cab ok ok 404 ok ok 404 ok ok"),
    Row("POST", "/workspace/appeals/{number}/actions/accept/", "L →cab →cab act act 404 act act 404 409 act"),
    Row("GET", "/workspace/appeals/{number}/answer-template/", "L →cab →cab 404 404 404 404 404 404 404 404"),
    Row("POST", "/workspace/appeals/{number}/answer-check/", "L →cab →cab act act 404 act act 404 404 act"),
    Row("GET", "/workspace/appeals/{number}/answer-files/{pk_answer_file}/", "L →cab →cab ok ok 404 ok ok 404 ok ok"),
    Row("GET", "/workspace/appeals/{number}/next/", "L →cab →cab →mine →mine 404 →mine →mine 404 →mine →mine"),
    Row("GET", "/workspace/appeals/{number}/previous/", "L →cab →cab →card →card 404 →card →card 404 →card →card"),
    Row("GET", "/workspace/back-to-queue/", "L →cab →cab →mine →mine →mine →mine →mine →mine →mine →mine"),
    Row("GET", "/workspace/center/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/dashboard/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/kpi/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/kpi/export.csv", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/region/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/appeals/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/appeals/export.csv", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/tension/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/tension/{pk_point}/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("POST", "/workspace/center/tension/{pk_point}/acknowledge/", "L →cab →cab act 403 403 403 403 403 act act"),
    Row("POST", "/workspace/center/tension/{pk_point}/assign/", "L →cab →cab act 403 403 403 403 403 act act"),
    Row("POST", "/workspace/center/tension/{pk_point}/dismiss/", "L →cab →cab act 403 403 403 403 403 act act"),
    Row("GET", "/workspace/center/map/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/map/data/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/reports/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/reports/weekly/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/reports/weekly.pdf", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("POST", "/workspace/center/reports/weekly/store/", "L →cab →cab act 403 403 403 403 403 act act"),
    Row("GET", "/workspace/center/reports/stored/weekly-2026-w01.pdf", "L →cab →cab 404 403 403 403 403 403 404 404"),
    Row("GET", "/workspace/center/monitoring/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/monitoring/sources/{code}/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/monitoring/events/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/monitoring/events/{pk_event}/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/center/monitoring/events/{pk_event}/frame/", "L →cab →cab 404 403 403 403 403 403 404 404"),
    Row("POST", "/workspace/center/monitoring/events/{pk_event}/confirm/", "L →cab →cab act 403 403 403 403 403 404 act"),
    Row("POST", "/workspace/center/monitoring/events/{pk_event}/reject/", "L →cab →cab act 403 403 403 403 403 404 act"),
    Row("POST", "/workspace/center/monitoring/events/{pk_event}/add/", "L →cab →cab act 403 403 403 403 403 act act"),
    Row("POST", "/workspace/center/monitoring/links/{pk_link}/confirm/", "L →cab →cab act act →queue act →card →queue →card act"),
    Row("POST", "/workspace/center/monitoring/links/{pk_link}/reject/", "L →cab →cab act act →queue act →card →queue →card act"),
    Row("GET", "/workspace/polls/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/polls/new/", "L →cab →cab ok 403 403 403 403 403 403 ok"),
    Row("GET", "/workspace/polls/{poll_id}/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/polls/{poll_id}/preview/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("POST", "/workspace/polls/{poll_id}/publish/", "L →cab →cab act 403 403 403 403 403 403 act"),
    Row("POST", "/workspace/polls/{poll_id}/close/", "L →cab →cab act 403 403 403 403 403 403 act"),
    Row("POST", "/workspace/polls/{poll_id}/announce/", "L →cab →cab act 403 403 403 403 403 403 act"),
    Row("POST", "/workspace/polls/{poll_id}/questions/", "L →cab →cab act 403 403 403 403 403 403 act"),
    Row("GET", "/workspace/polls/{poll_id}/questions/{question_id}/", "L →cab →cab ok 403 403 403 403 403 403 ok"),
    Row("POST", "/workspace/polls/{poll_id}/questions/{question_id}/delete/", "L →cab →cab act 403 403 403 403 403 403 act"),
    Row("POST", "/workspace/polls/{poll_id}/questions/{question_id}/move/down/", "L →cab →cab act 403 403 403 403 403 403 act"),
    Row("GET", "/workspace/polls/{poll_id}/results/", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/workspace/polls/{poll_id}/results/answers.csv", "L →cab →cab ok 403 403 403 403 403 ok ok"),
    Row("GET", "/attachments/{pk_attachment}/", "404 404 404 ok ok 404 ok ok 404 ok ok"),
    Row("GET", "/attachments/{pk_attachment}/?key={key}", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/attachments/{pk_attachment}/?key=0{key}", "404 404 404 ok ok 404 ok ok 404 ok ok"),
    Row("GET", "/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/widget/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/widget/done/{number}/{key}/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/widget.js", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/widget/boundaries.geojson", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/widget/places.json", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/status/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/status/recover/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("POST", "/status/{number}/{key}/reply/", "act act act act act act act act act act act"),
    Row("GET", "/cabinet/", "L ok ok →queue →queue →queue →queue →queue →queue →queue →queue"),
    # Personal data: «Мои данные», its download and the deletion request (tsur/intake/my_data.py).
    Row("GET", "/cabinet/data/", "L ok ok →queue →queue →queue →queue →queue →queue →queue →queue"),
    Row("GET", "/cabinet/data/json/", "L ok ok →queue →queue →queue →queue →queue →queue →queue →queue"),
    Row("POST", "/cabinet/data/delete/", "L act act →queue →queue →queue →queue →queue →queue →queue →queue"),
    Row("GET", "/status/{number}/{key}/data/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/status/{number}/{key}/data/json/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("POST", "/status/{number}/{key}/data/delete/", "act act act act act act act act act act act"),
    Row("GET", "/status/{number}/0{key}/data/", "404 404 404 404 404 404 404 404 404 404 404"),
    Row("POST", "/status/{number}/0{key}/data/delete/", "404 404 404 404 404 404 404 404 404 404 404"),
    # Administrators only: who opened whose personal data, and the residents' requests.
    Row("GET", "/workspace/privacy/", "L →cab →cab 403 403 403 403 403 403 403 ok"),
    Row("GET", "/workspace/privacy/requests/", "L →cab →cab 403 403 403 403 403 403 403 ok"),
    Row("POST", "/workspace/privacy/requests/{pk_data_request}/", "L →cab →cab 403 403 403 403 403 403 403 act"),
    # Probes and metrics (tsur/core/health.py, metrics.py): the test client comes from loopback,
    # which TSUR_METRICS_ALLOW admits by default; tests/ops/test_metrics.py covers the refusals.
    Row("GET", "/healthz", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/readyz", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/metrics", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/cabinet/{number}/", "L →status 404 →queue →queue →queue →queue →queue →queue →queue →queue"),
    Row("GET", "/status/{number}/{key}/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/status/{number}/0{key}/", "404 404 404 404 404 404 404 404 404 404 404"),
    Row("POST", "/status/{number}/0{key}/rate/", "404 404 404 404 404 404 404 404 404 404 404"),
    Row("POST", "/status/{number}/0{key}/reply/", "404 404 404 404 404 404 404 404 404 404 404"),
    Row("GET", "/status/{number}/0{key}/answer-files/{pk_answer_file}/", "404 404 404 404 404 404 404 404 404 404 404"),
    Row("POST", "/status/{number}/{key}/rate/", "act act act act act act act act act act act"),
    Row("GET", "/status/{number}/{key}/answer-files/{pk_answer_file}/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/polls/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/polls/{token}/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("POST", "/polls/{token}/code/", "act act act act act act act act act act act"),
    Row("POST", "/polls/{token}/vote/", "act act act act act act act act act act act"),
    Row("GET", "/polls/{token}/thanks/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/widget/polls/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/widget/polls/{token}/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("POST", "/widget/polls/{token}/code/", "act act act act act act act act act act act"),
    Row("POST", "/widget/polls/{token}/vote/", "act act act act act act act act act act act"),
    Row("GET", "/widget/polls/{token}/thanks/", "ok ok ok ok ok ok ok ok ok ok ok"),
    Row("GET", "/polls.js", "ok ok ok ok ok ok ok ok ok ok ok"),
    Api("POST", "/api/appeals", "422 422 422 422 422 422 422 422 422 422 422 422 403 403 401"),
    Api("GET", "/api/appeals", "401 403 403 ok ok ok ok ok ok ok ok 403 403 ok 401"),
    Api("POST", "/api/appeals/multipart", "422 422 422 422 422 422 422 422 422 422 422 422 403 403 401"),
    Api("GET", "/api/appeals/{number}", "401 403 403 ok ok 404 ok ok 404 ok ok 403 403 ok 401"),
    Api("POST", "/api/appeals/{number}/route", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/transfer", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/return-to-moderation", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/assign", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/accept", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/reject", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/join", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/reclassify", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/place", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/urgency", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/interim-answer", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/extension-request", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/extension-decision", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/answer", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/answer-approve", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/answer-return", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/publish", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/confirm", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("POST", "/api/appeals/{number}/clarification", "401 422 422 422 422 422 422 422 422 422 422 403 403 422 401"),
    Api("GET", "/api/public/appeals/{number}?key={key}", "ok ok ok ok ok ok ok ok ok ok ok ok ok ok 401"),
    Api("POST", "/api/public/appeals/{number}/rating", "422 422 422 422 422 422 422 422 422 422 422 422 422 422 401"),
    Api("POST", "/api/public/appeals/{number}/reply", "422 422 422 422 422 422 422 422 422 422 422 422 422 422 401"),
    Api("GET", "/api/my/appeals", "401 ok ok 403 403 403 403 403 403 403 403 ok 403 403 401"),
    Api("GET", "/api/my/appeals/{number}", "401 ok 404 403 403 403 403 403 403 403 403 ok 403 403 401"),
    Api("GET", "/api/categories", "ok ok ok ok ok ok ok ok ok ok ok ok ok ok 401"),
    Api("GET", "/api/territories", "ok ok ok ok ok ok ok ok ok ok ok ok ok ok 401"),
    Api("GET", "/api/organisations", "401 403 403 ok ok ok ok ok ok ok ok 403 403 ok 401"),
    Api("GET", "/api/templates", "401 403 403 ok ok ok ok ok ok ok ok 403 403 ok 401"),
    Api("GET", "/api/docs/assets/swagger-ui.css", "ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok"),
    Api("POST", "/api/monitoring/events", "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
    Api("GET", "/api/monitoring/events/{external_id}", "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401"),
    Api("GET", "/api/polls", "ok ok ok ok ok ok ok ok ok ok ok ok ok ok 401"),
    Api("GET", "/api/polls/{token}", "ok ok ok ok ok ok ok ok ok ok ok ok ok ok 401"),
    Api("POST", "/api/polls/{token}/code", "422 422 422 422 422 422 422 422 422 422 422 422 422 422 401"),
    Api("POST", "/api/polls/{token}/votes", "422 422 422 422 422 422 422 422 422 422 422 422 403 403 401"),
    Row("GET", "/admin/", "L L L L L L L L L L ok"),
    Row("GET", "/admin/appeals/appeal/", "L L L L L L L L L L ok"),
    Row("GET", "/admin/auth/user/", "L L L L L L L L L L ok"),
    Row("GET", "/admin/accounts/apitoken/", "L L L L L L L L L L ok"),
]
