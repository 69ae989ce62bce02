"""qualitas token create|list|revoke: personal access tokens from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.core import services
from qualitas.core.errors import QualitasError
from qualitas.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Create, list and revoke personal access tokens for the API."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--user", required=True, help="Username of the token's owner")
        create.add_argument("--name", required=True, help="What the token is for")
        create.add_argument("--days", type=int, default=None, help="Days until it expires")
        listing = sub.add_parser("list", help="List tokens (never their secret).")
        listing.add_argument("--user", default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = services.system_user()
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except QualitasError as exc:
            raise CommandError(exc.detail) from None

    def _create(self, actor: User, options: dict[str, Any]) -> None:
        owner = _user(options["user"])
        token, plain = services.create_token(
            actor=actor, user=owner, name=options["name"], expires_in_days=options["days"]
        )
        self.stderr.write(
            f"Token '{token.name}' for {owner.username}, expires {token.expires_at:%Y-%m-%d}. "
            "It is shown once:"
        )
        self.stdout.write(plain)

    def _list(self, actor: User, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if options["user"]:
            tokens = tokens.filter(user=_user(options["user"]))
        for t in tokens:
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(
                f"{t.pk:>5}  {t.user.username:<12} qlt_{t.prefix}_…  {t.status:<8} "
                f"expires {t.expires_at:%Y-%m-%d}  last used {used}  {t.name}"
            )

    def _revoke(self, actor: User, options: dict[str, Any]) -> None:
        token = ApiToken.objects.filter(pk=options["id"]).first()
        if token is None:
            raise CommandError(f"No token with id {options['id']}.")
        services.revoke_token(token, actor=actor)
        self.stdout.write(f"Token {token.pk} ('{token.name}') revoked.")


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user with username '{username}'.")
    return user
