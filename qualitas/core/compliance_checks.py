"""Automated compliance checks: code a module declares (`Module(compliance_checks=…)`) that
verifies the quality system is used as the standards require — no procedure past its review
date, no CAPA long overdue, the audit trail intact — and says which requirements it evidences.

The core only keeps the declarations (`REGISTRY`); the compliance module turns each into a
check people see, runs it on a schedule or on demand, keeps its history and raises a
nonconformance when it starts failing. A check reads what its module owns, in one or two
queries, and never writes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from qualitas.core.models import Site

# What a failing check lists at most: enough to act on, never a whole table.
MAX_FAILURES = 50
# Nonconformance sources a check may raise as (the nonconformance module's words).
RAISES_AS = ("internal_audit", "it_incident")
SEVERITIES = ("minor", "major", "critical")
# "framework-key:ref_id", e.g. "iso-27001-2022:A.8.5" or "21-cfr-11:11.10(e)".
REQUIREMENT_REF = re.compile(r"^[a-z0-9][a-z0-9.-]*:\S+$")
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")


@dataclass(frozen=True)
class CheckContext:
    """What a run knows: when it runs, and the site it is limited to (None: every site)."""

    now: datetime
    site: Site | None = None

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)


@dataclass(frozen=True)
class Outcome:
    """One run's verdict: what failed (capped at MAX_FAILURES) and the figures measured."""

    passed: bool
    summary: str
    failures: list[str] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, summary: str, measured: dict[str, Any] | None = None) -> Outcome:
        return cls(passed=True, summary=summary, measured=measured or {})

    @classmethod
    def failed(
        cls, summary: str, failures: list[str] | None = None, measured: dict[str, Any] | None = None
    ) -> Outcome:
        return cls(passed=False, summary=summary, failures=failures or [], measured=measured or {})


@dataclass(frozen=True)
class Check:
    """A compliance check as a module declares it."""

    key: str
    name: str
    description: str
    run: Callable[[CheckContext], Outcome]
    # "framework-key:ref_id" of the requirements it evidences.
    requirements: tuple[str, ...] = ()
    # The nonconformance source when it fails: "internal_audit" or "it_incident".
    raises_as: str = "internal_audit"
    severity: str = "minor"
    # Whether a run can be limited to one site (the check reads site-bound records).
    site_scoped: bool = False

    def __post_init__(self) -> None:
        # Declarations are code: a wrong one fails at start-up, not at 3 a.m. in the job.
        if not KEY.match(self.key):
            raise ValueError(f"check key {self.key!r}: lower-case letters, digits and hyphens")
        if self.raises_as not in RAISES_AS:
            raise ValueError(f"check {self.key}: raises_as must be one of {RAISES_AS}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.key}: severity must be one of {SEVERITIES}")
        for ref in self.requirements:
            if not REQUIREMENT_REF.match(ref):
                raise ValueError(f"check {self.key}: requirement {ref!r} is not 'framework:ref_id'")


REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Declared through a module's `compliance_checks=`; modules.install calls this."""
    held = REGISTRY.get(check.key)
    if held is not None and held is not check:
        raise ValueError(f"two compliance checks are declared with the key {check.key!r}")
    REGISTRY[check.key] = check
    return check


def capped(failures: list[str], total: int | None = None) -> list[str]:
    """The failures a run keeps: the first MAX_FAILURES, and a line saying how many more."""
    total = len(failures) if total is None else total
    kept = failures[:MAX_FAILURES]
    if total > len(kept):
        kept.append(f"… and {total - len(kept)} more")
    return kept
