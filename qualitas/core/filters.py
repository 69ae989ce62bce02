"""List filters of the organisation pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from qualitas.core import queries
from qualitas.core.models import Department, Role, Site, User

ANY = "Any"


class ActiveFilter(django_filters.ChoiceFilter):
    """In use or not, worded for people rather than as a true/false/unknown."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            choices=[("yes", "Active"), ("no", "Inactive")],
            empty_label=ANY,
            label="Status",
            method=self.only,
            **kwargs,
        )

    @staticmethod
    def only(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(is_active=(value == "yes"))


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), empty_label=ANY
    )
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), empty_label=ANY)
    role = django_filters.ModelChoiceFilter(
        queryset=Role.objects.all(),
        field_name="role_assignments__role",
        distinct=True,
        label="Role",
        empty_label=ANY,
    )
    is_active = ActiveFilter()

    class Meta:
        model = User
        fields = ["q", "department", "site", "role", "is_active"]

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        if not value:
            return queryset
        return queryset & queries.search_people(value, viewer=self.request.user)


class DepartmentFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), empty_label=ANY)
    is_active = ActiveFilter()

    class Meta:
        model = Department
        fields = ["name", "site", "is_active"]


class SiteFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    is_active = ActiveFilter()

    class Meta:
        model = Site
        fields = ["name", "is_active"]
