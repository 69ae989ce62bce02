"""Effectiveness of training (ISO 9001 7.2 c, ISO 13485 6.2 d): a course may ask for a
follow-up some days after it is completed, when the trainee's supervisor rates whether the
training worked, from 1 (not effective) to 5 (fully effective), with a comment.

The supervisor is the head of the trainee's department; with none (or when the trainee is
the head), any training coordinator at the trainee's site rates it. Coordinators may rate
in the supervisor's stead; the trainee never rates their own training.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from qualitas.core import audit, kpis, notifications, permissions, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.core.services import system_user
from qualitas.core.validation import clean_or_raise
from qualitas.training import workflows as w
from qualitas.training.models import EffectivenessRating, EffectivenessReview

if TYPE_CHECKING:
    from qualitas.training.models import TrainingRecord

PAGE_URL = "/training/effectiveness/"


def supervisor_of(person: User) -> User | None:
    """The head of the person's department, when there is one other than the person."""
    department = person.department
    head = department.head if department is not None else None
    if head is None or head.pk == person.pk or not head.is_active:
        return None
    return head


def schedule(record: TrainingRecord, *, actor: User) -> EffectivenessReview | None:
    """Entailed by a completion: a course asking for a follow-up gets one, due its
    `effectiveness_days` after the completion date. Idempotent (one per record)."""
    course = record.course
    if course is None or not course.effectiveness_days or record.completed_on is None:
        return None
    due_on = record.completed_on + timedelta(days=course.effectiveness_days)
    found: EffectivenessReview | None = EffectivenessReview.objects.filter(record=record).first()
    if found is not None:
        return found
    review = EffectivenessReview(record=record, due_on=due_on, rater=supervisor_of(record.person))
    clean_or_raise(review, exclude=["record"])
    review.save()
    return review


def may_rate(user: User, review: EffectivenessReview) -> bool:
    trainee = review.record.person
    if user.pk == trainee.pk or not user.is_active:
        return False
    if review.rater_id is not None and review.rater_id == user.pk:
        return True
    return permissions.has_perm(user, w.MANAGE, site=trainee.site)


@audit.service
def rate(
    review: EffectivenessReview,
    *,
    actor: User,
    rating: int,
    comment: str,
    rated_on: date | None = None,
) -> EffectivenessReview:
    """The supervisor's rating of whether the training worked."""
    if isinstance(rating, bool) or rating not in EffectivenessRating.values:
        raise InvalidInput.for_field(
            "rating", "Choose a rating from 1 (not effective) to 5 (fully effective)."
        )
    if not comment.strip():
        raise InvalidInput.for_field("comment", "Say what you observed of the trainee's work.")
    today = timezone.localdate()
    day = rated_on or today
    if day > today:
        raise InvalidInput.for_field("rated_on", "The rating date cannot be in the future.")
    if not may_rate(actor, review):
        raise PermissionDenied(
            "Only the trainee's supervisor or a training coordinator at their site rates "
            "the effectiveness of their training; never the trainee."
        )
    current: EffectivenessReview = (
        EffectivenessReview.objects.select_for_update().select_related("record").get(pk=review.pk)
    )
    if current.rating is not None:
        raise Conflict(f"{current.record.number} was already rated on {current.rated_on}.")
    completed = current.record.completed_on
    if completed is not None and day < completed:
        raise InvalidInput.for_field(
            "rated_on", f"The training was completed on {completed:%Y-%m-%d}: rate after it."
        )
    current.rating = rating
    current.comment = comment.strip()
    current.rated_on = day
    current.rated_by = actor
    clean_or_raise(current, exclude=["record"])
    current.save()
    notifications.mark_done([actor], url=PAGE_URL)
    return current


def reviews() -> QuerySet[EffectivenessReview]:
    return EffectivenessReview.objects.select_related(
        "record__person", "record__course", "rater", "rated_by"
    )


def to_rate(user: User) -> QuerySet[EffectivenessReview]:
    """The follow-ups the user is asked to rate, soonest due first: theirs as supervisor,
    and, for coordinators, every one at their sites. Never their own training."""
    mine = Q(rater=user)
    sites = permissions.sites_with_perm(user, w.MANAGE)
    if sites is None:
        mine |= Q(pk__isnull=False)
    elif sites:
        mine |= Q(record__site_id__in=sites)
    return (
        reviews()
        .filter(mine, rating__isnull=True)
        .exclude(record__person=user)
        .order_by("due_on", "pk")
    )


def rated_by_me(user: User, *, limit: int = 20) -> list[EffectivenessReview]:
    return list(reviews().filter(rated_by=user).order_by("-rated_on", "-pk")[:limit])


def may_see(user: User, review: EffectivenessReview) -> bool:
    """The trainee, the rater, and those who see the trainee's records."""
    trainee = review.record.person
    if user.pk in (trainee.pk, review.rater_id, review.rated_by_id):
        return True
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    return sites is None or (review.record.site_id is not None and review.record.site_id in sites)


def remind_due() -> str:
    """The periodic job: each follow-up that falls due is announced once to its rater (or,
    with none, to the training coordinators of the trainee's site). Idempotent."""
    today = timezone.localdate()
    due = reviews().filter(rating__isnull=True, due_on__lte=today).order_by("pk")
    sent = 0
    with audit.context(actor=system_user(), reason="Training effectiveness follow-ups due"):
        for review in due:
            if not notifications.once(f"training-effectiveness:{review.pk}"):
                continue
            record = review.record
            raters: list[Any] = [review.rater] if review.rater is not None else []
            if not raters:
                ids = workflow.holders_of(w.MANAGE, site=record.site_id) - {record.person_id}
                raters = list(User.objects.filter(pk__in=ids))
            for rater in raters:
                notifications.notify(
                    rater,
                    title=f"Rate the training of {record.person.printed_name}: {record.title}"[
                        :200
                    ],
                    body=f"Completed {record.completed_on:%Y-%m-%d}; follow-up due "
                    f"{review.due_on:%Y-%m-%d}.",
                    url=PAGE_URL,
                    email=True,
                )
                sent += 1
    return f"{sent} effectiveness follow-up reminders"


# --- Indicator -----------------------------------------------------------------------------

EFFECTIVE_FROM = EffectivenessRating.MOSTLY  # 4 "mostly" and 5 "fully" count as effective


def effective_share(user: User) -> float | None:
    """Of the follow-ups rated in the last twelve months that the user may see, the share
    rated effective (4 or 5), in percent; None before any is rated. Management review reads
    it as evidence that training works (ISO 9001 7.2 c, ISO 13485 6.2 d)."""
    since = timezone.localdate() - timedelta(days=365)
    rated = EffectivenessReview.objects.filter(rating__isnull=False, rated_on__gte=since)
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    if sites is not None:
        rated = rated.filter(Q(record__site_id__in=sites) | Q(rater=user) | Q(rated_by=user))
    counts = rated.aggregate(
        all=Count("pk"), effective=Count("pk", filter=Q(rating__gte=EFFECTIVE_FROM))
    )
    if not counts["all"]:
        return None
    return float(100 * counts["effective"] / counts["all"])


def indicator() -> kpis.Indicator:
    return kpis.Indicator(
        key="training-effective",
        label="Training rated effective (12 months)",
        figure=effective_share,
        url=lambda: reverse("training:effectiveness"),
        unit="%",
        lower_is_better=False,
        order=410,
    )
