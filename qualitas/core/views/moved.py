"""Old paths that moved to their record type's one tree answer 308 Permanent Redirect.

308 (not 301) keeps the method and body, so an API client's POST to an old path still
lands; the `Deprecation` and `Link` headers tell it where to go from now on.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect


def redirect_to(new_prefix: str) -> Callable[..., HttpResponse]:
    def moved(request: HttpRequest, rest: str) -> HttpResponse:
        target = new_prefix + rest
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
        response.status_code = 308
        response["Deprecation"] = "true"
        response["Link"] = f'<{target}>; rel="successor-version"'
        return response

    return moved
