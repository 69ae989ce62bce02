"""The form page of inspection's master data (parts, gauges): one template, and only holders
of the view's `permission` see or post it (ServiceFormView checks it)."""

from __future__ import annotations

from django.urls import reverse

from qualitas.core.views.generic import ServiceFormView


class MasterDataForm(ServiceFormView):
    template_name = "inspection/parts/form.html"
    # Where Cancel leads unless the form says otherwise (an edit: back to its record).
    list_url_name = ""

    def cancel_url(self) -> str:
        return reverse(self.list_url_name)
