"""Demo training at Aldermoor: job roles for the demo people, curricula on effective
procedures and three courses (first aid lapses after 24 months), and twelve months of
history through the services, with some training overdue and one certificate expired;
effectiveness follow-ups on two courses, and skills (demo_skills). Each part is skipped when
it exists."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qualitas.core import audit, signatures, workflow
from qualitas.core.models import User
from qualitas.documents import queries as documents
from qualitas.training import demo_skills, expiry, quiz, services
from qualitas.training.models import Course, Requirement, Skill, TrainingRecord

COURSES = (
    ("FA-01", "First aid at work", "classroom", 24),
    ("ISO13485-AW", "ISO 13485 awareness", "e_learning", 24),
    ("OJT-CNC", "CNC set-up and first-off check", "on_the_job", None),
)
# Courses whose effect the supervisor rates this many days after completion.
EFFECTIVENESS_DAYS = {"OJT-CNC": 60, "ISO13485-AW": 90}
# The awareness course asks for a quiz before the trainee signs (pass mark 80).
QUIZ_COURSE, QUIZ_PASS_MARK = "ISO13485-AW", 80
QUIZ = (
    ("Which standard sets out the quality system for medical devices?",
     ("ISO 13485", "ISO 9001 alone", "ISO 27001")),
    ("Who may release a device after a nonconformance?",
     ("Only after the disposition is approved", "The operator who found it", "Anyone")),
    ("What must a design change be before it is carried out?",
     ("Reviewed, verified and approved", "Announced by e-mail", "Nothing")),
    ("How long are device history records kept?",
     ("At least the device's lifetime, as the procedure says", "One month", "Never")),
    ("Where do you report a complaint about a device?",
     ("To quality, the same day", "Nowhere", "At the next annual review")),
)  # fmt: skip
ROLES = {
    "CNC operator": ("lchen",),
    "Inspector": ("jokafor", "mkowalski"),
    "Quality engineer": ("acosta", "dfischer"),
}


def _proof(user: User) -> signatures.SignatureToken:
    # Generated demo history: the loader vouches for its own signers instead of hashing their
    # password for every record. Real signatures always re-enter the password.
    return signatures.SignatureToken(user.pk, timezone.now())


def _months_ago(today: date, months: int) -> date:
    return services.add_months(today, -months)


def load() -> None:
    if not Course.objects.exists():
        _load_curricula()
    if not Skill.objects.exists():
        demo_skills.load()


def _load_curricula() -> None:
    qm = User.objects.get(username="hmarsh")
    today = timezone.localdate()
    courses = {
        code: services.create_course(
            actor=qm,
            code=code,
            title=title,
            kind=kind,
            validity_months=months,
            effectiveness_days=EFFECTIVENESS_DAYS.get(code),
        )
        for code, title, kind, months in COURSES
    }
    _load_quiz(courses[QUIZ_COURSE], qm)
    effective = sorted(
        d.number for d in documents.controlled_documents().values() if d.effective_revision_id
    )
    procedures = [n for n in effective if n.startswith("SOP")][:3] or effective[:3]
    roles = {name: services.create_job_role(actor=qm, name=name) for name in ROLES}
    curriculum = {
        "CNC operator": [courses["OJT-CNC"], courses["FA-01"], *procedures[:1]],
        "Inspector": [courses["FA-01"], *procedures[1:2]],
        "Quality engineer": [courses["ISO13485-AW"], *procedures],
    }
    lines: list[Requirement] = []
    for name, items in curriculum.items():
        for item in items:
            # No members yet: the history below is what they did; joining assigns the rest.
            lines.append(
                services.add_requirement(
                    actor=qm,
                    job_role=roles[name],
                    course=item if isinstance(item, Course) else None,
                    document_number=item if isinstance(item, str) else "",
                    # Inspectors sign inspections under their method procedure.
                    gating=name == "Inspector" and isinstance(item, str),
                )
            )
    in_force = documents.controlled_documents(numbers=procedures)
    people = {u.username: u for u in User.objects.filter(username__in=sum(ROLES.values(), ()))}
    trainer = User.objects.get(username="jokafor")
    for n, line in enumerate(lines):
        for k, username in enumerate(ROLES[str(line.job_role)]):
            person = people[username]
            ago = 1 + (3 * n + 5 * k) % 11
            # lchen's first aid is 25 months old (lapsed); mkowalski's is overdue.
            if line.course is not None and line.course.code == "FA-01":
                ago = {"lchen": 25, "mkowalski": 2}.get(username, ago)
            assigned = _months_ago(today, ago)
            record = _assign(
                person=person,
                actor=qm,
                requirement=line,
                course=line.course,
                document=in_force.get(line.document_number),
                assigned_on=assigned,
                due_on=assigned + timedelta(days=line.due_within_days),
                notify=False,
            )
            if username == "mkowalski" and ago == 2:
                continue  # never done: overdue since last month
            if line.course is not None and line.course.code == QUIZ_COURSE:
                # acosta fails the quiz once, then passes; everyone passes before signing.
                _take_quiz(record, person, assigned + timedelta(days=8), fail_first=k == 0)
            _complete(record, person, trainer, assigned + timedelta(days=9))
    for name, usernames in ROLES.items():
        services.set_members(roles[name], actor=qm, members=[people[u] for u in usernames])
    expiry.remind_and_expire()
    demo_skills.rate_follow_ups(qm, today)


def _assign(**values: Any) -> TrainingRecord:
    """A past assignment, numbered as the curriculum would have made it then."""
    qm = values["actor"]
    with audit.context(actor=qm, reason="Demo training history"), transaction.atomic():
        return services.open_record(**values)


def _complete(record: TrainingRecord, person: User, trainer: User, on: date) -> None:
    on_the_job = record.course is not None and record.course.kind == "on_the_job"
    signed = services.complete_training(
        record,
        actor=person,
        signature=_proof(person),
        completed_on=on,
        trainer=trainer if on_the_job else None,
    )
    if on_the_job:
        workflow.fire(signed, "confirm_competence", actor=trainer, signature=_proof(trainer))


def _load_quiz(course: Course, qm: User) -> None:
    for text, (right, *wrong) in QUIZ:
        quiz.add_question(
            course,
            actor=qm,
            text=text,
            choices=[quiz.ChoiceInput(right, correct=True), *map(quiz.ChoiceInput, wrong)],
        )
    quiz.set_pass_mark(course, actor=qm, pass_mark=QUIZ_PASS_MARK)


def _take_quiz(record: TrainingRecord, person: User, on: date, *, fail_first: bool) -> None:
    questions = list(quiz.questions_of(record.course))  # type: ignore[arg-type]
    at = timezone.make_aware(datetime.combine(on, time(10)))
    for wrong in (2, 0) if fail_first else (0,):
        chosen = {
            str(q.pk): next(c.pk for c in q.choices.all() if c.correct == (n >= wrong))
            for n, q in enumerate(questions)
        }
        quiz.submit_attempt(
            record,
            actor=person,
            answers=chosen,
            started_at=at - timedelta(minutes=12),
            submitted_at=at,
        )
        at += timedelta(hours=1)
