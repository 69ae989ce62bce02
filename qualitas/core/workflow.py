"""Declared workflows: states and transitions as data, enforced in one place.

A module declares, for example:

    WORKFLOW = Workflow(
        initial=State.OPEN,
        states=State,
        transitions=(
            Transition("contain", sources=(State.OPEN,), target=State.CONTAINMENT,
                       permission=EDIT, relations=("owner",), requires=("description",)),
            Transition("close", sources=(State.VERIFICATION,), target=State.CLOSED,
                       permission=CLOSE, signature=Meaning.CLOSED, not_by=("creator",)),
        ),
        locked_states=(State.CLOSED, State.CANCELLED),
    )

and `fire(record, "close", actor=…, comment=…, signature=token)` enforces the order of
states, who may fire, the fields that must be filled, separation of duties, the guard and
the electronic signature, then changes the state, audits it, signs and notifies.

A workflow is data: guards are named predicates that read the record and say why not.
What a transition entails beyond the change of state (sign-offs opened, a fresh
effectiveness check) is a service function of the module, which the record type names in
`entails`; `fire` runs it, so every way of firing the step does the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

from qualitas.core import audit, events, permissions, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied

if TYPE_CHECKING:
    from qualitas.core.models import QualityRecord, User
    from qualitas.core.signatures import SignatureToken

Guard = Callable[[Any], str | None]


class NotYet(str):
    """A guard's reason that is about the record's state of affairs, not the input: the step
    is refused as a conflict (409) — a quiz not yet passed — rather than as invalid input."""

    __slots__ = ()


def _guard_refusal(reason: str) -> Refusal:
    return Refusal("conflict" if isinstance(reason, NotYet) else "guard", str(reason))


@dataclass(frozen=True)
class Transition:
    """One step of a workflow.

    Who may fire it: holders of `permission` (at the record's site) or, when `relations`
    are given, people standing in one of those relations to the record (owner, assignee …).
    `not_by` names relations whose members may never fire it (separation of duties), and
    `distinct_from_signers` meanings whose earlier signers may not sign again here.
    `guard` returns the reason it cannot fire now, or None.
    """

    name: str
    sources: tuple[str, ...]
    target: str
    label: str = ""
    permission: str | None = None
    relations: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    signature: str | None = None
    not_by: tuple[str, ...] = ()
    distinct_from_signers: tuple[str, ...] = ()
    guard: Guard | None = None
    comment_required: bool = False
    # Who must act next: relation names ("owner") or permission codes ("nc.approve"); they
    # are notified (in the app and by e-mail) once the transition is done.
    notify: tuple[str, ...] = ()
    style: str = "primary"
    # Fired only by the module's own services (the last signature, a date reached), never
    # offered as a button or accepted from the API; who caused it is the service's check.
    automatic: bool = False
    # The procedures this step is worked under (controlled document numbers, course
    # codes): whoever fires it must be currently trained on those that gate
    # (qualitas.core.training_gate), or the step is refused.
    works_under: Callable[[Any], Sequence[str]] | None = None

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Workflow:
    initial: str
    states: type[models.TextChoices]
    transitions: tuple[Transition, ...]
    locked_states: tuple[str, ...] = ()

    def transition(self, name: str) -> Transition:
        for transition in self.transitions:
            if transition.name == name:
                return transition
        raise NotFound(f"There is no transition '{name}' in this workflow.")

    def label_of(self, state: str) -> str:
        return str(dict(self.states.choices).get(state, state))


@dataclass(frozen=True)
class Refusal:
    """Why a transition cannot be fired, as the UI and the API show it."""

    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class Availability:
    transition: Transition
    refusals: tuple[Refusal, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        return not self.refusals


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _may_fire(record: QualityRecord, transition: Transition, actor: User) -> bool:
    if transition.relations and any(
        actor.pk in records.relation_members(record, r) for r in transition.relations
    ):
        return True
    return transition.permission is not None and records.has_perm_for(
        actor, transition.permission, record
    )


def evaluate(
    record: QualityRecord, transition: Transition, actor: User, *, by_service: bool = False
) -> tuple[Refusal, ...]:
    """Every reason the actor cannot fire the transition now; empty when they can.

    `by_service`: an automatic transition fired by the module's service, which has checked
    who caused it; only the state and the guard are evaluated."""
    workflow = records.type_of(record).workflow
    refusals: list[Refusal] = []
    if record.state not in transition.sources:
        needed = " or ".join(workflow.label_of(s) for s in transition.sources)
        refusals.append(
            Refusal(
                "wrong_state",
                f"'{transition.title}' is only possible from {needed}; "
                f"the record is {workflow.label_of(record.state)}.",
            )
        )
        return tuple(refusals)
    if transition.automatic and not by_service:
        refusals.append(
            Refusal("automatic", f"'{transition.title}' happens by itself; it is not done by hand.")
        )
        return tuple(refusals)
    if by_service:
        if transition.guard is not None and (reason := transition.guard(record)):
            refusals.append(_guard_refusal(reason))
        return tuple(refusals)
    if not _may_fire(record, transition, actor):
        who = []
        if transition.permission:
            who.append(f"'{permissions.PERMISSIONS[transition.permission].description}'")
        who.extend(f"the record's {r}" for r in transition.relations)
        refusals.append(Refusal("not_permitted", f"Only {' or '.join(who)} may do this."))
    for relation in transition.not_by:
        if actor.pk in records.relation_members(record, relation):
            refusals.append(
                Refusal(
                    "separation_of_duties",
                    f"You are the record's {relation}: someone else must do this (separation "
                    "of duties). Ask one of the people who may; an administrator can give a "
                    "deputy the role at this site.",
                )
            )
    for meaning in transition.distinct_from_signers:
        if record.signatures.filter(signer=actor, meaning=meaning).exists():
            refusals.append(
                Refusal(
                    "separation_of_duties",
                    f"You already signed this record as '{meaning}': another person must sign.",
                )
            )
    for name in transition.requires:
        if _blank(getattr(record, name)):
            label = getattr(record._meta.get_field(name), "verbose_name", name)
            refusals.append(Refusal("missing_field", f"Fill in {label} first.", field=name))
    if transition.guard is not None and (reason := transition.guard(record)):
        refusals.append(_guard_refusal(reason))
    if transition.works_under is not None:
        refusals.extend(_untrained(record, transition, transition.works_under, actor))
    return tuple(refusals)


def _untrained(
    record: QualityRecord,
    transition: Transition,
    works_under: Callable[[Any], Sequence[str]],
    actor: User,
) -> list[Refusal]:
    """The training gate: one refusal naming each procedure the actor is not trained on."""
    from qualitas.core import training_gate

    gaps = training_gate.missing(actor, list(works_under(record)))
    return [
        Refusal(
            "untrained",
            f"You are not currently trained on {gap.procedure}: {gap.reason} "
            f"'{transition.title}' is worked under it.",
        )
        for gap in gaps
    ]


def available(record: QualityRecord, actor: User) -> list[Availability]:
    """The transitions leaving the record's current state, each with why it may not fire."""
    workflow = records.type_of(record).workflow
    return [
        Availability(t, evaluate(record, t, actor))
        for t in workflow.transitions
        if record.state in t.sources and not t.automatic
    ]


def _raise(refusals: tuple[Refusal, ...]) -> None:
    codes = {r.code for r in refusals}
    message = " ".join(r.message for r in refusals)
    if codes & {"wrong_state", "automatic"}:
        raise Conflict(message)
    if codes & {"not_permitted", "separation_of_duties"}:
        raise PermissionDenied(message)
    if codes & {"untrained", "conflict"}:
        raise Conflict(message)
    errors = [FieldError(r.field or "__all__", r.message) for r in refusals]
    raise InvalidInput(errors, detail=message)


def fire(
    record: QualityRecord,
    name: str,
    *,
    actor: User,
    comment: str = "",
    signature: SignatureToken | None = None,
    expected_version: int | None = None,
    by_service: bool = False,
) -> Any:
    """Fire one transition; the only way a record's state ever changes. What the record type
    declares the step entails (`RecordType.entails`: sign-offs opened, a fresh
    effectiveness check) is done in the same transaction once the state has changed and
    before anyone is told."""
    from qualitas.core import signatures

    record_type = records.type_of(record)
    transition = record_type.workflow.transition(name)
    with audit.context(actor=actor, reason=comment):
        from django.db import transaction

        with transaction.atomic(), records.locked(record, expected_version) as current:
            refusals = evaluate(current, transition, actor, by_service=by_service)
            if refusals:
                _raise(refusals)
            if transition.comment_required and not comment.strip():
                raise InvalidInput.for_field(
                    "comment", f"Say why: '{transition.title}' needs a reason."
                )
            if transition.signature is not None:
                signatures.check_token(signature, actor)
            from_state = current.state
            current.state = transition.target
            current._audit_action = "transition"  # type: ignore[attr-defined]
            current._audit_extra = {"transition": transition.name}  # type: ignore[attr-defined]
            records.touch(current, actor)
            if transition.signature is not None:
                signatures.sign(
                    current,
                    signer=actor,
                    meaning=transition.signature,
                    transition=transition.name,
                    comment=comment,
                    token=signature,  # type: ignore[arg-type]
                )
            entails = record_type.entails.get(transition.name)
            if entails is not None:
                entails(current, actor, comment)
            _notify_next(current, transition, actor, comment)
            events.publish(
                events.RecordTransitioned(
                    record_type.key,
                    current.pk,
                    actor.pk,
                    transition.name,
                    from_state,
                    current.state,
                )
            )
    return current


def _notify_next(record: Any, transition: Transition, actor: User, comment: str) -> None:
    """Tell the people who must act next that the record is waiting for them."""
    from qualitas.core import notifications
    from qualitas.core.models import User as UserModel

    ids: set[int] = set()
    for who in transition.notify:
        if "." in who:
            ids |= holders_of(who, site=record.site)
        else:
            ids |= records.relation_members(record, who)
    ids.discard(actor.pk)
    state = records.type_of(record).workflow.label_of(record.state)
    url = f"/{records.type_of(record).resource}/{record.pk}/"
    for person in UserModel.objects.filter(pk__in=ids, is_active=True)[:50]:
        notifications.notify(
            person,
            title=f"{record.number} is {state}: your turn",
            body=f"{actor.printed_name}: {transition.title}. {comment}".strip(),
            url=url,
            email=True,
        )


def who_may(record: Any, transition: Transition, *, limit: int = 10) -> list[Any]:
    """Active people who may take the step on this record: holding its permission where the
    record is, not barred by separation of duties, not earlier signers it must differ from.
    Shown when the person asking may not (they raised the record)."""
    from qualitas.core import records
    from qualitas.core.models import User

    if not transition.permission:
        return []
    # Anyone holding the permission somewhere, kept if they may take this step on this
    # record by the very rule that lets them (records.has_perm_for: its site, every site it
    # applies to, or everywhere for a record of the whole organisation).
    allowed = holders_of(transition.permission, site=None)
    for relation in transition.not_by:
        allowed -= records.relation_members(record, relation)
    if transition.distinct_from_signers:
        signed = record.signatures.filter(meaning__in=transition.distinct_from_signers)
        allowed -= set(signed.values_list("signer_id", flat=True))
    people = User.objects.filter(pk__in=allowed).order_by("last_name", "first_name")
    may = [p for p in people if records.has_perm_for(p, transition.permission, record)]
    return may[:limit]


def holders_of(code: str, *, site: Any) -> set[int]:
    """Ids of active users holding a permission at a site (or everywhere)."""
    from django.db.models import Q

    from qualitas.core.models import RoleAssignment

    where = Q(site__isnull=True) | Q(site=site) if site is not None else Q()
    assignments = RoleAssignment.objects.filter(
        where, user__is_active=True, role__grants__permission__in=[code, permissions.ALL]
    )
    return set(assignments.values_list("user_id", flat=True))
