"""Uploaded zip archives (Word, Excel, PowerPoint files) opened without trusting them.

An Office file is a zip: 185 KB can declare, and unpack to, gigabytes (a "zip bomb"). Before
anything parses an uploaded archive, ``problem`` reads its central directory, which costs no
decompression, and refuses an archive with too many members, one that would unpack to more than
the limit in all, or one with a member compressed beyond ``MAX_RATIO``:1. Declared sizes can be
forged, so it then streams every member through the decompressor with a hard cap, holding one
chunk at a time: a member that unpacks to more than it declares, or a damaged one, is refused
too. What passes can be parsed knowing how large it really is.

Plain Python: the text-extraction worker process uses it without Django.
"""

from __future__ import annotations

import io
import zipfile

MAX_MEMBERS = 5_000
"""A large workbook or a Word file full of images has a few hundred parts."""
MAX_RATIO = 100
"""Office XML compresses about 5-20:1; deflate at most about 1,030:1 (a run of one byte)."""
RATIO_FLOOR = 1024 * 1024
"""The ratio is judged only for members unpacking to more than this: a few KB of repeated
blanks can compress beyond 100:1 and harm no one."""
_CHUNK = 64 * 1024


def problem(data: bytes, *, max_unpacked: int) -> str | None:
    """Why the zip ``data`` must not be opened (a phrase: "it is ..."), or None if it may.

    ``max_unpacked`` is the most bytes all its members may unpack to together.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                return f"it is an archive of more than {MAX_MEMBERS:,} parts"
            declared = sum(m.file_size for m in members)
            if declared > max_unpacked:
                return f"it would unpack to more than {_mb(max_unpacked)}"
            for member in members:
                if member.file_size > RATIO_FLOOR and (
                    member.file_size > MAX_RATIO * max(member.compress_size, 1)
                ):
                    return f"a part of it is compressed more than {MAX_RATIO}:1 (a zip bomb)"
            budget = max_unpacked
            for member in members:
                budget -= _unpack(archive, member, budget)
    except _Forged:
        return "a part of it unpacks to more than it declares (a zip bomb)"
    except RuntimeError:  # zipfile: a member is encrypted
        return "it contains encrypted parts"
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError):
        return "it is a damaged archive"
    return None


class _Forged(Exception):
    pass


def _unpack(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: int) -> int:
    """Decompress one member chunk by chunk, discarding it; the bytes it really unpacks to.

    zipfile already stops at the declared size and then checks the CRC, but this does not rely
    on it: the count is capped by the member's declared size and by what the archive has left.
    """
    cap = min(member.file_size, budget)
    produced = 0
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            produced += len(chunk)
            if produced > cap:
                raise _Forged
    return produced


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def max_unpacked() -> int:
    """The configured limit (QUALITAS_MAX_UNPACKED_MB) in bytes."""
    from django.conf import settings

    return int(settings.MAX_UNPACKED_MB) * 1024 * 1024


def check(data: bytes, *, name: str, field: str = "file") -> None:
    """Refuse the archive ``data`` (uploaded as ``name`` in ``field``) if it must not be opened."""
    from qualitas.core.errors import InvalidInput

    reason = problem(data, max_unpacked=max_unpacked())
    if reason is not None:
        raise InvalidInput.for_field(field, f"'{name}' is refused: {reason}.")
