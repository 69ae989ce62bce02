"""qualitas demo: migrate, load the demo company once, print the logins, and serve."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.test.utils import override_settings

from qualitas.core import demo, jobs, server

logger = logging.getLogger(__name__)

# How often the demo server runs the periodic jobs (production cron runs `qualitas tick`).
JOB_INTERVAL_SECONDS = 300
QUIET_MAIL = "django.core.mail.backends.locmem.EmailBackend"


def _run_jobs_forever(interval: int) -> None:
    """The demo's stand-in for cron: reminders, escalations and audit checkpoints keep
    running while the demo serves, so what a newcomer sees behaves as in production."""
    while True:
        time.sleep(interval)
        try:
            jobs.run_all()
        except Exception:  # a failed round is logged; the next one tries again
            logger.exception("Periodic jobs failed in the demo server")
        finally:
            connections.close_all()


class Command(BaseCommand):
    help = "Set up the demo database (SQLite by default), load demo data once, and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-server", action="store_true", help="Set up only; do not serve.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        # Building the demo's history notifies people thousands of times; those e-mails are
        # kept in memory, not printed: the notifications themselves are in the app.
        with override_settings(EMAIL_BACKEND=QUIET_MAIL):
            loaded = demo.load()
            # The first round of periodic jobs signs the first audit checkpoint, so
            # `qualitas verify-audit-trail` passes straight after `make demo`.
            jobs.run_all()
        if loaded:
            self.stdout.write(self.style.SUCCESS("Demo data loaded: Aldermoor Precision."))
        else:
            self.stdout.write("Demo data already present; left as it is.")
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Qualitas demo: {url}"))
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        self.stdout.write("Sign in with any of these accounts:")
        for login in demo.demo_logins():
            self.stdout.write(
                f"  {login.username:<10} {login.password:<22} {login.name} — {login.role}"
            )
        if not settings.MFA_ENFORCE_ROLES:
            self.stdout.write(
                "Two-factor sign-in is optional here (My profile → Multi-factor authentication); "
                "set QUALITAS_MFA_ENFORCE=true to require it as production does."
            )
        self.stdout.write("")
        self.stdout.write(
            "Periodic jobs (reminders, audit checkpoints) run every "
            f"{JOB_INTERVAL_SECONDS // 60} minutes while the demo serves; "
            "`qualitas verify-audit-trail` checks the audit trail."
        )
        self.stdout.write("")
        if options["no_server"]:
            return
        threading.Thread(
            target=_run_jobs_forever, args=(JOB_INTERVAL_SECONDS,), daemon=True, name="demo-jobs"
        ).start()
        httpd = server.create(options["host"], options["port"])
        self.stdout.write(f"Serving with waitress ({server.THREADS} threads); Ctrl-C stops it.")
        try:
            httpd.run()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            httpd.close()
