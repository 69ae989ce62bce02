"""API authentication: a personal access token (Bearer), or the browser session with CSRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from qualitas.core import tokens
from qualitas.core.views import mfa as mfa_views


class BearerRefused(AuthenticationError):
    """401 naming why the bearer token was refused ("token revoked", "token expired" …)."""

    def __init__(self, detail: str) -> None:
        super().__init__(401, detail)
        self.detail = detail


class TokenAuth(HttpBearer):
    """`Authorization: Bearer qlt_…` — a personal access token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # A request that sends a bearer token is judged by it alone: falling back to the
        # session would answer a revoked token with a CSRF error, or act as someone else.
        try:
            found = tokens.check(token)
        except tokens.TokenRefused as refused:
            raise BearerRefused(refused.reason) from None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionWithCsrf(SessionAuth):
    """The signed-in browser session; unsafe methods must carry the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active and not mfa_views.session_incomplete(request):
            return user
        return None


# Bearer first: a script sending a token never needs a CSRF token.
api_auth = [TokenAuth(), SessionWithCsrf(csrf=True)]
