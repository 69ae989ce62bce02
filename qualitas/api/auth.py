"""API authentication: a personal access token (Bearer), or the browser session with CSRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from qualitas.core import tokens


class TokenAuth(HttpBearer):
    """`Authorization: Bearer qlt_…` — a personal access token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.authenticate(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionWithCsrf(SessionAuth):
    """The signed-in browser session; unsafe methods must carry the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


# Bearer first: a script sending a token never needs a CSRF token.
api_auth = [TokenAuth(), SessionWithCsrf(csrf=True)]
