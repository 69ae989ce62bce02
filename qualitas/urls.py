"""Root URLs: sign-in, the core pages, each module's pages, the API and /healthz."""

import re

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path

from qualitas.api.urls import api
from qualitas.core.registry import registry
from qualitas.core.views import health, home, moved, passwords, sso
from qualitas.core.views.auth import LoginView, PasswordChangeView

# Paths that moved to their record type's one tree: 308 to the new place, first of all.
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(rf"^{re.escape(old.lstrip('/'))}(?P<rest>.*)$", moved.redirect_to(new))
    for old, new in registry.moved
]
urlpatterns += [
    path("", home.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (OpenID Connect); answers 404 unless configured.
    path("oidc/authenticate/", sso.OIDCLoginView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sso.OIDCCallbackView.as_view(), name="oidc_authentication_callback"),
    path("oidc/confirm/", sso.confirm, name="oidc_confirm"),
    path(
        "password/",
        PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Password reset by e-mail (qualitas.core.views.passwords).
    path("password/reset/", passwords.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        passwords.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        passwords.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", api.urls),
]
# Each module's own pages, as it declared them (the core imports no module): before the
# core's generic record pages, which share the record type's path (/nonconformances/…).
urlpatterns += [path(prefix, include(module)) for prefix, module in registry.url_includes]
urlpatterns += [path("", include("qualitas.core.urls"))]

# A database that does not answer is a 503 with Retry-After, not a 500.
handler500 = "qualitas.core.views.errors.server_error"
# A request Django cannot read (too large, malformed) gets the site's error page: 400 or 413.
handler400 = "qualitas.core.views.errors.bad_request"
