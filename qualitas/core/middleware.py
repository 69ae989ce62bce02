"""Request correlation: every request gets an id that logs and audit events carry."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from qualitas.core import audit

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_address(request: HttpRequest) -> str | None:
    """The client's address; behind our proxy, the one the proxy saw (last X-Forwarded-For)."""
    if settings.BEHIND_PROXY:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    """Take X-Request-ID from a trusted proxy when well-formed, else make one; echo it back.

    The id and the client address are bound to every audit event the request causes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit.bind_request(audit.RequestMeta(request_id, client_address(request))):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class PasswordExpiryMiddleware:
    """Send a person whose password expired, or was set by someone else, to change it first."""

    ALLOWED = ("/password/", "/logout/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.contrib import messages
        from django.http import JsonResponse
        from django.shortcuts import redirect

        if not must_replace_password(request.user):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            # A browser session with an expired password may not use the API either.
            detail = "Your password must be changed before you continue: sign in to Qualitas."
            return JsonResponse({"detail": detail, "errors": []}, status=403)
        if not request.path.startswith(self.ALLOWED):
            messages.warning(request, "Your password has expired: choose a new one to continue.")
            return redirect("password_change")
        return self.get_response(request)


def password_expired(user: object) -> bool:
    from datetime import timedelta

    from django.utils import timezone

    if not getattr(user, "is_authenticated", False) or not settings.PASSWORD_MAX_AGE_DAYS:
        return False
    if not user.has_usable_password():  # type: ignore[attr-defined]
        return False  # no local password to age (single sign-on users: the IdP's policy)
    changed = getattr(user, "password_changed_at", None)
    limit = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)
    return changed is None or changed < limit


def must_replace_password(user: object) -> bool:
    """Expired, or chosen by someone else (an administrator's reset): the owner must change it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "must_change_password", False)) or password_expired(user)
