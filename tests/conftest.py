"""Shared fixtures: one person per role (the cast of every permission test), API clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from qualitas.core import permissions, services
from qualitas.core.models import User
from tests.factories import PASSWORD, SiteFactory, UserFactory, with_role

# Fixtures shared by several modules' tests (nonconformances are also CAPA sources).
pytest_plugins = ["tests.fixtures.nonconformance"]


@pytest.fixture(autouse=True)
def own_checkpoints(tmp_path_factory: pytest.TempPathFactory, settings: Any) -> None:
    """Each test's audit checkpoints in a folder of its own: a checkpoint left by an earlier
    test describes a chain that was rolled back, and would make this one look rewritten."""
    folder = tmp_path_factory.mktemp("checkpoints")
    settings.AUDIT_CHECKPOINT_DIR = folder / "checkpoints"
    settings.AUDIT_CHECKPOINT_KEY_FILE = folder / "checkpoint.key"


@pytest.fixture
def site(db: None) -> Any:
    return SiteFactory(code="HQ", name="Headquarters")


@pytest.fixture
def other_site(db: None) -> Any:
    return SiteFactory(code="BR", name="Branch plant")


def _person(role: str, username: str) -> User:
    return with_role(UserFactory(username=username), role)


@pytest.fixture
def admin(db: None) -> User:
    return _person(permissions.ADMINISTRATOR, "admin")


@pytest.fixture
def quality_manager(db: None) -> User:
    return _person(permissions.QUALITY_MANAGER, "qm")


@pytest.fixture
def auditor(db: None) -> User:
    return _person(permissions.AUDITOR, "auditor")


@pytest.fixture
def contributor(db: None) -> User:
    return _person(permissions.CONTRIBUTOR, "contributor")


@pytest.fixture
def viewer(db: None) -> User:
    return _person(permissions.VIEWER, "viewer")


@pytest.fixture
def nobody(db: None) -> User:
    """Signed in, but holds no role at all."""
    return UserFactory(username="nobody")


@pytest.fixture
def system(db: None) -> User:
    return services.system_user()


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


class ApiClient:
    """Calls /api/v1 with a bearer token, the way a script or CI pipeline would."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _send(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        call = getattr(self.client, method)
        url = f"/api/v1{path}"
        if body is None:
            return call(url, query or None, headers=self.headers)
        return call(url, json.dumps(body), content_type="application/json", headers=self.headers)

    def get(self, path: str, **query: Any) -> Any:
        return self._send("get", path, **query)

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("post", path, {} if body is None else body)

    def patch(self, path: str, body: Any) -> Any:
        return self._send("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._send("put", path, body)

    def delete(self, path: str) -> Any:
        return self._send("delete", path)


@pytest.fixture
def api_for(db: None) -> Callable[[User], ApiClient]:
    def make(user: User) -> ApiClient:
        _token, plain = services.create_token(actor=user, name="tests")
        return ApiClient(plain)

    return make


@pytest.fixture
def anonymous_api() -> ApiClient:
    return ApiClient(None)


__all__ = ["PASSWORD", "ApiClient"]
