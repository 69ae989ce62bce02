"""The `qualitas` command: Django's management commands with Qualitas settings, plus `spc`.

`qualitas spc …` runs the statistics engine on CSV files without touching Django or a database.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] == "spc":
        from qualitas.spc.cli import main as spc_main

        return int(spc_main(args[2:]))
    if len(args) > 1 and args[1] == "demo":
        # The demo serves plain http on localhost and prints mail to the console.
        os.environ.setdefault("QUALITAS_HTTPS", "false")
        os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
        os.environ.setdefault("QUALITAS_CURRENCY", "GBP")  # the demo company is in England
        # A newcomer tries the demo without an authenticator app: MFA is offered, not forced.
        os.environ.setdefault("QUALITAS_MFA_ENFORCE", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.settings")
    from django.core.management import execute_from_command_line

    from qualitas.core import audit

    args[0] = "qualitas"
    command = " ".join(args[1:2]) or "help"
    # Whatever a command changes is attributed to it and to the OS account that ran it;
    # services inside it still record their own actor.
    with audit.context(actor=None, actor_name=audit.cli_actor_name(command)):
        execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
