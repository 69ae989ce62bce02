"""Password rules beyond Django's own: predictable patterns, breached passwords, reuse.

The three validators are listed in AUTH_PASSWORD_VALIDATORS, so every way a password is set
(own change, administrator's reset, e-mail reset, `createsuperuser`) applies them.

- `PredictablePasswordValidator` refuses a password made mostly of repeats (aaaa, abcabc),
  sequences (abcd, 1234), keyboard walks (qwerty, 1qaz) and dates, or of the person's own
  username and name (dfischerdfischer). The patterns are found by zxcvbn's matchers.
- `BreachedPasswordValidator` refuses a password found, ignoring case, look-alike characters
  (p@ssw0rd) and digits or symbols added at either end, in the lists of breached passwords
  shipped with zxcvbn (30,000 from leaked password dumps) and with Django (20,000, Royce
  Williams' list). Both lists are local: nothing is sent anywhere.
- `PasswordHistoryValidator` refuses the person's last N passwords and records each new one.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from zxcvbn import matching

# zxcvbn's own limit: its matchers are quadratic in the length, and a long password's
# first 72 characters show its patterns as well as the whole.
ANALYSED_LENGTH = 72

# What each kind of pattern is called in the error message.
PATTERN_NAMES = {
    "repeat": "repeated characters or blocks (aaaa, abcabc)",
    "sequence": "a sequence such as abcd or 1234",
    "spatial": "a keyboard pattern such as qwerty or asdf",
    "date": "a date or year",
    "personal": "your username or name",
}


def _user_inputs(user: Any) -> list[str]:
    """The words of a person a password must not be built from (at least 3 characters)."""
    if user is None:
        return []
    words: list[str] = []
    for attribute in ("username", "first_name", "last_name", "email"):
        value = str(getattr(user, attribute, "") or "").lower()
        if attribute == "email":
            value = value.split("@", 1)[0]
        words.append(value)
        words.extend(re.split(r"[^a-z0-9]+", value))
    return sorted({word for word in words if len(word) >= 3})


def _pattern_of(match: dict[str, Any]) -> str | None:
    """The kind of predictable pattern a zxcvbn match is, or None if it is not one."""
    length = match["j"] - match["i"] + 1
    pattern = match["pattern"]
    if pattern == "repeat" and length >= 3:
        return "repeat"
    if pattern == "sequence" and length >= 3:
        return "sequence"
    if pattern == "spatial" and length >= 4:
        return "spatial"
    if pattern in {"date", "regex"}:  # regex: zxcvbn's "recent year"
        return "date"
    if pattern == "dictionary" and match["dictionary_name"] == "user_inputs":
        return "personal"
    return None


def predictable_patterns(password: str, user: Any = None) -> tuple[float, list[str]]:
    """The share of the password's characters in predictable patterns, and their kinds."""
    analysed = password[:ANALYSED_LENGTH]
    if not analysed:
        return 0.0, []
    inputs = _user_inputs(user)
    # Our own copy of the dictionaries: zxcvbn() stores user inputs in a module-global,
    # which two requests at once would share.
    dictionaries = {
        "user_inputs": matching.build_ranked_dict(inputs),
    }
    matches = matching.omnimatch(analysed, dictionaries)
    # A repeated block (dfischerdfischer) is as predictable as the block: zxcvbn analyses the
    # block without the person's words, so look at it again with them.
    for match in list(matches):
        if match["pattern"] == "repeat":
            block = match["base_token"]
            for inner in matching.omnimatch(block, dictionaries):
                if _pattern_of(inner) == "personal" and len(inner["token"]) == len(block):
                    matches.append({**inner, "i": match["i"], "j": match["j"]})
    covered: set[int] = set()
    kinds: dict[str, int] = {}
    for match in matches:
        kind = _pattern_of(match)
        if kind is None:
            continue
        span = range(match["i"], match["j"] + 1)
        covered.update(span)
        kinds[kind] = max(kinds.get(kind, 0), len(span))
    # Name the patterns that make up the password, not the incidental ones inside them.
    longest = max(kinds.values(), default=0)
    ordered = sorted(
        (kind for kind in kinds if kinds[kind] * 2 >= longest),
        key=lambda kind: (-kinds[kind], list(PATTERN_NAMES).index(kind)),
    )
    return len(covered) / len(analysed), ordered


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class PredictablePasswordValidator:
    """Refuse a password whose characters are mostly predictable patterns."""

    def __init__(self, max_share: float = 0.75) -> None:
        self.max_share = max_share

    def validate(self, password: str, user: Any = None) -> None:
        share, kinds = predictable_patterns(password, user)
        if share >= self.max_share:
            names = [PATTERN_NAMES[kind] for kind in kinds]
            raise ValidationError(
                f"This password is too easy to guess: it is made mostly of {_join(names)}.",
                code="password_predictable",
            )

    def get_help_text(self) -> str:
        return (
            "Your password must not be made mostly of repeated characters, sequences (abcd, "
            "1234), keyboard patterns (qwerty, asdf), dates, or your username or name."
        )


@cache
def _breached_words() -> dict[str, dict[str, int]]:
    """zxcvbn's and Django's breached-password lists, as one zxcvbn ranked dictionary."""
    words = list(matching.RANKED_DICTIONARIES["passwords"])
    words.extend(sorted(CommonPasswordValidator().passwords))
    return {"passwords": matching.build_ranked_dict(list(dict.fromkeys(words)))}


_PADDING = re.compile(r"^[\d\W_]*(?P<core>.*?)[\d\W_]*$", re.DOTALL)


def breached(password: str) -> bool:
    """Is the password, or its letters once digits and symbols at either end are taken
    away, on a breached-password list (ignoring case and look-alike characters)?"""
    analysed = password[:ANALYSED_LENGTH]
    match = _PADDING.match(analysed)
    core = match.group("core") if match else analysed
    dictionaries = _breached_words()
    for candidate in {analysed, core}:
        if len(candidate) < 4:
            continue
        found = (
            matching.dictionary_match(candidate, dictionaries)
            + matching.reverse_dictionary_match(candidate, dictionaries)
            + matching.l33t_match(candidate, dictionaries)
        )
        if any(m["i"] == 0 and m["j"] == len(candidate) - 1 for m in found):
            return True
    return False


class BreachedPasswordValidator:
    """Refuse passwords known from data breaches (local lists; no network at run time)."""

    def validate(self, password: str, user: Any = None) -> None:
        if breached(password):
            raise ValidationError(
                "This password is too common: it appears in lists of passwords exposed in "
                "data breaches (added digits, symbols or look-alike letters do not help).",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password must not be one known from data breaches."


class PasswordHistoryValidator:
    """Refuse any of the person's last `count` passwords; record each new one."""

    def __init__(self, count: int = 5) -> None:
        self.count = count

    def _recent_hashes(self, user: Any) -> list[str]:
        from qualitas.core.models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password_hash", flat=True)[
                : self.count
            ]
        )
        # Passwords set before the history existed: the current one still counts.
        if user.password and user.password not in hashes and user.has_usable_password():
            hashes.insert(0, user.password)
        return hashes[: self.count]

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None or self.count <= 0:
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(
                f"You have used this password recently: choose one that is not among your "
                f"last {self.count} passwords.",
                code="password_reused",
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        """Called by Django after a new password is saved: keep its hash, forget old ones."""
        from qualitas.core.models import PasswordHistory

        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user=user, password_hash=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
            max(self.count, 1) :
        ]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return f"Your password must not be one of your last {self.count} passwords."
