"""Password forms: own change (with token revocation) and reset by e-mail.

Reset follows OWASP's forgotten-password guidance: the same answer for known and unknown
addresses, the same work on both paths (a link is made and the message rendered either way)
and the mail delivered off the request, so neither the page nor its timing says whether an
account exists. Requests are counted in Django's cache, per client address (over the limit:
429) and per e-mail address (over the limit: the same answer, no mail).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from qualitas.core import services
from qualitas.core.errors import InvalidInput
from qualitas.core.middleware import client_address
from qualitas.core.models import User

logger = logging.getLogger(__name__)

REVOKE_TOKENS_LABEL = "Also revoke my API tokens (scripts using them stop working)"
LIMIT_WINDOW_SECONDS = 3600


class _ServiceValidates:
    """The service validates the new password (rules and history) once, when it sets it."""

    def validate_password_for_user(self, user: Any, password_field_name: str = "password2") -> None:  # noqa: S107 - a field name
        return None


class OwnPasswordChangeForm(_ServiceValidates, PasswordChangeForm):
    revoke_tokens = forms.BooleanField(label=REVOKE_TOKENS_LABEL, required=False, initial=True)


class ResetPasswordForm(_ServiceValidates, SetPasswordForm):  # type: ignore[type-arg]
    revoke_tokens = forms.BooleanField(label=REVOKE_TOKENS_LABEL, required=False, initial=True)


def _refused(form: forms.Form, exc: InvalidInput) -> None:
    for error in exc.errors:
        form.add_error("new_password2", error.message)


# --- Own change -----------------------------------------------------------------------------


def change_own_password(view: Any, form: OwnPasswordChangeForm) -> HttpResponse:
    """PasswordChangeView.form_valid: the service sets it, ends other sessions, audits."""
    from django.contrib.auth import update_session_auth_hash

    request = view.request
    try:
        user = services.change_own_password(
            actor=request.user,
            password=form.cleaned_data["new_password1"],
            revoke_tokens=form.cleaned_data["revoke_tokens"],
            current_session_key=request.session.session_key,
        )
    except InvalidInput as exc:
        _refused(form, exc)
        response: HttpResponse = view.form_invalid(form)
        response.status_code = 422
        return response
    update_session_auth_hash(request, user)  # this session stays signed in
    return HttpResponseRedirect(view.get_success_url())


# --- Reset by e-mail ------------------------------------------------------------------------


def _within_limit(key: str, limit: int) -> bool:
    """Count one more request under `key` (a one-hour window); False once over `limit`."""
    cache.add(key, 0, timeout=LIMIT_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=LIMIT_WINDOW_SECONDS)
        count = 1
    return count <= limit


def _deliver_in_background(message: EmailMessage) -> threading.Thread:
    """Send off the request thread, so the answer's timing does not depend on it."""

    def send() -> None:
        try:
            message.send()
        except Exception:  # the person sees the same page either way; the admin sees this
            logger.exception("A password reset e-mail could not be sent")

    thread = threading.Thread(target=send, name="password-reset-mail", daemon=True)
    thread.start()
    return thread


# Replaced in tests that only care what was sent, not when.
deliver: Callable[[EmailMessage], Any] = _deliver_in_background


class EmailResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Any:
        """Active people with a password of their own; never the system account."""
        return [
            user for user in super().get_users(email) if user.username != services.SYSTEM_USERNAME
        ]

    def message_for(self, user: User, email: str) -> EmailMessage:
        context = {
            "user": user,
            "link": settings.SITE_URL.rstrip("/")
            + reverse(
                "password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            ),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string("registration/password_reset_subject.txt", context)
        body = render_to_string("registration/password_reset_email.txt", context)
        return EmailMessage(" ".join(subject.split()), body, None, [email])

    def send_links(self, *, deliver_mail: bool) -> int:
        """Make and send a link to each account with the address; the same work without one."""
        email = self.cleaned_data["email"]
        users = list(self.get_users(email))
        # An unsaved stand-in goes through the same steps for an unknown address.
        for user in users or [User(username="-", email=email)]:
            message = self.message_for(user, user.email or email)
            if users and deliver_mail:
                deliver(message)
        return len(users) if deliver_mail else 0


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = EmailResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: EmailResetForm) -> HttpResponse:
        request: HttpRequest = self.request
        client = client_address(request) or "unknown"
        if not _within_limit(f"password-reset:client:{client}", settings.PASSWORD_RESET_PER_CLIENT):
            form.add_error(
                None,
                "Too many password reset requests from your network address. "
                "Try again in an hour, or ask an administrator.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        address = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()
        within = _within_limit(
            f"password-reset:address:{address}", settings.PASSWORD_RESET_PER_ADDRESS
        )
        form.send_links(deliver_mail=within)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("password_reset_complete")
    post_reset_login = False  # sign in as usual afterwards (with MFA where it applies)

    def form_valid(self, form: ResetPasswordForm) -> HttpResponse:
        user = form.user
        try:
            services.reset_password(
                user,
                actor=user,
                password=form.cleaned_data["new_password1"],
                revoke_tokens=form.cleaned_data["revoke_tokens"],
            )
        except InvalidInput as exc:
            _refused(form, exc)
            response: HttpResponse = self.form_invalid(form)
            response.status_code = 422
            return response
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
