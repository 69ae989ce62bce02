"""The signed-in user's own page: profile, roles and personal access tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qualitas.core import forms, queries, services
from qualitas.core.errors import InvalidInput
from qualitas.core.views import signed_in_user


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = forms.TokenForm()
    new_token = None
    status = 200
    if request.method == "POST":
        form = forms.TokenForm(request.POST)
        if form.is_valid():
            try:
                token, new_token = services.create_token(actor=user, **form.cleaned_data)
            except InvalidInput as exc:
                forms.put_errors(form, exc)
                status = 422
            else:
                messages.success(
                    request, f"Token '{token.name}' created. Copy it now: it is shown only once."
                )
                form = forms.TokenForm()
        else:
            status = 422
    context = {
        "title": "My profile",
        "person": user,
        "assignments": queries.role_assignments_of(user),
        "tokens": user.api_tokens.all(),
        "token_form": form,
        "new_token": new_token,
    }
    response = render(request, "core/profile.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"  # the secret must not stay in any cache
    return response


@require_POST
@login_required
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    token = queries.get_or_404(queries.tokens_visible_to(user), pk=pk)
    services.revoke_token(token, actor=user)
    messages.success(request, f"Token '{token.name}' revoked.")
    # The same button is on the profile and on the sessions page: back to where it was.
    return redirect("core:sessions" if request.POST.get("back") == "sessions" else "core:profile")
