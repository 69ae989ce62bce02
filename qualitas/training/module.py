"""Training and competency: what the module adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.core import kpis, permissions as p
from qualitas.core.modules import (
    Api,
    Audited,
    Job,
    Menu,
    Module,
    Pages,
    Permission,
    Subscription,
)
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import MenuItem
from qualitas.documents.events import RevisionBecameEffective
from qualitas.training import (
    api,
    demo,
    effectiveness,
    effectiveness_api,
    expiry,
    gate,
    matrix_api,
    queries,
    quiz_api,
    reading,
    reminders,
    services,
    skills_api,
    workflows as w,
)
from qualitas.training.checks import CHECKS as COMPLIANCE_CHECKS
from qualitas.training.models import (
    Course,
    EffectivenessReview,
    JobRole,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Requirement,
    Skill,
    SkillAssessment,
    SkillRequirement,
    TrainingRecord,
)

# One menu with change control: the issue and the quality manager see them as one job.
GROUP = "Change and training"

TRAINING_RECORD = RecordType(
    model=TrainingRecord,
    key="trainingrecord",
    label="Training record",
    prefix="TR",
    workflow=w.WORKFLOW,
    permissions=RecordPermissions(view=w.VIEW_RECORDS, create=w.MANAGE, edit=w.MANAGE),
    resource="training-records",
    # Assigned by the curriculum (or a coordinator's one-off assignment), never raised
    # from the generic form.
    generic_create=False,
    site_required=False,
    editable_fields=("title", "due_on", "trainer", "notes"),
    # Set by the system as the last signature is made.
    unsigned_fields=("completed_on", "expires_on", "method"),
    entails=services.ENTAILS,
    relations={
        "trainee": lambda record: [record.person_id],
        "trainer": lambda record: [record.trainer_id] if record.trainer_id else [],
    },
    visibility=queries.visible_records,
    search_fields=("number", "title", "document_number"),
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=10,
        icon="mortarboard",
        display_fields=(
            "person",
            "course",
            "document_number",
            "revision_label",
            "requirement",
            "assigned_on",
            "due_on",
            "completed_on",
            "expires_on",
            "method",
            "trainer",
            "notes",
            "owner",
            "site",
        ),
        list_select_related=("owner", "site"),
    ),
)

MANAGERS = (p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER)

MODULE = Module(
    name="training",
    permissions=(
        Permission(w.VIEW, "See courses, curricula and one's own training.", roles=p.EVERYONE),
        Permission(
            w.VIEW_RECORDS,
            "See people's training records, transcripts and the training matrix.",
            roles=(p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER, p.AUDITOR, p.APPROVER),
        ),
        Permission(
            w.MANAGE,
            "Maintain courses, job roles and curricula; assign and cancel training.",
            roles=MANAGERS,
        ),
        Permission(
            w.ASSESS,
            "Sign trainees competent after on-the-job training.",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
    ),
    audited=(
        Audited(Course),
        Audited(JobRole),
        Audited(Requirement),
        Audited(Skill),
        Audited(SkillRequirement),
        Audited(SkillAssessment),
        Audited(EffectivenessReview),
        Audited(QuizQuestion),
        # A choice never chosen in an attempt may be removed (the removal is audited).
        Audited(QuizChoice, protect_delete=False),
        Audited(QuizAttempt),
    ),
    record_types=(TRAINING_RECORD,),
    compliance_checks=COMPLIANCE_CHECKS,
    kpis=(kpis.overdue_records(TRAINING_RECORD, order=400), effectiveness.indicator()),
    menu=(
        Menu(GROUP, MenuItem("My training", "training:my_training", "person-check", w.VIEW)),
        Menu(
            GROUP,
            MenuItem(
                "Training matrix", "training:matrix", "grid-3x3", w.VIEW_RECORDS, any_site=True
            ),
        ),
        Menu(GROUP, MenuItem("Courses", "training:course_list", "journal-bookmark", w.VIEW)),
        Menu(GROUP, MenuItem("Curricula", "training:curricula", "diagram-3", w.VIEW)),
        Menu(GROUP, MenuItem("Skills", "training:skills", "award", w.VIEW_RECORDS, any_site=True)),
        Menu(
            GROUP,
            MenuItem("Training effectiveness", "training:effectiveness", "graph-up-arrow", w.VIEW),
        ),
    ),
    pages=(Pages("training/", "qualitas.training.urls"),),
    api=(
        Api("/training-matrix", matrix_api.router),
        *(Api(prefix, router) for prefix, router in api.ROUTERS),
        Api("/skills", skills_api.router),
        # Beside the generic record endpoints of training records.
        Api("/training-records", effectiveness_api.router),
        # A course's quiz and a record's attempts, beside the endpoints above.
        Api("/courses", quiz_api.courses_router),
        Api("/training-records", quiz_api.records_router),
    ),
    subscriptions=(
        # In the transaction: a revision never stands in force without its training asked.
        Subscription(RevisionBecameEffective, services.on_revision_effective, in_transaction=True),
    ),
    jobs=(
        Job(
            "training-expiry",
            "Remind people 30 and 7 days before a training certificate lapses; expire and "
            "reassign the lapsed ones.",
            expiry.remind_and_expire,
        ),
        Job(
            "training-overdue",
            "Remind people once a week of training (readings included) past its due date.",
            reminders.remind_overdue,
        ),
        Job(
            "training-effectiveness",
            "Ask supervisors to rate the effectiveness of training whose follow-up falls due.",
            effectiveness.remind_due,
        ),
    ),
    training_gate=gate.untrained,
    # A change request's training impact asks for readings through this (core.training_requests).
    training_assigner=services.REQUESTED,
    # Read and understood for the documents module: each reading is a training record.
    reading_register=reading.REGISTER,
    # The documents module's earlier acknowledgements become training records.
    after_migrate=reading.adopt_after_migrate,
    demo=demo.load,
)
