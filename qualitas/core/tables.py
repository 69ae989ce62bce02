"""List tables of the organisation pages (also the column set of their exports)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html

from qualitas.core.models import Department, Site, User


class ActiveColumn(tables.BooleanColumn):
    def render(self, value: Any, record: Any, bound_column: Any) -> str:
        if value:
            return format_html('<span class="badge text-bg-success">{}</span>', "Active")
        return format_html('<span class="badge text-bg-secondary">{}</span>', "Inactive")

    def value(self, record: Any, value: Any, bound_column: Any) -> str:
        return "active" if value else "inactive"


class UserTable(tables.Table):
    username = tables.Column(linkify=("core:user_detail", {"pk": tables.A("pk")}))
    printed_name = tables.Column(
        verbose_name="Name", order_by=("last_name", "first_name"), accessor="printed_name"
    )
    job_title = tables.Column()
    department = tables.Column(order_by=("department__name",))
    site = tables.Column(accessor="site__name", verbose_name="Site")
    email = tables.EmailColumn()
    is_active = ActiveColumn(verbose_name="Status")
    last_login = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta:
        model = User
        fields = ("username", "printed_name", "job_title", "department", "site", "email")
        sequence = ("username", "printed_name", "job_title", "department", "site", "email")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No people match these filters."


class DepartmentTable(tables.Table):
    code = tables.Column()
    name = tables.Column(linkify=("core:department_edit", {"pk": tables.A("pk")}))
    site = tables.Column(accessor="site__name", default="All sites")
    head = tables.Column(verbose_name="Head of department", default="")
    members = tables.Column(accessor="member_count", verbose_name="People")
    is_active = ActiveColumn(verbose_name="Status")

    class Meta:
        model = Department
        fields = ("code", "name", "site", "head")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No departments yet."


class SiteTable(tables.Table):
    code = tables.Column()
    name = tables.Column(linkify=("core:site_edit", {"pk": tables.A("pk")}))
    address = tables.Column()
    members = tables.Column(accessor="member_count", verbose_name="People")
    is_active = ActiveColumn(verbose_name="Status")

    class Meta:
        model = Site
        fields = ("code", "name", "address")
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No sites yet."
