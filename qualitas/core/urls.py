import re

from django.urls import path, register_converter

from qualitas.core.records import RECORD_TYPES
from qualitas.core.views import (
    audit,
    exportjobs,
    home,
    mfa,
    org,
    passkeys,
    profile,
    record_parts,
    records,
    sessions,
)

app_name = "core"


class RecordResource:
    """A declared record type's resource name (`nonconformances`): its pages live at
    /<resource>/…, and no other path is taken for one."""

    regex = "|".join(re.escape(t.resource) for t in RECORD_TYPES.values()) or "(?!)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RecordResource, "resource")

urlpatterns = [
    path("search/", home.search, name="search"),
    path("notifications/", home.notifications, name="notifications"),
    path("notifications/read/", home.notifications_read, name="notifications_read"),
    path("me/", profile.profile, name="profile"),
    path("me/tokens/<int:pk>/revoke/", profile.revoke_token, name="token_revoke"),
    path("me/sessions/", sessions.my_sessions, name="sessions"),
    path("me/sessions/<int:pk>/end/", sessions.end_session, name="session_end"),
    path("me/sessions/end-others/", sessions.end_other_sessions, name="sessions_end_others"),
    path(
        "me/sessions/tokens/revoke-all/", sessions.revoke_all_tokens, name="sessions_revoke_tokens"
    ),
    path("me/mfa/", mfa.overview, name="mfa"),
    path("me/mfa/qr.svg", mfa.qr_code, name="mfa_qr"),
    path("me/mfa/start/", mfa.start, name="mfa_start"),
    path("me/mfa/confirm/", mfa.confirm, name="mfa_confirm"),
    path("me/mfa/recovery-codes/", mfa.regenerate, name="mfa_regenerate"),
    path("me/mfa/remove/", mfa.remove, name="mfa_remove"),
    path("me/mfa/passkeys/options/", passkeys.registration_options, name="passkey_options"),
    path("me/mfa/passkeys/add/", passkeys.add, name="passkey_add"),
    path("me/mfa/passkeys/<int:pk>/rename/", passkeys.rename, name="passkey_rename"),
    path("me/mfa/passkeys/<int:pk>/remove/", passkeys.remove, name="passkey_remove"),
    # Under /login/mfa/ so a session still waiting for its second factor may reach it.
    path("login/mfa/passkey/", passkeys.assertion_options, name="passkey_challenge"),
    path("login/mfa/", mfa.second_step, name="mfa_second_step"),
    path("exports/", exportjobs.export_list, name="export_list"),
    path("exports/<int:pk>/", exportjobs.export_job, name="export_job"),
    path("exports/<int:pk>/download", exportjobs.export_download, name="export_download"),
    path("people/", org.UserListView.as_view(), name="user_list"),
    path("people/new/", org.UserCreateView.as_view(), name="user_create"),
    path("people/<int:pk>/", org.user_detail, name="user_detail"),
    path("people/<int:pk>/edit/", org.UserEditView.as_view(), name="user_edit"),
    path("people/<int:pk>/deactivate/", org.user_deactivate, name="user_deactivate"),
    path("people/<int:pk>/reactivate/", org.user_reactivate, name="user_reactivate"),
    path("people/<int:pk>/mfa/reset/", org.user_mfa_reset, name="user_mfa_reset"),
    path("people/<int:pk>/roles/", org.user_grant_role, name="user_grant_role"),
    path(
        "people/<int:pk>/roles/<int:assignment_pk>/revoke/",
        org.user_revoke_role,
        name="user_revoke_role",
    ),
    path("departments/", org.DepartmentListView.as_view(), name="department_list"),
    path("departments/new/", org.DepartmentFormView.as_view(), name="department_create"),
    path("departments/<int:pk>/edit/", org.DepartmentFormView.as_view(), name="department_edit"),
    path("sites/", org.SiteListView.as_view(), name="site_list"),
    path("sites/new/", org.SiteFormView.as_view(), name="site_create"),
    path("sites/<int:pk>/edit/", org.SiteFormView.as_view(), name="site_edit"),
    path("roles/", org.role_list, name="role_list"),
    path("roles/<slug:code>/mfa/", org.role_requires_mfa, name="role_requires_mfa"),
    path("audit-trail/", audit.AuditTrailView.as_view(), name="audit_trail"),
    path("actions/<int:action_pk>/complete/", record_parts.complete, name="action_complete"),
    path("actions/<int:action_pk>/files/", record_parts.attach_evidence, name="action_attach"),
    path(
        "actions/<int:action_pk>/files/<int:attachment_pk>/",
        record_parts.download_evidence,
        name="action_download",
    ),
    path("<resource:resource>/", records.RecordListView.as_view(), name="record_list"),
    path("<resource:resource>/new/", records.record_create, name="record_create"),
    path("<resource:resource>/<int:pk>/", records.record_detail, name="record_detail"),
    path("<resource:resource>/<int:pk>/edit/", records.record_edit, name="record_edit"),
    path(
        "<resource:resource>/<int:pk>/transitions/<slug:name>/",
        records.record_transition,
        name="record_transition",
    ),
    path("<resource:resource>/<int:pk>/files/", record_parts.attach, name="record_attach"),
    path(
        "<resource:resource>/<int:pk>/files/<int:attachment_pk>/",
        record_parts.download,
        name="record_download",
    ),
    path(
        "<resource:resource>/<int:pk>/files/<int:attachment_pk>/remove/",
        record_parts.detach,
        name="record_detach",
    ),
    path("<resource:resource>/<int:pk>/links/", record_parts.link, name="record_link"),
    path(
        "<resource:resource>/<int:pk>/links/<int:link_pk>/remove/",
        record_parts.unlink,
        name="record_unlink",
    ),
    path("<resource:resource>/<int:pk>/actions/", record_parts.assign, name="record_assign"),
]
