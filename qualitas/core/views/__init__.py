"""Core HTML views."""

from __future__ import annotations

from django.http import HttpRequest

from qualitas.core.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The acting user of a view behind login_required (typed for the services)."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("signed_in_user() needs a view behind login_required")
    return user
