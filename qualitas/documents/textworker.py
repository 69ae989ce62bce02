"""The process that reads the text of one uploaded file, held to memory and time limits.

``content.read_text`` runs ``python -m qualitas.documents.textworker MEDIA_TYPE MEMORY_MB
SECONDS MAX_UNPACKED`` with the file's bytes on standard input; the text comes back as UTF-8 on
standard output with exit status 0, and any other ending means "not read". The limits are set
before the file is touched, so a crafted file can only exhaust this process: the kernel refuses
memory beyond RLIMIT_AS (Python raises MemoryError, or the process dies), RLIMIT_CPU stops a
busy loop, and the parent kills it at the wall-clock limit. Django is never loaded here.
"""

from __future__ import annotations

import resource
import sys


def main(argv: list[str]) -> int:
    media_type, memory_mb, seconds, max_unpacked = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed worker leaves no core file
    data = sys.stdin.buffer.read()

    from qualitas.documents import content

    text = content._extract(data, media_type, max_unpacked=max_unpacked)
    sys.stdout.buffer.write(text.encode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
