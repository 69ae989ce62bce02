"""Checkpoints of the audit trail: the chain head signed with an HMAC whose key is not in
the database, written outside it (`QUALITAS_AUDIT_CHECKPOINT_DIR`), so that a rewrite of
the whole chain (every hash recomputed) is still detected. `core.jobs` writes one after
each verified stretch; `auditverify` starts from the latest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from qualitas.core.audit import GENESIS_HASH


def checkpoint_dir() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _checkpoint_key() -> bytes:
    """The HMAC key: from the environment, or a file kept beside the data, never in the database."""
    if settings.AUDIT_CHECKPOINT_KEY:
        return str(settings.AUDIT_CHECKPOINT_KEY).encode()
    key_file = Path(settings.AUDIT_CHECKPOINT_KEY_FILE)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip().encode()


def _mac(payload: dict[str, Any]) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(_checkpoint_key(), body, hashlib.sha256).hexdigest()


def write_checkpoint(
    directory: Path | None = None, *, at: tuple[int, str] | None = None
) -> dict[str, Any] | None:
    """Sign the current chain head (or `at`: an event id and hash just verified) into
    `directory/latest.json` (and a dated copy)."""
    from qualitas.core.models import AuditChainHead

    if at is None:
        head = AuditChainHead.objects.filter(pk=1).first()
        at = (head.last_event_id, head.last_hash) if head is not None else (0, GENESIS_HASH)
    last_event_id, last_hash = at
    if last_event_id == 0:
        return None
    target = directory or checkpoint_dir()
    latest = read_checkpoint(target)
    if latest is not None and latest["last_event_id"] == last_event_id:
        return latest
    payload = {
        "last_event_id": last_event_id,
        "last_hash": last_hash,
        "created_at": timezone.now().isoformat(timespec="seconds"),
    }
    signed = {**payload, "hmac": _mac(payload)}
    target.mkdir(parents=True, exist_ok=True)
    text = json.dumps(signed, indent=2)
    (target / f"checkpoint-{last_event_id:012d}.json").write_text(text)
    (target / "latest.json").write_text(text)
    return signed


def read_checkpoint(directory: Path | None = None) -> dict[str, Any] | None:
    """The latest checkpoint, after checking its HMAC; a forged one is an error.

    When latest.json is gone, the newest dated copy is used, so deleting one file does not
    switch rewrite detection off.
    """
    folder = directory or checkpoint_dir()
    path = folder / "latest.json"
    if not path.exists():
        dated = sorted(folder.glob("checkpoint-*.json")) if folder.exists() else []
        if not dated:
            return None
        path = dated[-1]
    signed = json.loads(path.read_text())
    payload = {k: signed[k] for k in ("last_event_id", "last_hash", "created_at")}
    if not hmac.compare_digest(_mac(payload), str(signed.get("hmac", ""))):
        raise CheckpointForged(f"{path} does not carry a valid signature")
    return payload


class CheckpointForged(RuntimeError):
    """The checkpoint file was not written with this installation's key."""
