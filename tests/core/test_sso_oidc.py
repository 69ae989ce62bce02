"""Single sign-on with OpenID Connect, against a small OpenID provider run on localhost.

The provider serves discovery, JWKS, token and userinfo over real HTTP and signs ID tokens
with an RSA key made here; its "login page" is `FakeProvider.authorize`, which a test calls
with the person it signs in. Everything else is the real flow through the Django test client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.messages import get_messages
from django.test import Client

from qualitas.core import permissions, records, services, signatures, sso, workflow
from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, ExternalIdentity, RoleAssignment, Signature, User
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db

CLIENT_ID = "qualitas"
CLIENT_SECRET = "s3cret-for-tests"


class FakeProvider:
    """An OpenID provider good enough to test a relying party honestly."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: dict[str, dict[str, Any]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.last_authorize: dict[str, str] = {}
        self.tamper: dict[str, Any] = {}  # claims to overwrite in the next ID tokens
        self.sign_with: Any = None  # another key, to forge a signature
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/.well-known/openid-configuration":
                    self._json(provider.discovery_document())
                elif path == "/jwks":
                    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(
                        provider.key.public_key(), as_dict=True
                    )
                    self._json({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
                elif path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider.access.get(token)
                    self._json(claims or {"error": "invalid_token"}, 200 if claims else 401)
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                body, status = provider.token(form)
                self._json(body, status)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def discovery_document(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
        }

    def authorize(self, url: str, person: dict[str, Any], *, auth_time: float | None = None) -> str:
        """The person signs in at the provider; returns the path the browser is sent back to."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert url.startswith(f"{self.issuer}/authorize?")
        assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
        self.last_authorize = query
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "person": person,
            "nonce": query.get("nonce"),
            "redirect_uri": query["redirect_uri"],
            "challenge": query.get("code_challenge"),
            "auth_time": int(time.time() if auth_time is None else auth_time),
        }
        back = urlsplit(query["redirect_uri"])
        return f"{back.path}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict[str, str]) -> tuple[dict[str, Any], int]:
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return {"error": "invalid_grant"}, 400
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return {"error": "invalid_grant", "error_description": "PKCE"}, 400
        person = grant["person"]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": person["sub"],
            "iat": now,
            "exp": now + 300,
            "auth_time": grant["auth_time"],
            "nonce": grant["nonce"],
            "preferred_username": person.get("preferred_username"),
            "groups": person.get("groups", []),
            **self.tamper,
        }
        key = self.sign_with or self.key
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        access = secrets.token_urlsafe(16)
        # Names and e-mail come from userinfo, as most providers send them.
        self.access[access] = {
            k: v for k, v in person.items() if k not in {"groups", "preferred_username"}
        }
        return {"access_token": access, "id_token": id_token, "token_type": "Bearer"}, 200

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    running = FakeProvider()
    yield running
    running.stop()


@pytest.fixture
def idp(provider: FakeProvider, settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """Qualitas configured for the fake provider, found by discovery, named 'Keycloak'."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    provider.tamper, provider.sign_with = {}, None
    sso._discovery_cache.clear()
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Keycloak"
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.SSO_ROLE_MAP = [
        ("qms-admins", permissions.ADMINISTRATOR, "*"),
        ("hq-approvers", permissions.APPROVER, "HQ"),
        ("everyone", permissions.VIEWER, "*"),
        ("all-approvers", permissions.APPROVER, "*"),
    ]
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "qualitas.core.sso.OIDCBackend",
    ]
    return provider


HELEN = {
    "sub": "kc-0001",
    "preferred_username": "hmarsh",
    "given_name": "Helen",
    "family_name": "Marsh",
    "email": "helen.marsh@example.test",
    "groups": ["qms-admins", "hq-approvers"],
}


def sign_in(client: Client, idp: FakeProvider, person: dict[str, Any], **kwargs: Any) -> Any:
    started = client.get("/oidc/authenticate/")
    assert started.status_code == 302
    return client.get(idp.authorize(started.url, person, **kwargs))


def signed_in_user(client: Client) -> User | None:
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def held(user: User) -> set[tuple[str, str | None]]:
    return {
        (a.role.code, a.site.code if a.site else None)
        for a in RoleAssignment.objects.filter(user=user).select_related("role", "site")
    }


# --- Signing in ----------------------------------------------------------------------------


def test_first_sign_in_creates_the_person_from_the_claims_and_maps_groups(
    idp: FakeProvider, site: Any, admin: User
) -> None:
    client = Client()
    response = sign_in(client, idp, HELEN)

    assert response.status_code == 302 and response.url == "/"
    user = signed_in_user(client)
    assert user is not None and user.username == "hmarsh"
    assert (user.first_name, user.last_name, user.email) == (
        "Helen",
        "Marsh",
        "helen.marsh@example.test",
    )
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.provider, identity.subject) == ("oidc", "kc-0001")
    assert identity.groups == ["hq-approvers", "qms-admins"]
    assert held(user) == {("administrator", None), ("approver", "HQ")}
    # The request asked for what the provider needs: PKCE, a nonce, our scopes.
    assert idp.last_authorize["code_challenge_method"] == "S256"
    assert idp.last_authorize["nonce"]
    # Audited as the system account, naming the provider.
    system = services.system_user()
    created = AuditEvent.objects.get(action="create", object_id=user.pk, object_repr="Helen Marsh")
    assert created.actor == system and created.reason == "Signed in through Keycloak"
    grants = AuditEvent.objects.filter(
        action="create", object_type__model="roleassignment", actor=system
    )
    assert grants.count() == 2
    assert {g.reason for g in grants} == {"Signed in through Keycloak"}


def test_later_sign_ins_follow_the_provider_and_leave_hand_made_roles_alone(
    idp: FakeProvider, site: Any, admin: User
) -> None:
    sign_in(Client(), idp, HELEN)
    user = User.objects.get(username="hmarsh")
    approver_at_hq = RoleAssignment.objects.get(user=user, role__code="approver")
    # An administrator adds two roles by hand, one of which the groups would also give.
    viewer = services.grant_role(user, actor=admin, role=role("viewer"), site=None)
    contributor = services.grant_role(user, actor=admin, role=role("contributor"), site=site)

    renamed = {**HELEN, "family_name": "Marsh-Okafor", "groups": ["hq-approvers", "everyone"]}
    client = Client()
    sign_in(client, idp, renamed)

    user.refresh_from_db()
    assert signed_in_user(client) == user
    assert user.last_name == "Marsh-Okafor"
    # Administrator left with the group; approver kept (same assignment); hand-made untouched.
    assert held(user) == {("approver", "HQ"), ("viewer", None), ("contributor", "HQ")}
    assert RoleAssignment.objects.filter(pk=approver_at_hq.pk).exists()
    assert RoleAssignment.objects.filter(pk__in=[viewer.pk, contributor.pk]).count() == 2
    renamed_event = AuditEvent.objects.filter(
        object_type__model="user", object_id=user.pk, action="update"
    ).last()
    assert renamed_event is not None and renamed_event.reason == "Signed in through Keycloak"
    assert renamed_event.actor == services.system_user()
    assert renamed_event.changes["last_name"] == {"old": "Marsh", "new": "Marsh-Okafor"}
    revoked = AuditEvent.objects.get(action="delete", object_type__model="roleassignment")
    assert "Administrator" in revoked.object_repr and revoked.actor == services.system_user()

    # Leaving every group takes only what the groups gave.
    sign_in(Client(), idp, {**renamed, "groups": []})
    assert held(user) == {("viewer", None), ("contributor", "HQ")}


def role(code: str) -> Any:
    from qualitas.core.models import Role

    return Role.objects.get(code=code)


def test_a_local_account_is_never_taken_over_by_the_same_username(
    idp: FakeProvider, admin: User
) -> None:
    client = Client()
    response = sign_in(client, idp, {**HELEN, "sub": "kc-evil", "preferred_username": "admin"})

    assert response.status_code == 302 and response.url == "/login/"
    assert signed_in_user(client) is None
    assert not ExternalIdentity.objects.exists()
    refused = AuditEvent.objects.get(action="sso_sign_in_refused")
    assert refused.object_id == admin.pk and "local account" in refused.changes["why"]
    page = client.get("/login/")
    assert "could not sign you in through Keycloak" in page.content.decode()


def test_an_account_prepared_without_a_password_is_linked(idp: FakeProvider, admin: User) -> None:
    prepared = services.create_user(actor=admin, username="hmarsh", password=None)
    client = Client()
    sign_in(client, idp, HELEN)

    assert signed_in_user(client) == prepared
    assert ExternalIdentity.objects.get(subject="kc-0001").user == prepared


def test_a_deactivated_person_stays_out(idp: FakeProvider, admin: User, site: Any) -> None:
    sign_in(Client(), idp, HELEN)
    user = User.objects.get(username="hmarsh")
    services.deactivate_user(user, actor=admin)

    client = Client()
    sign_in(client, idp, HELEN)
    assert signed_in_user(client) is None
    assert not User.objects.get(pk=user.pk).is_active


@pytest.mark.parametrize(
    "forgery",
    ["audience", "issuer", "nonce", "signature", "expired"],
)
def test_a_token_that_does_not_check_out_signs_nobody_in(idp: FakeProvider, forgery: str) -> None:
    if forgery == "signature":
        idp.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        idp.tamper = {
            "audience": {"aud": "another-app"},
            "issuer": {"iss": "https://evil.example"},
            "nonce": {"nonce": "replayed"},
            "expired": {"exp": int(time.time()) - 60},
        }[forgery]
    client = Client()
    response = sign_in(client, idp, HELEN)

    assert response.status_code == 302 and response.url == "/login/"
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="hmarsh").exists()


def test_a_callback_answers_once(idp: FakeProvider, site: Any) -> None:
    client = Client()
    started = client.get("/oidc/authenticate/")
    callback = idp.authorize(started.url, HELEN)
    client.get(callback)
    client.logout()
    again = client.get(callback)
    assert again.status_code == 302 and again.url == "/login/"
    assert signed_in_user(client) is None


def test_a_provider_that_misstates_its_issuer_is_not_used(idp: FakeProvider, settings: Any) -> None:
    settings.OIDC_ISSUER = idp.issuer + "/realms/other"
    response = Client().get("/oidc/authenticate/")
    assert response.status_code == 302 and response.url == "/login/"


def test_the_sign_in_page_offers_the_provider_only_when_configured(
    idp: FakeProvider, settings: Any
) -> None:
    page = Client().get("/login/?next=/records/")
    assert "Sign in with Keycloak" in page.content.decode()
    assert 'href="/oidc/authenticate/?next=/records/"' in page.content.decode()

    settings.OIDC_ENABLED = False
    assert "Sign in with" not in Client().get("/login/").content.decode()
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=x&state=y").status_code == 404


def test_local_sign_in_can_be_limited_to_break_glass_administrators(
    idp: FakeProvider, settings: Any, admin: User, contributor: User
) -> None:
    settings.SSO_LOCAL_LOGIN = False
    settings.SSO_BREAK_GLASS_USERS = ["admin"]
    settings.AUTHENTICATION_BACKENDS = [
        "qualitas.core.sso.BreakGlassBackend"
        if b == "django.contrib.auth.backends.ModelBackend"
        else b
        for b in settings.AUTHENTICATION_BACKENDS
    ]
    page = Client().get("/login/").content.decode()
    assert "only for emergency (break-glass) administrator accounts" in page

    refused = Client()
    response = refused.post("/login/", {"username": "contributor", "password": PASSWORD})
    assert response.status_code == 200 and signed_in_user(refused) is None

    break_glass = Client()
    response = break_glass.post("/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302 and signed_in_user(break_glass) == admin


# --- Signing with a fresh login ------------------------------------------------------------


@pytest.fixture
def submitted(site: Any) -> Any:
    author = with_role(UserFactory(username="author", site=site), "contributor")
    record = records.create(
        records.RECORD_TYPES["deviation"],
        actor=author,
        title="Use alternate torque wrench",
        description="Calibrated spare in use",
        impact="Low",
        site=site,
    )
    return workflow.fire(record, "submit", actor=author, comment="for review")


@pytest.fixture
def helen(idp: FakeProvider, site: Any) -> Client:
    """Helen signed in through the provider, an approver at HQ."""
    client = Client()
    sign_in(client, idp, {**HELEN, "groups": ["hq-approvers"]})
    assert signed_in_user(client) is not None
    return client


def confirm(client: Client, idp: FakeProvider, person: dict[str, Any], **kwargs: Any) -> Any:
    started = client.get("/oidc/confirm/?next=/somewhere/")
    assert started.status_code == 302
    return client.get(idp.authorize(started.url, person, **kwargs))


def request_for(client: Client) -> Any:
    """A request carrying the client's session, as the signing view would have it."""
    from django.test import RequestFactory

    request = RequestFactory().post("/")
    request.session = client.session
    return request


def test_signing_asks_the_provider_for_a_fresh_login_and_spends_it_once(
    idp: FakeProvider, helen: Client, submitted: Any
) -> None:
    user = signed_in_user(helen)
    assert user is not None and sso.signs_with_fresh_login(user)
    response = confirm(helen, idp, HELEN)

    assert response.status_code == 302 and response.url == "/somewhere/"
    assert idp.last_authorize["prompt"] == "login"
    assert idp.last_authorize["max_age"] == "0"
    assert idp.last_authorize["login_hint"] == "hmarsh"

    request = request_for(helen)
    token = signatures.authenticate_from(request, user, {}, subject=submitted)
    approved = workflow.fire(submitted, "approve", actor=user, signature=token)
    signature = Signature.objects.get(object_id=approved.pk)
    assert signature.signer == user and signature.printed_name == "Helen Marsh"

    # The proof is gone: a second signature needs a second fresh login.
    with pytest.raises(InvalidInput, match="Confirm with Keycloak"):
        signatures.authenticate_from(request_for(helen), user, {}, subject=approved)


def test_a_login_the_provider_did_not_redo_just_now_does_not_sign(
    idp: FakeProvider, helen: Client, submitted: Any
) -> None:
    response = confirm(helen, idp, HELEN, auth_time=time.time() - 600)

    assert response.status_code == 302 and response.url == "/somewhere/"
    assert sso.FRESH_LOGIN not in helen.session
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("did not ask for your password again" in m for m in said)
    user = signed_in_user(helen)
    assert user is not None
    with pytest.raises(InvalidInput, match="Confirm with Keycloak"):
        signatures.authenticate_from(request_for(helen), user, {}, subject=submitted)


def test_someone_else_signing_in_at_the_provider_does_not_sign_for_her(
    idp: FakeProvider, helen: Client
) -> None:
    confirm(helen, idp, {**HELEN, "sub": "kc-0002", "preferred_username": "other"})
    assert sso.FRESH_LOGIN not in helen.session


def test_a_replayed_confirmation_is_refused(idp: FakeProvider, helen: Client) -> None:
    started = helen.get("/oidc/confirm/?next=/somewhere/")
    callback = idp.authorize(started.url, HELEN)
    helen.get(callback)
    session = helen.session
    session.pop(sso.FRESH_LOGIN)
    session.save()

    helen.get(callback)  # the same state and code again
    assert sso.FRESH_LOGIN not in helen.session


def test_an_api_token_cannot_sign_for_a_single_sign_on_user(
    idp: FakeProvider, helen: Client, submitted: Any
) -> None:
    user = signed_in_user(helen)
    assert user is not None
    _, plain = services.create_token(actor=user, name="script")
    response = Client().post(
        f"/api/v1/deviations/{submitted.pk}/transitions/approve",
        data=json.dumps({"password": "anything", "version": submitted.version}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 403
    assert "API tokens cannot sign for single sign-on users" in response.json()["detail"]
    assert not Signature.objects.exists()


def test_local_users_still_sign_with_their_password(
    idp: FakeProvider, site: Any, submitted: Any
) -> None:
    approver = with_role(UserFactory(username="approver", site=site), "approver")
    assert not sso.signs_with_fresh_login(approver)
    token = signatures.authenticate(approver, PASSWORD, subject=submitted)
    assert token.signer_id == approver.pk


def test_the_signing_page_offers_the_provider_instead_of_a_password(
    idp: FakeProvider, helen: Client, submitted: Any, settings: Any
) -> None:
    # Approvers must use MFA; hers is her provider's, so Qualitas does not ask her to enrol.
    settings.MFA_ENFORCE_ROLES = True
    assert role("approver").requires_mfa
    url = f"/deviations/{submitted.pk}/transitions/approve/"
    page = helen.get(url).content.decode()
    assert "Confirm with Keycloak" in page and 'type="password"' not in page

    refused = helen.post(url, {"comment": "", "version": submitted.version})
    assert refused.status_code == 422
    assert "Confirm with Keycloak to sign." in refused.content.decode()
    assert not Signature.objects.exists()

    # The button's fresh login comes back to the page it was pressed on.
    started = helen.get("/oidc/confirm/", headers={"referer": f"http://testserver{url}"})
    back = helen.get(idp.authorize(started.url, HELEN))
    assert back.url == f"http://testserver{url}"

    done = helen.post(url, {"comment": "", "version": submitted.version})
    assert done.status_code == 302
    signature = Signature.objects.get()
    assert signature.signer == signed_in_user(helen) and signature.meaning == "approved"


def test_password_expiry_does_not_apply_to_people_without_a_local_password(
    idp: FakeProvider, helen: Client, settings: Any
) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 90
    assert helen.get("/me/").status_code == 200


def test_a_document_is_approved_with_a_fresh_login_from_its_page(
    idp: FakeProvider, site: Any
) -> None:
    from qualitas.documents import services as documents, signoffs
    from qualitas.documents.models import DocumentType

    client = Client()
    sign_in(client, idp, {**HELEN, "groups": ["all-approvers"]})
    helen = signed_in_user(client)
    author = with_role(UserFactory(username="author"), "contributor")
    document = documents.create_document(
        actor=author,
        document_type=DocumentType.objects.get(code="procedure"),
        title="Control of nonconforming product",
        content_text="# Purpose\n\nSegregate and label nonconforming parts.",
    )
    revision = document.revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[helen])
    workflow.fire(revision, "submit", actor=author)

    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Confirm with Keycloak" in page and 'id="approve-password"' not in page

    client.post(f"/document-revisions/{revision.pk}/approve/", {"comment": "OK"})
    revision.refresh_from_db()
    assert revision.state == "in_review"  # no fresh login, no signature

    started = client.get(f"/oidc/confirm/?next=/documents/{document.pk}/")
    client.get(idp.authorize(started.url, HELEN))
    client.post(f"/document-revisions/{revision.pk}/approve/", {"comment": "OK"})
    revision.refresh_from_db()
    assert revision.state == "effective"
    assert Signature.objects.get().signer == helen


def test_claims_the_provider_does_not_send_do_not_blank_the_name(
    idp: FakeProvider, site: Any
) -> None:
    sign_in(Client(), idp, HELEN)
    sign_in(Client(), idp, {"sub": "kc-0001", "preferred_username": "hmarsh", "groups": []})
    user = User.objects.get(username="hmarsh")
    assert (user.first_name, user.last_name, user.email) == (
        "Helen",
        "Marsh",
        "helen.marsh@example.test",
    )
