"""Passkey pages under /me/mfa/passkeys/ and the challenge endpoint the second step uses.

The browser side is qualitas/static/qualitas/passkeys.js (our origin, no inline script): it
fetches options here, asks the authenticator, and posts the answer in an ordinary form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from qualitas.core import mfa, passkeys
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.forms import StyledForm, put_errors
from qualitas.core.views import signed_in_user
from qualitas.core.views.mfa import code_field


class AddPasskeyForm(StyledForm):
    name = forms.CharField(
        label="Name",
        max_length=passkeys.NAME_MAX,
        required=False,
        help_text="So you can tell your keys apart, e.g. \u201cYubiKey on my keyring\u201d.",
    )
    credential = forms.CharField(widget=forms.HiddenInput, required=False)


class RenamePasskeyForm(StyledForm):
    name = forms.CharField(label="Name", max_length=passkeys.NAME_MAX)


class RemovePasskeyForm(StyledForm):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
    )
    otp_code = code_field(recovery=True)
    webauthn_assertion = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["otp_code"].required = False  # or a passkey's answer


def _errors_to_messages(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


@never_cache
@require_POST
@login_required
def registration_options(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return JsonResponse(passkeys.registration_options(user, request.session))


@never_cache
@require_POST
@login_required
def assertion_options(request: HttpRequest) -> HttpResponse:
    """A challenge for one of the signed-in person's keys (sign-in second step, removal)."""
    user = signed_in_user(request)
    if not mfa.has_passkey(user):
        return JsonResponse({"detail": "You have no passkey.", "errors": []}, status=404)
    return JsonResponse(passkeys.assertion_options(user, request.session))


@require_POST
@login_required
def add(request: HttpRequest) -> HttpResponse:
    import django_otp

    user = signed_in_user(request)
    form = AddPasskeyForm(request.POST)
    if form.is_valid():
        try:
            device = passkeys.register(
                user,
                actor=user,
                session=request.session,
                credential=form.cleaned_data["credential"],
                name=form.cleaned_data["name"],
            )
        except (InvalidInput, PermissionDenied) as exc:
            put_errors(form, exc)
        else:
            if getattr(user, "otp_device", None) is None:
                # Enrolling a first factor (role requires MFA): this session has now used it.
                django_otp.login(request, device)
                request.session.cycle_key()
            messages.success(request, f"Passkey \u201c{device.name}\u201d added.")
            return redirect("core:mfa")
    _errors_to_messages(request, form)
    return redirect("core:mfa")


@require_POST
@login_required
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    form = RenamePasskeyForm(request.POST)
    if form.is_valid():
        try:
            passkeys.rename(user, pk, form.cleaned_data["name"], actor=user)
        except (InvalidInput, PermissionDenied) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, "Passkey renamed.")
            return redirect("core:mfa")
    _errors_to_messages(request, form)
    return redirect("core:mfa")


@require_POST
@login_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    form = RemovePasskeyForm(request.POST)
    if form.is_valid():
        try:
            passkeys.remove(
                user,
                pk,
                actor=user,
                session=request.session,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["otp_code"],
                assertion=form.cleaned_data["webauthn_assertion"],
            )
        except (InvalidInput, PermissionDenied) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, "Passkey removed.")
            return redirect("core:mfa")
    _errors_to_messages(request, form)
    return redirect("core:mfa")
