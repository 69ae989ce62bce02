"""Demo skills at Aldermoor: two skills matrices (machining and inspection at Sheffield;
the quality system everywhere), the levels the demo job roles ask for, assessments of the
demo people over the last year (a few superseded, a few gaps left), and the effectiveness
follow-ups of the demo training rated where they fell due."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from qualitas.core.models import Site, User
from qualitas.training import effectiveness, skills
from qualitas.training.models import JobRole

# name, description, at Sheffield only
SKILLS = (
    ("CMM programming", "Write and prove coordinate-measuring-machine programs.", True),
    ("Surface roughness measurement", "Ra/Rz with the profilometer, per ISO 21920.", True),
    ("Visual inspection of castings", "Porosity, cold shuts and inclusions to the standard.", True),
    ("Torque verification", "Check tightening torque with a calibrated wrench.", True),
    ("CNC set-up", "Load the program, tools and offsets; run the first-off check.", True),
    ("First-article inspection", "Full-dimensional report to AS9102.", True),
    ("Document control", "Number, review, approve and issue controlled documents.", False),
    ("Internal auditing", "Plan, conduct and report audits to ISO 19011.", False),
    ("Root cause analysis", "5 Whys, Ishikawa and 8D on a nonconformance.", False),
    ("Nonconformance disposition", "Decide use as is, rework, repair or scrap.", False),
)
LEVELS = {
    "CNC operator": {
        "CNC set-up": 3,
        "Visual inspection of castings": 2,
        "Torque verification": 2,
    },
    "Inspector": {
        "CMM programming": 3,
        "Surface roughness measurement": 3,
        "Visual inspection of castings": 3,
        "First-article inspection": 3,
        "Torque verification": 3,
        "Nonconformance disposition": 2,
    },
    "Quality engineer": {
        "Root cause analysis": 3,
        "Internal auditing": 3,
        "Document control": 2,
        "Nonconformance disposition": 3,
        "First-article inspection": 2,
    },
}
# person, skill, level, months ago; a later line for the same pair supersedes the earlier.
# Left as gaps: lchen's torque never assessed, mkowalski's CMM at 2 of 3, dfischer's
# auditing at 2 of 3, and jokafor's surface roughness never assessed.
ASSESSMENTS = (
    ("lchen", "CNC set-up", 2, 11),
    ("lchen", "CNC set-up", 3, 3),
    ("lchen", "Visual inspection of castings", 2, 6),
    ("jokafor", "CMM programming", 4, 9),
    ("jokafor", "Visual inspection of castings", 4, 9),
    ("jokafor", "First-article inspection", 3, 8),
    ("jokafor", "Torque verification", 3, 5),
    ("jokafor", "Nonconformance disposition", 3, 4),
    ("mkowalski", "CMM programming", 1, 10),
    ("mkowalski", "CMM programming", 2, 2),
    ("mkowalski", "Surface roughness measurement", 3, 7),
    ("mkowalski", "Visual inspection of castings", 3, 7),
    ("mkowalski", "First-article inspection", 3, 6),
    ("mkowalski", "Torque verification", 3, 6),
    ("mkowalski", "Nonconformance disposition", 2, 5),
    ("acosta", "Root cause analysis", 4, 8),
    ("acosta", "Internal auditing", 3, 8),
    ("acosta", "Document control", 3, 8),
    ("acosta", "Nonconformance disposition", 3, 7),
    ("acosta", "First-article inspection", 3, 7),
    ("dfischer", "Root cause analysis", 3, 6),
    ("dfischer", "Internal auditing", 2, 6),
    ("dfischer", "Document control", 2, 5),
    ("dfischer", "Nonconformance disposition", 3, 5),
    ("dfischer", "First-article inspection", 2, 4),
    ("tbecker", "Internal auditing", 4, 12),
)


def load() -> None:
    qm = User.objects.get(username="hmarsh")
    sheffield = Site.objects.filter(code="SHF").first()
    found = {
        name: skills.create_skill(
            actor=qm, name=name, description=text, site=sheffield if local else None
        )
        for name, text, local in SKILLS
    }
    roles = {role.name: role for role in JobRole.objects.filter(name__in=LEVELS)}
    for role_name, levels in LEVELS.items():
        if role_name not in roles:
            continue
        for skill_name, level in levels.items():
            skills.require_level(
                actor=qm, job_role=roles[role_name], skill=found[skill_name], minimum_level=level
            )
    people = {u.username: u for u in User.objects.filter(username__in={a[0] for a in ASSESSMENTS})}
    today = timezone.localdate()
    for username, skill_name, level, months in ASSESSMENTS:
        if username not in people:
            continue
        skills.assess(
            actor=qm,
            person=people[username],
            skill=found[skill_name],
            level=level,
            assessed_on=today - timedelta(days=30 * months),
            evidence="Observed at work; records in the department's competence file.",
        )


COMMENTS = (
    (4, "Sets up unaided; first-off checks right first time since the course."),
    (5, "Applies the ISO 13485 requirements in design reviews without prompting."),
    (2, "Still needs help with offsets; booked a second session with the trainer."),
)


def rate_follow_ups(qm: User, today: date) -> None:
    """Rate the demo's follow-ups that fell due, leaving the last one due for its rater."""
    due = list(effectiveness.reviews().filter(rating__isnull=True, due_on__lte=today))
    for review, (rating, comment) in zip(due[:-1], COMMENTS, strict=False):
        rater = review.rater or qm
        if rater.pk == review.record.person_id:
            continue
        effectiveness.rate(
            review,
            actor=rater,
            rating=rating,
            comment=comment,
            rated_on=min(today, review.due_on + timedelta(days=5)),
        )
