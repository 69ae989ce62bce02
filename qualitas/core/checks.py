"""System checks of how an installation is set up (``qualitas check --deploy``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

CHECKPOINT_KEY_BESIDE_DATA = "qualitas.W001"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@register(Tags.security, deploy=True)
def checkpoint_key_kept_apart(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """The audit checkpoints' key must not sit with the data it protects.

    Whoever can rewrite the database (or restore an altered backup of the data directory)
    could, holding the key too, sign a checkpoint over a rewritten audit trail.
    """
    if settings.AUDIT_CHECKPOINT_KEY:  # given in the environment: no file is used
        return []
    key_file = Path(settings.AUDIT_CHECKPOINT_KEY_FILE).resolve()
    places = {"the data directory (QUALITAS_DATA_DIR)": Path(settings.DATA_DIR).resolve()}
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
        places["the database's directory"] = Path(database["NAME"]).resolve().parent
    for where, folder in places.items():
        if _inside(key_file, folder):
            return [
                Warning(
                    f"The audit-trail checkpoint key {key_file} is in {where}: whoever can "
                    "rewrite the database or restore that directory could also re-sign the "
                    "checkpoints.",
                    hint="Set QUALITAS_AUDIT_CHECKPOINT_KEY_FILE to a file on other storage, "
                    "readable only by the application's account, or give the key in "
                    "QUALITAS_AUDIT_CHECKPOINT_KEY (docs/admin-guide.md, 'The audit trail').",
                    id=CHECKPOINT_KEY_BESIDE_DATA,
                )
            ]
    return []
