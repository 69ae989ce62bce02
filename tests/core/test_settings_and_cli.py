"""Settings from the environment, the deploy check, and the qualitas command."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from qualitas import settings as qualitas_settings
from qualitas.core import demo
from qualitas.core.models import Role, Site, User

QUALITAS = [sys.executable, "-m", "qualitas.cli"]


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUALITAS_", "DJANGO_", "DATABASE_URL", "SECRET_KEY", "DEBUG"))
    }
    clean.update({"QUALITAS_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [*QUALITAS, *args], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_deploy_check_is_clean_with_production_variables(tmp_path: Path) -> None:
    production = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "qms.example.com",
        "DEBUG": "false",
        # Outside the data directory (tmp_path), as the admin guide asks.
        "QUALITAS_AUDIT_CHECKPOINT_KEY_FILE": str(tmp_path.parent / "keys" / "checkpoint.key"),
    }

    result = _run(["check", "--deploy", "--fail-level", "WARNING"], production, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout

    del production["QUALITAS_AUDIT_CHECKPOINT_KEY_FILE"]  # the default: beside the data
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], production, tmp_path)

    assert result.returncode != 0
    assert "qualitas.W001" in result.stderr + result.stdout


def test_debug_in_production_is_flagged_by_the_deploy_check(tmp_path: Path) -> None:
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], {"DEBUG": "true"}, tmp_path)

    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


def test_a_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = _run(["shell", "-c", script], {}, tmp_path).stdout.strip().splitlines()[-1]
    second = _run(["shell", "-c", script], {}, tmp_path).stdout.strip().splitlines()[-1]

    assert first == second
    assert len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_bad_boolean_is_a_configuration_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEBUG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        qualitas_settings.env_bool("DEBUG", default=False)


def test_a_bad_number_is_a_configuration_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUALITAS_SESSION_IDLE_MINUTES", "half an hour")

    with pytest.raises(ImproperlyConfigured, match="QUALITAS_SESSION_IDLE_MINUTES"):
        qualitas_settings.env_int("QUALITAS_SESSION_IDLE_MINUTES", default=30)


def test_a_bad_setting_stops_the_command_with_one_readable_line(tmp_path: Path) -> None:
    result = _run(["check"], {"DEBUG": "maybe"}, tmp_path)

    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_production_defaults_are_safe(tmp_path: Path) -> None:
    script = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )

    out = _run(["shell", "-c", script], {}, tmp_path).stdout.strip().splitlines()[-1]

    assert out == "False True True True 31536000 1800 Argon2PasswordHasher"


@pytest.mark.django_db
def test_demo_data_loads_once() -> None:
    assert demo.load() is True
    people = User.objects.count()

    assert demo.load() is False
    assert User.objects.count() == people
    assert Site.objects.count() == 2
    held = set(Role.objects.filter(assignments__isnull=False).values_list("code", flat=True))
    assert held == {r.code for r in Role.objects.filter(is_system=True)}


@pytest.mark.django_db
def test_demo_logins_work() -> None:
    from django.test import Client

    demo.load()
    for login in demo.demo_logins():
        client = Client()
        response = client.post("/login/", {"username": login.username, "password": login.password})
        assert response.status_code == 302, login.username


@pytest.mark.django_db
def test_the_demo_command_prints_the_url_and_logins_and_its_trail_verifies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo", "--no-server", "--port", "8123")

    out = capsys.readouterr().out
    assert "Qualitas demo: http://127.0.0.1:8123/" in out
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for login in demo.demo_logins():
        line = f"  {login.username:<10} {login.password:<22} {login.name} — {login.role}"
        assert line in out.splitlines()
        assert line in readme.splitlines(), f"README.md's accounts table lacks: {line}"
    # The first command a curious evaluator runs after `make demo` passes: the demo runs the
    # periodic jobs once, which signs the first audit checkpoint.
    call_command("verify-audit-trail")  # raises CommandError (exit 1 or 2) on failure


def test_spc_is_dispatched_without_django(tmp_path: Path) -> None:
    result = _run(["spc", "--help"], {"DEBUG": "maybe"}, tmp_path)

    assert result.returncode == 0
    assert "chart" in result.stdout


def test_attachments_go_to_s3_when_a_bucket_is_configured(tmp_path: Path) -> None:
    script = (
        "from django.conf import settings as s; d = s.STORAGES['default']; "
        "print(d['BACKEND'], d['OPTIONS']['bucket_name'], d['OPTIONS']['endpoint_url'])"
    )
    env = {
        "QUALITAS_S3_BUCKET": "qms-files",
        "QUALITAS_S3_ENDPOINT_URL": "https://minio.example.test",
    }

    out = _run(["shell", "-c", script], env, tmp_path).stdout.strip().splitlines()[-1]

    assert out == "storages.backends.s3.S3Storage qms-files https://minio.example.test"
