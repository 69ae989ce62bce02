"""The second signing component on every signature form: an authenticator code, asked only
of people with MFA (Part 11 §11.200). Read back by `signatures.authenticate_from`."""

from __future__ import annotations

from typing import Any

from django import forms

from qualitas.core import signatures


def otp_code_field() -> forms.CharField:
    return forms.CharField(
        label="Authenticator code",
        max_length=12,
        help_text="With your password, the code your authenticator app shows now signs this.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


def add_otp_code(form: forms.BaseForm, user: Any) -> None:
    """Add the `otp_code` field after `password` when this signer has MFA."""
    from qualitas.core.forms_sso import confirm_instead_of_password

    if confirm_instead_of_password(form, user):  # single sign-on users re-login instead
        return
    if "password" not in form.fields or not signatures.needs_otp(user):
        return
    field = otp_code_field()
    field.required = form.fields["password"].required  # optional where the password is
    field.widget.attrs.setdefault("class", form.fields["password"].widget.attrs.get("class", ""))
    names = list(form.fields)
    form.fields["otp_code"] = field
    at = names.index("password") + 1
    form.fields = {name: form.fields[name] for name in [*names[:at], "otp_code", *names[at:]]}
