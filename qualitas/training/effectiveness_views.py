"""Effectiveness follow-ups (/training/effectiveness/): the ones the signed-in person is
asked to rate, soonest due first, those they rated, and the form to rate one."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from qualitas.core import permissions
from qualitas.core.errors import PermissionDenied
from qualitas.core.forms import StyledForm
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ServiceFormView
from qualitas.training import effectiveness, workflows as w
from qualitas.training.models import EffectivenessRating, EffectivenessReview


@login_required
def follow_ups(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    today = timezone.localdate()
    context = {
        "title": "Training effectiveness",
        "to_rate": [(r, r.due_on <= today) for r in effectiveness.to_rate(user)],
        "rated": effectiveness.rated_by_me(user),
    }
    return render(request, "training/effectiveness.html", context)


class RatingForm(StyledForm):
    rating = forms.TypedChoiceField(
        choices=[("", "—"), *EffectivenessRating.choices],
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Did the training change how the person works?",
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you observed of the trainee's work since the training.",
    )
    rated_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Rated on")


class RateView(ServiceFormView):
    form_class = RatingForm
    success_message = "Rating recorded."

    def get_object(self) -> EffectivenessReview:
        found: EffectivenessReview = get_or_404(effectiveness.reviews(), pk=self.kwargs["pk"])
        return found

    def check_permission(self) -> None:
        review = cast(EffectivenessReview, self.object)
        if not effectiveness.may_rate(signed_in_user(self.request), review):
            raise PermissionDenied(
                "Only the trainee's supervisor or a training coordinator at their site rates "
                "this follow-up."
            )

    def get_title(self) -> str:
        record = cast(EffectivenessReview, self.object).record
        return f"Rate the training of {record.person.printed_name}: {record.title}"

    def get_initial(self) -> dict[str, Any]:
        return {"rated_on": timezone.localdate()}

    def cancel_url(self) -> str:
        return reverse("training:effectiveness")

    def perform(self, form: forms.Form) -> EffectivenessReview:
        data = form.cleaned_data
        return effectiveness.rate(
            cast(EffectivenessReview, self.object),
            actor=signed_in_user(self.request),
            rating=data["rating"],
            comment=data["comment"],
            rated_on=data["rated_on"],
        )

    def success_url(self, saved: Any) -> str:
        return reverse("training:effectiveness")
