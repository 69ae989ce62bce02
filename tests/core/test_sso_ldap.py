"""Sign-in and signing against a real OpenLDAP server (Debian's slapd), started for the tests
on a free localhost port with a throw-away configuration and directory."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from qualitas.core import directory as ldap_directory, permissions, services, signatures, sso
from qualitas.core.errors import PermissionDenied
from qualitas.core.models import AuditEvent, ExternalIdentity, RoleAssignment, User

pytestmark = pytest.mark.django_db

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
BASE = "dc=example,dc=test"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{BASE}", "root-secret"
SERVICE_DN, SERVICE_PASSWORD = f"cn=qualitas,ou=services,{BASE}", "service-secret"
JDOE_PASSWORD = "Directory-Pass-42"

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
suffix "{base}"
rootdn "{root_dn}"
rootpw {root_password}
directory {dir}/data
maxsize 10485760
"""


class Directory:
    """A running slapd and an administrator's connection to change what is in it."""

    def __init__(self, folder: Path) -> None:
        import ldap3

        (folder / "data").mkdir()
        conf = folder / "slapd.conf"
        conf.write_text(
            CONFIG.format(dir=folder, base=BASE, root_dn=ROOT_DN, root_password=ROOT_PASSWORD)
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.uri = f"ldap://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", f"{self.uri}/", "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()) from None  # type: ignore[union-attr]
                time.sleep(0.1)
        self.admin = ldap3.Connection(self.uri, ROOT_DN, ROOT_PASSWORD, auto_bind=True)
        self.add(BASE, ["dcObject", "organization"], o="Example", dc="example")
        for ou in ("people", "groups", "services"):
            self.add(f"ou={ou},{BASE}", ["organizationalUnit"], ou=ou)
        self.add(
            SERVICE_DN,
            ["organizationalRole", "simpleSecurityObject"],
            cn="qualitas",
            userPassword=SERVICE_PASSWORD,
        )
        self.person("jdoe", "Jane", "Doe", JDOE_PASSWORD)
        self.person("admin", "Mallory", "Directory", "Mallorys-Own-1")
        self.group("qms-admins", [])
        self.group("hq-approvers", ["jdoe"])
        self.group("everyone", ["jdoe", "admin"])

    def add(self, dn: str, classes: list[str], **attributes: Any) -> None:
        assert self.admin.add(dn, classes, attributes), self.admin.result

    def person(self, uid: str, given: str, sn: str, password: str) -> None:
        self.add(
            f"uid={uid},ou=people,{BASE}",
            ["inetOrgPerson"],
            uid=uid,
            cn=f"{given} {sn}",
            givenName=given,
            sn=sn,
            mail=f"{uid}@example.test",
            userPassword=password,
        )

    def group(self, name: str, members: list[str]) -> None:
        # groupOfNames needs a member; the service account stands in for an empty group.
        dns = [f"uid={m},ou=people,{BASE}" for m in members] or [SERVICE_DN]
        self.add(f"cn={name},ou=groups,{BASE}", ["groupOfNames"], cn=name, member=dns)

    def set_members(self, name: str, members: list[str]) -> None:
        import ldap3

        dns = [f"uid={m},ou=people,{BASE}" for m in members] or [SERVICE_DN]
        changes = {"member": [(ldap3.MODIFY_REPLACE, dns)]}
        assert self.admin.modify(f"cn={name},ou=groups,{BASE}", changes), self.admin.result

    def stop(self) -> None:
        self.admin.unbind()
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    if not Path(SLAPD).exists():
        pytest.skip("slapd is not installed (Debian: apt-get install slapd); .ci/run installs it")
    running = Directory(tmp_path_factory.mktemp("slapd"))
    yield running
    running.stop()


@pytest.fixture
def ldap(directory: Directory, settings: Any) -> Directory:
    """Qualitas configured for the directory, as an Active Directory site would be."""
    directory.set_members("qms-admins", [])
    directory.set_members("hq-approvers", ["jdoe"])
    settings.LDAP_ENABLED = True
    settings.LDAP_PROVIDER_NAME = "Active Directory"
    settings.LDAP_SERVER_URI = directory.uri
    settings.LDAP_BIND_DN = SERVICE_DN
    settings.LDAP_BIND_PASSWORD = SERVICE_PASSWORD
    settings.LDAP_USER_SEARCH_BASE = f"ou=people,{BASE}"
    settings.LDAP_GROUP_SEARCH_BASE = f"ou=groups,{BASE}"
    settings.SSO_ROLE_MAP = [
        ("QMS-Admins", permissions.ADMINISTRATOR, "*"),
        ("hq-approvers", permissions.APPROVER, "HQ"),
        ("everyone", permissions.VIEWER, "*"),
    ]
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "qualitas.core.directory.LDAPBackend",
    ]
    return directory


def log_in(username: str, password: str) -> tuple[Any, User | None]:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    pk = client.session.get("_auth_user_id")
    return response, (User.objects.get(pk=pk) if pk else None)


def held(user: User) -> set[tuple[str, str | None]]:
    return {
        (a.role.code, a.site.code if a.site else None)
        for a in RoleAssignment.objects.filter(user=user).select_related("role", "site")
    }


def test_a_directory_sign_in_creates_the_person_and_maps_groups(ldap: Directory, site: Any) -> None:
    response, user = log_in("jdoe", JDOE_PASSWORD)

    assert response.status_code == 302 and user is not None
    assert (user.username, user.first_name, user.last_name, user.email) == (
        "jdoe",
        "Jane",
        "Doe",
        "jdoe@example.test",
    )
    assert not user.has_usable_password()  # the directory keeps the password
    identity = ExternalIdentity.objects.get(user=user)
    assert identity.provider == "ldap" and identity.subject  # the entryUUID
    assert identity.subject != f"uid=jdoe,ou=people,{BASE}"
    assert identity.groups == ["everyone", "hq-approvers"]
    assert held(user) == {("approver", "HQ"), ("viewer", None)}
    created = AuditEvent.objects.get(object_type__model="user", object_id=user.pk, action="create")
    assert created.actor == services.system_user()
    assert created.reason == "Signed in through Active Directory"


def test_group_changes_in_the_directory_follow_at_the_next_sign_in(
    ldap: Directory, site: Any, admin: User
) -> None:
    _, user = log_in("jdoe", JDOE_PASSWORD)
    assert user is not None
    ldap.set_members("qms-admins", ["jdoe"])  # group names match regardless of case
    ldap.set_members("hq-approvers", [])
    log_in("jdoe", JDOE_PASSWORD)
    assert held(user) == {("administrator", None), ("viewer", None)}


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("jdoe", "wrong-password"),
        ("jdoe", ""),  # an empty password would be an anonymous bind
        ("*", JDOE_PASSWORD),  # filter injection
        ("jdoe)(uid=*", JDOE_PASSWORD),
        ("nobody-here", JDOE_PASSWORD),
    ],
)
def test_what_the_directory_does_not_vouch_for_signs_nobody_in(
    ldap: Directory, username: str, password: str
) -> None:
    response, user = log_in(username, password)
    assert response.status_code == 200 and user is None
    assert not User.objects.filter(username="jdoe").exists()


def test_a_directory_account_never_takes_over_a_local_one(ldap: Directory, admin: User) -> None:
    from tests.factories import PASSWORD

    _, user = log_in("admin", "Mallorys-Own-1")
    assert user is None
    assert not ExternalIdentity.objects.exists()
    assert AuditEvent.objects.filter(action="sso_sign_in_refused", object_id=admin.pk).exists()
    # The break-glass administrator still signs in with the local password.
    _, user = log_in("admin", PASSWORD)
    assert user == admin


def test_start_tls_that_fails_does_not_fall_back_to_plain_text(
    ldap: Directory, settings: Any
) -> None:
    settings.LDAP_START_TLS = True  # this test server has no certificate
    _, user = log_in("jdoe", JDOE_PASSWORD)
    assert user is None


def test_an_unreachable_directory_refuses_without_an_error_page(
    ldap: Directory, settings: Any
) -> None:
    settings.LDAP_SERVER_URI = "ldap://127.0.0.1:9"
    settings.LDAP_TIMEOUT = 2
    response, user = log_in("jdoe", JDOE_PASSWORD)
    assert response.status_code == 200 and user is None


def test_directory_users_sign_with_their_directory_password(ldap: Directory, site: Any) -> None:
    _, user = log_in("jdoe", JDOE_PASSWORD)
    assert user is not None
    assert not sso.signs_with_fresh_login(user)

    token = signatures.authenticate_from(None, user, {"password": JDOE_PASSWORD})
    assert token.signer_id == user.pk

    with pytest.raises(PermissionDenied, match="Wrong password"):
        signatures.authenticate_from(None, user, {"password": "not-it"})
    refusal = AuditEvent.objects.get(action="signature_refused")
    assert refusal.actor == user and refusal.changes["failures"] == 1


def test_groups_can_come_from_member_of(settings: Any) -> None:
    """Active Directory lists a person's groups on the person (memberOf)."""
    settings.LDAP_GROUP_SEARCH_BASE = ""
    entry = ldap_directory.DirectoryEntry(
        "CN=Jane Doe,OU=People,DC=corp",
        {"memberOf": ["CN=QMS Admins,OU=Groups,DC=corp", "CN=Everyone,OU=Groups,DC=corp"]},
    )
    assert ldap_directory._directory_groups(None, entry, "jdoe") == ("QMS Admins", "Everyone")
