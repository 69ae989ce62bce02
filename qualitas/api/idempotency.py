"""`Idempotency-Key` on every API write: a retried create is answered, not done twice.

Follows the IETF draft "The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header) and Stripe's practice. A POST, PUT or PATCH under
/api/v1/ sent with `Idempotency-Key: <1 to 255 printable ASCII characters>` (bare, or quoted as
a structured-field string) runs once per person and key:

- the answer (status, body, content type, Location and a few other headers) is kept with a
  fingerprint of the request (method, path with query, SHA-256 of the body) for 24 hours;
- the same key for the same request replays that answer with `Idempotent-Replayed: true`,
  without running the operation again;
- the same key for another request is a 422 naming the header; so is a malformed key;
- the same key while the first request is still running is a 409 (retry later).

Which answers are kept: every completed one, errors included (a 422 replays as a 422: the
request was judged), except those that say nothing was judged yet — 5xx (the operation did not
finish), 401 (credentials), 408, 425 and 429 (come back later). Then the key is released and a
retry runs the operation again.

Why a middleware and not an `api.add_decorator`: ninja's decorators wrap either the whole
operation before authentication ("view" mode) or the view function after validation
("operation" mode), where the final response (serialised body, validation errors, our error
handlers' answers) does not exist yet. The middleware sees the finished response of every
operation, multipart uploads included; it lives in `qualitas.api` beside the authentication
it uses, and the kept answers' model and their expiry job are the core's
(`core/idempotency.py`). It runs last (after sessions, MFA and password expiry)
and finds the person with the API's own authentication callables (qualitas.api.auth), so a key
belongs to exactly whom the operation will act as; a request no callable accepts passes through
untouched and the API answers it 401 or 403 as usual.

Exactly once, even when a worker dies: the key is claimed by an INSERT in its own short
transaction (a concurrent duplicate hits the unique constraint). The operation then runs in one
transaction with the row of its claim locked, and its answer is written into that row in the
same transaction: the record and the answer commit together or not at all. A claim without an
answer whose lock nobody holds was left by a worker that died (its work rolled back), so the
retry runs the operation. On PostgreSQL a retry that finds the lock held answers 409 at once;
on SQLite, writers queue on the database lock and the retry then replays the answer (409 only
when the wait times out).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone

from qualitas.core.idempotency import KEEP
from qualitas.core.models import IdempotentRequest, User

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_LENGTH = 255
METHODS = frozenset({"POST", "PUT", "PATCH"})
PREFIX = "/api/v1/"
# Headers that belong to the answer; the rest (request id, cookies, security headers) are
# set afresh on the replay by the other middleware.
KEPT_HEADERS = ("Location", "Content-Disposition", "ETag", "Link")
# Answers that judged nothing: the client should be able to try again with the same key.
NOT_JUDGED = frozenset({401, 408, 425, 429})


def parse_key(raw: str) -> str | None:
    """The key a header value carries, or None when it is empty, too long or not printable.

    Accepts the draft's structured-field string (`"abc"`) as well as a bare value (`abc`)."""
    key = raw
    if len(key) >= 2 and key.startswith('"') and key.endswith('"'):
        key = key[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not 1 <= len(key) <= MAX_LENGTH:
        return None
    if any(not " " <= char <= "~" for char in key):
        return None
    return key


def fingerprint(method: str, path: str, body_digest: str) -> str:
    """What makes two requests "the same request" for one key."""
    return hashlib.sha256(f"{method}\n{path}\n{body_digest}".encode()).hexdigest()


def body_digest(request: HttpRequest) -> str:
    """SHA-256 of the body. A multipart form is hashed by its parsed fields and files, since
    clients choose a new boundary on every retry and the raw bytes would never match."""
    if request.method == "POST" and request.content_type == "multipart/form-data":
        digest = hashlib.sha256()
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(json.dumps(["field", name, value]).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                part = ["file", name, upload.name, upload.content_type, content.hexdigest()]
                digest.update(json.dumps(part).encode())
        return digest.hexdigest()
    return hashlib.sha256(request.body).hexdigest()


def authenticated_user(request: HttpRequest) -> User | None:
    """Whom the API will act as: its own authentication callables, in its order."""
    from ninja.errors import AuthenticationError, HttpError

    from qualitas.api.auth import api_auth

    for authenticate in api_auth:
        try:
            user = authenticate(request)
        except (AuthenticationError, HttpError):  # refused token, CSRF check failed
            return None
        if user:
            return user  # type: ignore[no-any-return]
    return None


def refusal(status: int, detail: str, message: str) -> JsonResponse:
    """An answer in the API's one error format, naming the header."""
    body = {"detail": detail, "errors": [{"field": HEADER, "message": message}]}
    return JsonResponse(body, status=status)


def bad_key() -> JsonResponse:
    message = f"Send 1 to {MAX_LENGTH} printable ASCII characters."
    return refusal(422, f"{HEADER}: {message}", message)


def in_progress() -> JsonResponse:
    message = "A request with this key is still being processed: retry shortly."
    response = refusal(409, message, message)
    response["Retry-After"] = "1"
    return response


def other_request() -> JsonResponse:
    message = "This key was already used for a different request (method, path or body)."
    return refusal(422, message, message)


def replay(row: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(
        bytes(row.body), status=row.status or 200, content_type=row.content_type or None
    )
    for name, value in row.headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


def kept(response: HttpResponse) -> bool:
    """Is this a completed answer to keep for replay?"""
    status = response.status_code
    return not response.streaming and status < 500 and status not in NOT_JUDGED


class IdempotencyMiddleware:
    """Run an API write sent with an `Idempotency-Key` once per person and key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.headers.get(HEADER)
        if raw is None or request.method not in METHODS or not request.path.startswith(PREFIX):
            return self.get_response(request)
        user = authenticated_user(request)
        if user is None:
            return self.get_response(request)  # keys are per person; the API answers 401/403
        key = parse_key(raw)
        if key is None:
            return bad_key()
        try:
            digest = body_digest(request)
        except (SuspiciousOperation, MultiPartParserError, OSError):
            # A body Django will not read (too large, malformed): the operation refuses it
            # the same way with or without a key, and nothing is done.
            return self.get_response(request)
        request_print = fingerprint(request.method or "", request.get_full_path(), digest)
        row = self.claim(user, key, request_print)
        if row is None:
            return in_progress()
        if row.fingerprint != request_print:
            return other_request()
        if row.completed_at is not None:
            return replay(row)
        return self.run_once(request, row.pk)

    def claim(self, user: User, key: str, request_print: str) -> IdempotentRequest | None:
        """This person's row for the key: a new claim, or the one already there."""
        # Expired keys are free again, whether or not the clean-up job has run yet.
        IdempotentRequest.objects.filter(
            user=user, key=key, created_at__lt=timezone.now() - KEEP
        ).delete()
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(
                    user=user, key=key, fingerprint=request_print
                )
        except IntegrityError:
            # Taken: by an earlier request, or by a concurrent one just now. None if it was
            # released (a 5xx) in between: the client retries.
            return IdempotentRequest.objects.filter(user=user, key=key).first()

    def run_once(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Run the operation with the claim locked, and keep its answer in the same
        transaction as its work."""
        ran = False
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        row = (
                            IdempotentRequest.objects.select_for_update(nowait=True)
                            .filter(pk=pk)
                            .first()
                        )
                except OperationalError:  # PostgreSQL: the first request holds the lock
                    return in_progress()
                if row is None:
                    return in_progress()  # released by a failed first attempt just now
                if row.completed_at is not None:
                    return replay(row)  # finished while this request waited for the lock
                ran = True
                response = self.operation(request)
                if kept(response):
                    row.status = response.status_code
                    row.body = response.content
                    row.content_type = response.get("Content-Type", "")
                    row.headers = {
                        name: response[name] for name in KEPT_HEADERS if response.has_header(name)
                    }
                    row.completed_at = timezone.now()
                    row.save(
                        update_fields=["status", "body", "content_type", "headers", "completed_at"]
                    )
                else:
                    row.delete()
                return response
        except OperationalError:
            if ran:
                raise
            # SQLite: another writer held the database longer than the lock timeout.
            return in_progress()

    def operation(self, request: HttpRequest) -> HttpResponse:
        """The operation in a savepoint of its own. A database error the API answered itself
        (the IntegrityError handler's 422) leaves the transaction unusable: leaving the block
        rolls the operation's part back to the savepoint, and the claim can still be answered."""
        response: HttpResponse | None = None
        try:
            with transaction.atomic():
                response = self.get_response(request)
        except DatabaseError:
            # Releasing the savepoint failed (PostgreSQL, aborted transaction): Django has
            # rolled back to it; the answer stands.
            if response is None:
                raise
        return response
