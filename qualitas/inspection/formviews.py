"""The form page of inspection's master data (parts, gauges): one template, and only holders
of the view's `permission` see or post it (ServiceFormView checks it)."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render

from qualitas.core.views.generic import ServiceFormView


class MasterDataForm(ServiceFormView):
    template_name = "inspection/parts/form.html"

    def cancel_url(self) -> str:
        raise NotImplementedError  # each form says where Cancel leads

    def render_form(self, form: forms.Form, *, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "title": self.get_title(),
            "object": self.object,
            "cancel_url": self.cancel_url(),
        }
        return render(self.request, self.template_name, context, status=status)
