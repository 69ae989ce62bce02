"""qualitas tick: run the periodic jobs once (cron this every few minutes without a broker)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.core import jobs


class Command(BaseCommand):
    help = "Run every periodic job once: reminders, escalations, audit checkpoints. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--job", action="append", help="Run only this job (repeatable)")
        parser.add_argument("--list", action="store_true", help="List the jobs and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in jobs.JOBS.values():
                self.stdout.write(f"{job.name:<24} {job.description}")
            return
        unknown = set(options["job"] or []) - set(jobs.JOBS)
        if unknown:
            raise CommandError(
                f"Unknown job: {', '.join(sorted(unknown))} (see qualitas tick --list)"
            )
        for name, summary in jobs.run_all(options["job"]).items():
            self.stdout.write(f"{name}: {summary}")
