"""Who is calling the JSON API: a bearer token (apps, integrations), the Django session (the
operator UI's own pages) or nobody (resident intake and the resident's status by access key)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from tsur.accounts.models import ApiToken, Scope
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.core.errors import AccessDenied, NotFound


class BearerToken(HttpBearer):
    """`Authorization: Bearer <key>`. A key that is sent but not valid is refused outright (401)
    rather than silently treated as anonymous: the client must learn its key was revoked. A valid
    key without the endpoint's scope is refused too (403): a key does only what it was issued for,
    whatever its user's role allows."""

    def __init__(self, scope: str | None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str):
        found = ApiToken.find(token.strip())
        if found is None:
            raise AuthenticationError(message="API-ключ недействителен или отозван.")
        if self.scope is not None and not found.allows(self.scope):
            raise AccessDenied(
                f"API-ключ не даёт права на это действие: нужно разрешение «{Scope(self.scope).label}». "
                "Разрешения ключа меняет администратор.",
                code="scope_missing",
            )
        request.api_token = found
        return found.user


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


# Who may call which endpoints: a key with the named scope or a logged-in session; the intake and
# the reference data also anybody.
STAFF_READ = [BearerToken(Scope.STAFF_READ), Session()]
STAFF_WRITE = [BearerToken(Scope.STAFF_WRITE), Session()]
RESIDENT = [BearerToken(Scope.RESIDENT), Session()]
INTAKE = [BearerToken(Scope.INTAKE), Session(), anonymous]
# Open to everybody; a key, when sent, must still be valid (any scope).
OPTIONAL_AUTH = [BearerToken(None), Session(), anonymous]


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
        .defer("territory__boundary")  # kilobytes of GeoJSON; the card map reads it only when drawn
        .first()
    )
    if appeal is None:
        raise NotFound("Обращение не найдено.")
    return appeal
