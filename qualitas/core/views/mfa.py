"""MFA pages: enrolment under /me/mfa/, the sign-in second step at /login/mfa/, and the
middleware that keeps a session without its second factor out of everything else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from qualitas.core import mfa, passkeys
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.forms import StyledForm, put_errors
from qualitas.core.views import signed_in_user

SECOND_STEP = "/login/mfa/"
ENROLMENT = "/me/mfa/"


# --- Middleware --------------------------------------------------------------------------------


def pending_second_factor(request: HttpRequest) -> bool:
    """Signed in with the password but not yet with the authenticator code."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return getattr(user, "otp_device", None) is None and mfa.has_confirmed_device(user)


def must_enrol(request: HttpRequest) -> bool:
    """A role of this person requires MFA and they have no authenticator yet."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not settings.MFA_ENFORCE_ROLES:
        return False
    return not mfa.has_confirmed_device(user) and mfa.required_for(user)


def session_incomplete(request: HttpRequest) -> bool:
    """The session may not act yet: its second factor, or a required enrolment, is missing."""
    return pending_second_factor(request) or must_enrol(request)


class MfaMiddleware:
    """A session whose person has MFA is not signed in for anything until the code is given
    (/login/mfa/); a person whose role requires MFA can only enrol until they have."""

    PENDING_ALLOWED = (SECOND_STEP, "/logout/", "/static/", "/healthz")
    ENROL_ALLOWED = (ENROLMENT, "/logout/", "/static/", "/healthz", "/password/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if pending_second_factor(request):
            if path.startswith("/api/"):
                # The API's session auth refuses too (qualitas.api.auth); a Bearer token is
                # its own credential and is not this session.
                if request.headers.get("Authorization", "").startswith("Bearer "):
                    return self.get_response(request)
                detail = "Sign-in is not complete: enter your authenticator code in Qualitas."
                return JsonResponse({"detail": detail, "errors": []}, status=401)
            if not path.startswith(self.PENDING_ALLOWED):
                return redirect(f"{SECOND_STEP}?{_next_query(request)}")
        elif must_enrol(request):
            if path.startswith("/api/"):
                if request.headers.get("Authorization", "").startswith("Bearer "):
                    return self.get_response(request)
                detail = "Your role requires MFA: set up an authenticator app in Qualitas first."
                return JsonResponse({"detail": detail, "errors": []}, status=403)
            if not path.startswith(self.ENROL_ALLOWED):
                messages.warning(
                    request, "One of your roles requires MFA: set up an authenticator app first."
                )
                return redirect(ENROLMENT)
        return self.get_response(request)


def _next_query(request: HttpRequest) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": request.get_full_path()})


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- Forms -------------------------------------------------------------------------------------


def code_field(label: str = "Authenticator code", *, recovery: bool = False) -> forms.CharField:
    help_text = "The 6-digit code your authenticator app shows now."
    if recovery:
        help_text += " Lost your phone? Enter one of your recovery codes instead."
    return forms.CharField(
        label=label,
        max_length=32,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


class CodeForm(StyledForm):
    otp_code = code_field(recovery=True)


class ConfirmForm(StyledForm):
    otp_code = code_field()


class PasswordAndCodeForm(StyledForm):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
    )
    otp_code = code_field(recovery=True)


# --- Sign-in second step -----------------------------------------------------------------------


def second_step(request: HttpRequest) -> HttpResponse:
    """After the password: the authenticator code (or a recovery code)."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if not pending_second_factor(request):
        return redirect(_safe_next(request))
    user = signed_in_user(request)
    assertion = request.POST.get("webauthn_assertion", "")
    form = CodeForm(None if assertion else (request.POST or None))
    passkey_error = ""
    status = 200
    if request.method == "POST":
        status = 422
        wait = mfa.throttled_for(user)
        if wait and assertion:
            passkey_error = f"Too many wrong codes: wait {wait} seconds and try again."
        elif wait:
            form.add_error("otp_code", f"Too many wrong codes: wait {wait} seconds and try again.")
        elif assertion or form.is_valid():
            device: Any = (
                passkeys.verify_assertion(user, request.session, assertion, purpose="sign_in")
                if assertion
                else mfa.verify(user, form.cleaned_data["otp_code"], purpose="sign_in")
            )
            if device is not None:
                django_otp.login(request, device)
                request.session.cycle_key()  # the session is now worth more: new key
                axes_reset(username=user.get_username())
                return redirect(_safe_next(request))
            credentials = {"username": user.get_username()}
            # Wrong codes (and refused passkey answers) count towards the same lockout as
            # wrong passwords (django-axes).
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False) or AxesProxyHandler.is_locked(
                request, credentials
            ):
                logout(request)
                request.axes_locked_out = True  # type: ignore[attr-defined]
                return render(request, "registration/locked_out.html", status=429)
            if assertion:
                passkey_error = "The security key's answer was not accepted."
            else:
                form.add_error("otp_code", "That code is wrong or was already used.")
    context = {
        "form": form,
        "next": _safe_next(request),
        "title": "Authenticator code",
        "user": AnonymousUser(),  # not signed in yet: no navigation in the shell
        "person": user,
        "has_app": mfa.confirmed_device(user) is not None,
        "has_passkey": mfa.has_passkey(user),
        "passkey_error": passkey_error,
    }
    return render(request, "core/mfa/second_step.html", context, status=status)


# --- Enrolment and management ------------------------------------------------------------------


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # secrets and recovery codes: never cached
    return response


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request, ConfirmForm(), PasswordAndCodeForm())


def _overview(
    request: HttpRequest, confirm_form: forms.Form, manage_form: forms.Form, *, status: int = 200
) -> HttpResponse:
    """The MFA page: the app (being set up or active), recovery codes, passkeys."""
    user = signed_in_user(request)
    device = mfa.confirmed_device(user)
    pending = None if device else mfa.pending_device(user)
    context = {
        "title": "Multi-factor authentication",
        "device": device,
        "pending": pending,
        "secret": mfa.secret_text(pending) if pending else "",
        "issuer": mfa.issuer(),
        "required": mfa.required_for(user),
        "codes_left": mfa.recovery_codes_left(user) if device else 0,
        "confirm_form": confirm_form,
        "manage_form": manage_form,
        "passkeys": passkeys.passkeys_of(user),
    }
    return _no_store(render(request, "core/mfa/overview.html", context, status=status))


@require_POST
@login_required
def start(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        mfa.start_enrolment(user, actor=user)
    except PermissionDenied as exc:
        messages.error(request, exc.detail)
    return redirect("core:mfa")


@login_required
def qr_code(request: HttpRequest) -> HttpResponse:
    """The pending authenticator's QR code; an active one's secret is never shown again."""
    pending = mfa.pending_device(signed_in_user(request))
    if pending is None:
        return HttpResponse(status=404)
    return _no_store(HttpResponse(mfa.qr_svg(pending), content_type="image/svg+xml"))


def _show_codes(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    context = {"title": "Recovery codes", "codes": codes, "first": first}
    return _no_store(render(request, "core/mfa/recovery_codes.html", context))


@require_POST
@login_required
def confirm(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            codes = mfa.confirm_enrolment(user, form.cleaned_data["otp_code"], actor=user)
        except InvalidInput as exc:
            put_errors(form, exc)
        else:
            # The code just given proves the second factor for this session too.
            django_otp.login(request, mfa.confirmed_device(user))
            request.session.cycle_key()
            return _show_codes(request, codes, first=True)
    return _management_error(request, form, confirm=True)


def _management_error(request: HttpRequest, form: forms.Form, *, confirm: bool) -> HttpResponse:
    if confirm:
        return _overview(request, form, PasswordAndCodeForm(), status=422)
    return _overview(request, ConfirmForm(), form, status=422)


def _manage(
    request: HttpRequest, action: Callable[[Any, dict[str, Any]], HttpResponse]
) -> HttpResponse:
    user = signed_in_user(request)
    form = PasswordAndCodeForm(request.POST)
    if form.is_valid():
        try:
            return action(user, form.cleaned_data)
        except (InvalidInput, PermissionDenied) as exc:
            put_errors(form, exc)
    return _management_error(request, form, confirm=False)


@require_POST
@login_required
def regenerate(request: HttpRequest) -> HttpResponse:
    def run(user: Any, data: dict[str, Any]) -> HttpResponse:
        codes = mfa.regenerate_recovery_codes(
            user, actor=user, password=data["password"], code=data["otp_code"]
        )
        return _show_codes(request, codes, first=False)

    return _manage(request, run)


@require_POST
@login_required
def remove(request: HttpRequest) -> HttpResponse:
    def run(user: Any, data: dict[str, Any]) -> HttpResponse:
        mfa.remove(user, actor=user, password=data["password"], code=data["otp_code"])
        messages.success(request, "Your authenticator and recovery codes were removed.")
        return redirect("core:mfa")

    return _manage(request, run)
