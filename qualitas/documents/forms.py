"""Forms of the document pages; they collect input, the services decide."""

from __future__ import annotations

from django import forms

from qualitas.core.forms import StyledForm
from qualitas.core.models import Department, Role, Site, User
from qualitas.documents.models import (
    ApprovalOrder,
    Confidentiality,
    Document,
    DocumentType,
    ReviewOutcome,
    RevisionScheme,
)


def people() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(
        User.objects.filter(is_active=True).exclude(username="system").order_by("last_name"),
        required=False,
    )


class DocumentForm(StyledForm):
    document_type = forms.ModelChoiceField(DocumentType.objects.all(), label="Type")
    title = forms.CharField(max_length=200)
    owner = people()
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True), required=False)
    sites = forms.ModelMultipleChoiceField(
        Site.objects.filter(is_active=True),
        required=False,
        help_text="Leave empty when it applies at every site.",
    )
    clause_references = forms.CharField(
        max_length=300, required=False, help_text="e.g. ISO 9001 7.5; ISO 13485 4.2.4"
    )
    review_interval_months = forms.IntegerField(
        min_value=1, max_value=120, required=False, help_text="Empty: the type's default"
    )
    confidentiality = forms.ChoiceField(
        choices=Confidentiality.choices, initial=Confidentiality.INTERNAL
    )
    content_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "class": "form-control font-monospace"}),
        required=False,
        label="Content (Markdown)",
        help_text="Write the document here, or upload its file below (or both).",
    )
    file = forms.FileField(
        required=False, help_text="PDF, Word, Excel, Markdown or an image; checked by content."
    )
    change_reason = forms.CharField(max_length=500, required=False, label="Reason for issue")
    effective_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: effective as soon as it is approved.",
    )
    training_impact = forms.BooleanField(
        required=False, label="People must read and acknowledge it"
    )
    # Without them "people must read it" asks nobody: the service refuses the box alone.
    training_roles = forms.ModelMultipleChoiceField(
        Role.objects.all(),
        required=False,
        label="Who must read it: roles",
        help_text="Needed when people must read it (with the departments below), unless "
        "the type names its readers.",
    )
    training_departments = forms.ModelMultipleChoiceField(
        Department.objects.filter(is_active=True), required=False, label="… and departments"
    )


class DocumentEditForm(StyledForm):
    owner = forms.ModelChoiceField(
        User.objects.filter(is_active=True).exclude(username="system"), required=True
    )
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True), required=False)
    sites = forms.ModelMultipleChoiceField(Site.objects.filter(is_active=True), required=False)
    clause_references = forms.CharField(max_length=300, required=False)
    review_interval_months = forms.IntegerField(min_value=1, max_value=120)
    confidentiality = forms.ChoiceField(choices=Confidentiality.choices)
    related = forms.ModelMultipleChoiceField(Document.objects.all(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=300, required=False, label="Reason for the change")


class RevisionForm(StyledForm):
    title = forms.CharField(max_length=200)
    content_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "class": "form-control font-monospace"}),
        required=False,
        label="Content (Markdown)",
    )
    change_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required from the second revision on.",
    )
    change_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Reason for change"
    )
    effective_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: effective as soon as it is approved.",
    )
    training_impact = forms.BooleanField(
        required=False, label="People must read and acknowledge it"
    )
    training_roles = forms.ModelMultipleChoiceField(
        Role.objects.all(), required=False, label="Who must read it: roles"
    )
    training_departments = forms.ModelMultipleChoiceField(
        Department.objects.filter(is_active=True), required=False, label="… and departments"
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class FileForm(StyledForm):
    file = forms.FileField()
    description = forms.CharField(max_length=200, required=False)


class SignOffForm(StyledForm):
    reviewers = forms.ModelMultipleChoiceField(
        User.objects.filter(is_active=True).exclude(username="system").order_by("last_name"),
        required=False,
        help_text="Each reviewer comments or accepts before approval starts.",
    )
    approver_1 = people()
    approver_2 = people()
    approver_3 = people()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approver_1"].label = "First approver"
        self.fields["approver_1"].required = True
        self.fields["approver_2"].label = "Second approver"
        self.fields["approver_3"].label = "Third approver"

    def approvers(self) -> list[User]:
        chosen = [self.cleaned_data.get(f"approver_{n}") for n in (1, 2, 3)]
        return [person for person in chosen if person is not None]


class ReviewForm(StyledForm):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class SignForm(StyledForm):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign.",
    )
    # Shown only to people with MFA; signatures.authenticate_from insists on it for them.
    otp_code = forms.CharField(max_length=12, required=False)
    comment = forms.CharField(max_length=500, required=False)


class PeriodicReviewForm(StyledForm):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when the document needs revising: say what.",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        required=False,
        help_text="Needed to sign “no change needed”.",
    )


class NewRevisionForm(StyledForm):
    major = forms.BooleanField(required=False, label="Major revision (numbered schemes: 1.x → 2.0)")
    change_reason = forms.CharField(max_length=500, required=False, label="Reason for change")


class DocumentTypeForm(StyledForm):
    name = forms.CharField(max_length=80)
    number_pattern = forms.CharField(
        max_length=40, help_text="Placeholders: {prefix}, {year}, {seq:04} (required)."
    )
    revision_scheme = forms.ChoiceField(choices=RevisionScheme.choices)
    review_interval_months = forms.IntegerField(min_value=1, max_value=120)
    approval_order = forms.ChoiceField(choices=ApprovalOrder.choices)
    default_reviewers = forms.ModelMultipleChoiceField(
        User.objects.filter(is_active=True).exclude(username="system").order_by("last_name"),
        required=False,
    )
    default_approvers = forms.ModelMultipleChoiceField(
        User.objects.filter(is_active=True).exclude(username="system").order_by("last_name"),
        required=False,
        help_text="Proposed for every new revision, in this order; the author is left out.",
    )
    default_training_roles = forms.ModelMultipleChoiceField(
        Role.objects.all(),
        required=False,
        label="Who must read a new document: roles",
        help_text="Used when people must read it and its author names nobody.",
    )
    default_training_departments = forms.ModelMultipleChoiceField(
        Department.objects.filter(is_active=True), required=False, label="… and departments"
    )
    reason = forms.CharField(max_length=300, required=False, label="Reason for the change")
