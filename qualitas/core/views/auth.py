"""Sign-in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views

from qualitas.core import sso
from qualitas.core.views import passwords


class LoginView(auth_views.LoginView):
    """Django's login with our template; django-axes counts failures and locks accounts."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["idle_minutes"] = settings.SESSION_IDLE_MINUTES
        context["sso"] = sso.login_options()
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    """A person changes their own password; the change is audited (never its value).

    Their other sessions end; with the checkbox (on by default) their API tokens too.
    """

    template_name = "registration/password_change_form.html"
    success_url = "/password/done/"
    form_class = passwords.OwnPasswordChangeForm

    def form_valid(self, form: Any) -> Any:
        return passwords.change_own_password(self, form)
