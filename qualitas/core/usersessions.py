"""Each person's browser sessions: recorded, listed, ended.

Django keeps sessions in the database (SESSION_ENGINE is the default `db` backend) keyed by a
secret; nothing there says whose a session is without decoding every row. A `UserSession`
row per session says it. The middleware writes it on the first request a session is signed
in (every sign-in path: password, MFA, single sign-on) and touches it at most once a minute,
so an ordinary request costs no write. Ending a session deletes Django's session, which
signs that browser out at its next request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from qualitas.core.middleware import client_address
from qualitas.core.models import User, UserSession

# Session data: which UserSession row this session is (it survives the key being cycled at
# sign-in and password change), under which key and when it was last touched (epoch seconds).
ROW_KEY = "_qualitas_session_row"
SEEN_KEY = "_qualitas_session_seen"
KEY_KEY = "_qualitas_session_key"
TOUCH_SECONDS = 60


def _store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def record(request: HttpRequest) -> None:
    """Create or touch the row of the request's signed-in session (at most once a minute)."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if session is None or user is None or not user.is_authenticated:
        return
    key = session.session_key
    # Only the session's own user: a bearer-token request may carry someone's cookie too.
    if not key or session.get(SESSION_KEY) != str(user.pk):
        return
    now = timezone.now()
    row_id = session.get(ROW_KEY)
    fresh = now.timestamp() - session.get(SEEN_KEY, 0) < TOUCH_SECONDS
    if row_id and fresh and session.get(KEY_KEY) == key:
        return
    address = client_address(request)
    agent = request.headers.get("User-Agent", "")[:300]
    updated = 0
    if row_id:
        # The key changes at sign-in and password change: same session, same row.
        updated = UserSession.objects.filter(pk=row_id, user=user, ended_at__isnull=True).update(
            session_key=key, last_seen_at=now, client_address=address, user_agent=agent
        )
    if not updated:
        try:
            with transaction.atomic():
                row, _ = UserSession.objects.update_or_create(
                    session_key=key,
                    defaults={
                        "user": user,
                        "last_seen_at": now,
                        "client_address": address,
                        "user_agent": agent,
                    },
                )
        except IntegrityError:  # a parallel first request made it
            row = UserSession.objects.get(session_key=key)
        row_id = row.pk
    session[ROW_KEY] = row_id
    session[KEY_KEY] = key
    session[SEEN_KEY] = int(now.timestamp())


class SessionRecordMiddleware:
    """Record the signed-in session after the view ran (sign-in has then set the user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        record(request)
        return response


def _live_keys(keys: Iterable[str]) -> set[str]:
    """The keys among `keys` whose Django session still exists and has not expired."""
    keys = list(keys)
    store = _store()
    if hasattr(store, "get_model_class"):  # db and cached_db: one query
        model = store.get_model_class()
        return set(
            model.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).values_list(
                "session_key", flat=True
            )
        )
    return {key for key in keys if store().exists(key)}


def active_sessions(user: User) -> list[UserSession]:
    """The person's sessions that can still be used, the most recently seen first."""
    rows = list(UserSession.objects.filter(user=user, ended_at__isnull=True))
    # A session idle for longer than the timeout is over even if its row says nothing.
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + TOUCH_SECONDS)
    live = _live_keys(row.session_key for row in rows if row.last_seen_at > cutoff)
    return [row for row in rows if row.session_key in live]


def sessions_of(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user)


def end(row: UserSession, *, reason: str) -> bool:
    """Sign the session out (delete Django's session) and mark its row; False if it had ended."""
    if row.ended_at is not None:
        return False
    _store()().delete(row.session_key)
    UserSession.objects.filter(pk=row.pk).update(ended_at=timezone.now(), end_reason=reason[:120])
    row.ended_at = timezone.now()
    row.end_reason = reason[:120]
    return True


def browser_of(user_agent: str) -> str:
    """A short human name for a User-Agent string ("Firefox on Windows")."""
    agent = user_agent or ""
    browser = "Unknown browser"
    for marker, name in (
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests", "Python script"),
    ):
        if marker in agent:
            browser = name
            break
    system = ""
    for marker, name in (
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ):
        if marker in agent:
            system = name
            break
    return f"{browser} on {system}" if system else browser
