"""Single sign-on pages under /oidc/: start a sign-in, the provider's callback, and the fresh
login that lets an SSO user sign (Part 11 §11.200: the signer re-authenticates)."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import View
from mozilla_django_oidc.utils import absolutify, generate_code_challenge
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from qualitas.core import sso
from qualitas.core.errors import PermissionDenied

logger = logging.getLogger(__name__)


def _provider_trouble(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("OpenID provider failed: %s", exc)
    messages.error(
        request,
        f"{sso.oidc_provider_name()} could not be reached or answered wrongly. Try again "
        "later; if this persists, tell your administrator.",
    )
    return redirect("login")


class OIDCLoginView(OIDCAuthenticationRequestView):  # type: ignore[misc]  # untyped library
    """Send the browser to the provider to sign in (authorization code flow with PKCE)."""

    def __init__(self, **kwargs: Any) -> None:
        # The library reads the endpoints here; we read them per request (discovery may fail).
        View.__init__(self, **kwargs)

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return sso.oidc_setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso.oidc_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = sso.oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except sso.ProviderUnavailable as exc:
            return _provider_trouble(request, exc)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponse = super().get(request)
        return response


class OIDCCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where the provider sends the browser back: a sign-in, or a fresh login for signing."""

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return sso.oidc_setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso.oidc_enabled():
            raise Http404("Single sign-on is not configured.")
        state = request.GET.get("state", "")
        pending = sso.take_reauthentication(request, state) if state else None
        if pending is not None:
            return _confirmed(request, pending)
        try:
            response: HttpResponse = super().get(request)
        except (sso.ProviderUnavailable, requests.RequestException, SuspiciousOperation) as exc:
            logger.warning("OIDC sign-in failed: %s", exc)
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        messages.error(
            self.request,
            f"Qualitas could not sign you in through {sso.oidc_provider_name()}. If this "
            "persists, ask your administrator (the reason is in the server log).",
        )
        return redirect("login")


def _safe_next(request: HttpRequest) -> str:
    """Back to `next`, else to the page the button was on (same origin only)."""
    for candidate in (request.GET.get("next", ""), request.headers.get("Referer", "")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return reverse("home")


@login_required
def confirm(request: HttpRequest) -> HttpResponse:
    """Ask the provider to sign the person in again, now (`prompt=login`, `max_age=0`); the
    answer comes back to the callback, which keeps a single-use proof for one signature."""
    user: Any = request.user
    if not sso.oidc_enabled() or not sso.signs_with_fresh_login(user):
        raise Http404("Only single sign-on users confirm their identity with the provider.")
    try:
        authorize = sso.oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
    except sso.ProviderUnavailable as exc:
        return _provider_trouble(request, exc)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    params = {
        "response_type": "code",
        "scope": settings.OIDC_RP_SCOPES,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "redirect_uri": absolutify(request, reverse("oidc_authentication_callback")),
        "state": state,
        "nonce": nonce,
        "prompt": "login",
        "max_age": "0",
        "login_hint": user.username,
        "code_challenge": generate_code_challenge(verifier, "S256"),
        "code_challenge_method": "S256",
    }
    sso.start_reauthentication(
        request, state=state, nonce=nonce, verifier=verifier, next_url=_safe_next(request)
    )
    return redirect(f"{authorize}?{urlencode(params)}")


def _confirmed(request: HttpRequest, pending: dict[str, Any]) -> HttpResponse:
    """The provider's answer to `confirm`: check it and keep the proof, or say why not."""
    user: Any = request.user
    name = sso.oidc_provider_name()
    if not user.is_authenticated or user.pk != pending["user"]:
        messages.error(request, "That confirmation was started by someone else's session.")
        return redirect("login")
    if request.GET.get("error") or not request.GET.get("code"):
        messages.warning(request, f"Confirmation with {name} was cancelled; nothing was signed.")
        return redirect(pending["next"])
    backend = sso.OIDCBackend()
    backend.request = request
    try:
        tokens = backend.get_token(
            {
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "client_secret": settings.OIDC_RP_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": request.GET["code"],
                "redirect_uri": absolutify(request, reverse("oidc_authentication_callback")),
                "code_verifier": pending["verifier"],
            }
        )
        claims = backend.verify_token(tokens.get("id_token") or "", nonce=pending["nonce"])
        sso.record_fresh_login(request, user, claims, started=pending["started"])
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except (sso.ProviderUnavailable, requests.RequestException, SuspiciousOperation) as exc:
        logger.warning("OIDC confirmation for %s failed: %s", user.username, exc)
        messages.error(request, f"{name} did not confirm who you are; nothing was signed.")
    else:
        minutes = sso.PROOF_LIFETIME_SECONDS // 60
        messages.success(
            request, f"Confirmed with {name}. Apply your signature within {minutes} minutes."
        )
    return redirect(pending["next"])
