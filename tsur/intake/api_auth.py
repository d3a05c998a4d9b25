"""Who is calling the JSON API: a bearer token (apps, integrations), the Django session (the
operator UI's own pages) or nobody (resident intake and the resident's status by access key)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from tsur.accounts import access
from tsur.accounts.models import ApiToken
from tsur.appeals.models import Appeal
from tsur.core.errors import AccessDenied, NotFound


class BearerToken(HttpBearer):
    """`Authorization: Bearer <key>`. A key that is sent but not valid is refused outright (401)
    rather than silently treated as anonymous: the client must learn its key was revoked."""

    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token.strip())
        if user is None:
            raise AuthenticationError(message="API-ключ недействителен или отозван.")
        return user


class Session(APIKeyCookie):
    """The logged-in Django session. CSRF is enforced on unsafe methods, but only when a session
    is actually logged in: anonymous intake has no cookie to forge."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked below, after we know a session is logged in

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise AccessDenied(
                "Проверка CSRF не пройдена: обновите страницу и повторите действие.", code="csrf_failed"
            )
        return user


ANONYMOUS = AnonymousUser()


def anonymous(request: HttpRequest) -> AnonymousUser:
    """Last in the chain of endpoints open to everybody: no credentials is a valid caller there."""
    return ANONYMOUS


# Staff and resident endpoints: token or session, otherwise 401.
AUTH = [BearerToken(), Session()]
# Intake and reference data: also anonymous.
OPTIONAL_AUTH = [*AUTH, anonymous]


def caller(request: HttpRequest):
    """The authenticated user, or an AnonymousUser."""
    return getattr(request, "auth", None) or ANONYMOUS


def staff_caller(request: HttpRequest):
    user = caller(request)
    access.require_staff(user)
    return user


def visible_appeal(user, number: str) -> Appeal:
    """The appeal if this user may see it. Unknown and out-of-scope look the same (404), so the
    API never confirms that an appeal exists to someone who may not see it."""
    appeal = (
        access.appeals_for(user)
        .filter(number=number)
        .select_related("category", "block", "territory", "organisation", "executor", "queue", "resident", "problem")
        .first()
    )
    if appeal is None:
        raise NotFound("Обращение не найдено.")
    return appeal
