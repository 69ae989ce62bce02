"""Root URLs: sign-in, the core pages, each module's pages, the API and /healthz."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from qualitas.api.urls import api
from qualitas.core.registry import registry
from qualitas.core.views import health, home
from qualitas.core.views.auth import LoginView, PasswordChangeView

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("", include("qualitas.core.urls")),
]
# Each module's own pages, as it registered them (the core imports no module).
urlpatterns += [path(prefix, include(module)) for prefix, module in registry.url_includes]
