"""Signing forms for single sign-on users: a "Confirm with <provider>" button where others
type their password (the fresh login it starts is what `signatures.authenticate_from` spends)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from qualitas.core import sso


class ConfirmWithProvider(forms.Widget):
    """A link to the provider's fresh login; it comes back to the page it was clicked on."""

    template_name = "core/widgets/confirm_with_provider.html"

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["provider"] = sso.oidc_provider_name()
        context["widget"]["url"] = reverse("oidc_confirm")
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> None:
        return None  # nothing to post: the proof is in the session


def confirm_instead_of_password(form: forms.BaseForm, user: Any) -> bool:
    """Swap the password field for the provider's button when this signer uses OIDC."""
    if "password" not in form.fields or not sso.signs_with_fresh_login(user):
        return False
    minutes = sso.PROOF_LIFETIME_SECONDS // 60
    form.fields["password"] = forms.CharField(
        required=False,
        label="Your signature",
        widget=ConfirmWithProvider(),
        help_text=(
            f"{sso.oidc_provider_name()} asks for your password again and sends you back here; "
            f"then apply the signature within {minutes} minutes."
        ),
    )
    return True
