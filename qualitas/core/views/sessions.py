"""My sessions and tokens: see where I am signed in, end sessions, revoke tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qualitas.core import queries, services, usersessions
from qualitas.core.views import signed_in_user


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    current = request.session.session_key
    sessions = [
        {
            "row": row,
            "browser": usersessions.browser_of(row.user_agent),
            "current": row.session_key == current,
        }
        for row in usersessions.active_sessions(user)
    ]
    context = {
        "title": "My sessions and tokens",
        "sessions": sessions,
        "others": sum(1 for s in sessions if not s["current"]),
        "tokens": user.api_tokens.all(),
    }
    return render(request, "core/sessions.html", context)


@require_POST
@login_required
def end_session(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    row = queries.get_or_404(usersessions.sessions_of(user).filter(ended_at__isnull=True), pk=pk)
    if row.session_key == request.session.session_key:
        # Ending the session in use is signing out.
        services.end_session(row, actor=user)
        logout(request)
        return redirect("login")
    services.end_session(row, actor=user)
    messages.success(request, "The session was ended: that browser is signed out.")
    return redirect("core:sessions")


@require_POST
@login_required
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    ended = services.end_other_sessions(
        actor=signed_in_user(request), current_session_key=request.session.session_key
    )
    messages.success(request, f"{ended} other session(s) ended.")
    return redirect("core:sessions")


@require_POST
@login_required
def revoke_all_tokens(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    revoked = services.revoke_all_tokens(user, actor=user)
    messages.success(request, f"{revoked} token(s) revoked.")
    return redirect("core:sessions")
