"""Demo nonconformances: a defect taxonomy and ~300 NCs over 18 months, in every state.

The distribution is skewed on purpose (a few defect codes and parts cause most
nonconformances) so the Pareto and the trend have something to say. Fixed seed.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from qualitas.core import actions, signatures, workflow
from qualitas.core.models import Department, Site, User
from qualitas.nonconformance import services
from qualitas.nonconformance.models import Nonconformance

TAXONOMY = {
    ("dimensional", "Dimensional"): [
        ("DIM-01", "Diameter out of tolerance"),
        ("DIM-02", "Length out of tolerance"),
        ("DIM-03", "Position / true position"),
        ("DIM-04", "Thread gauge fails"),
    ],
    ("cosmetic", "Cosmetic"): [
        ("COS-01", "Scratch or dent"),
        ("COS-02", "Burr not removed"),
        ("COS-03", "Discolouration after passivation"),
    ],
    ("material", "Material"): [
        ("MAT-01", "Wrong alloy or certificate missing"),
        ("MAT-02", "Inclusion or porosity"),
    ],
    ("documentation", "Documentation"): [
        ("DOC-01", "Traveller incomplete"),
        ("DOC-02", "Device history record gap"),
    ],
    ("software", "Software defect"): [
        ("SW-01", "Regression in release"),
        ("SW-02", "Data migration error"),
    ],
}
# Relative frequency: the vital few.
WEIGHTS = {
    "DIM-01": 30,
    "COS-02": 18,
    "DIM-03": 12,
    "DOC-01": 9,
    "MAT-01": 6,
    "COS-01": 6,
    "DIM-02": 5,
    "SW-01": 5,
    "DIM-04": 3,
    "MAT-02": 2,
    "COS-03": 2,
    "DOC-02": 1,
    "SW-02": 1,
}
PARTS = {
    "DIM-01": ["HSG-4471", "SHF-2210"],
    "DIM-02": ["SHF-2210"],
    "DIM-03": ["BRK-1180", "HSG-4471"],
    "DIM-04": ["NUT-0309"],
    "COS-01": ["HSG-4471", "CVR-0930"],
    "COS-02": ["BRK-1180", "NUT-0309"],
    "COS-03": ["IMP-7720"],
    "MAT-01": ["IMP-7720", "BAR-316L"],
    "MAT-02": ["IMP-7720"],
    "DOC-01": ["IMP-7720", "HSG-4471"],
    "DOC-02": ["IMP-7720"],
    "SW-01": ["MES 4.2", "Portal 2.8"],
    "SW-02": ["MES 4.2"],
}
SUPPLIERS = ["Northbar Metals", "Calder Castings", "Penn Fasteners", ""]


def load() -> None:
    rng = random.Random(87)  # noqa: S311 - repeatable demo data, not security
    qm = User.objects.get(username="hmarsh")
    people = list(
        User.objects.filter(username__in=["jokafor", "dfischer", "mkowalski", "elund", "lchen"])
    )
    raisers = {u.username: u for u in people}
    plant_raisers = [raisers[name] for name in ("jokafor", "dfischer", "mkowalski")]
    approver = User.objects.get(username="acosta")
    sites = {s.code: s for s in Site.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    codes = {}
    for (cat_code, cat_name), entries in TAXONOMY.items():
        category = services.add_defect_category(actor=qm, code=cat_code, name=cat_name)
        for code, name in entries:
            codes[code] = services.add_defect_code(
                actor=qm, category=category, code=code, name=name
            )
    today = timezone.localdate()
    population = [c for c, w in WEIGHTS.items() for _ in range(w)]
    for _ in range(settings.DEMO_NONCONFORMANCES):
        code = rng.choice(population)
        software = code.startswith("SW")
        detected = today - timedelta(days=int(rng.triangular(0, 548, 60)))
        qty_affected = Decimal(rng.choice([1, 5, 12, 25, 50, 120, 400]))
        qty_nc = min(qty_affected, Decimal(rng.choice([1, 2, 3, 5, 8, 12, 20, 40])))
        raiser = raisers["elund"] if software else rng.choice(plant_raisers)
        nc = services.raise_nonconformance(
            actor=raiser,
            title=f"{codes[code].name} on {rng.choice(PARTS[code])}"
            if not software
            else f"{codes[code].name}: {rng.choice(PARTS[code])}",
            source=rng.choice(
                ["it_incident"]
                if software
                else [
                    "in_process",
                    "final_inspection",
                    "incoming_inspection",
                    "production",
                    "customer_complaint",
                ]
            ),
            part_number=rng.choice(PARTS[code]),
            lot_number="" if software else f"L{detected:%y%m}-{rng.randint(10, 99)}",
            quantity_affected=Decimal(1) if software else qty_affected,
            quantity_nonconforming=Decimal(1) if software else qty_nc,
            unit="release" if software else "pcs",
            defect_code=codes[code],
            severity=rng.choices(["minor", "major", "critical"], weights=[60, 35, 5])[0],
            requirement="Drawing tolerance"
            if code.startswith("DIM")
            else "Specification and procedure",
            finding=f"{codes[code].name} found at {('go-live' if software else 'inspection')}.",
            supplier_name="" if software else rng.choice(SUPPLIERS),
            detected_on=detected,
            site=sites["LDS" if software else "SHF"],
            department=departments["IT" if software else rng.choice(["OPS", "MED", "SCM"])],
        )
        _advance(
            nc, rng, qm=qm, approver=approver, age_days=(today - detected).days, software=software
        )
    _load_capas(qm, approver)


def _proof(user: User) -> signatures.SignatureToken:
    # Generated demo history: the loader vouches for its own signers instead of hashing their
    # password hundreds of times. Real signatures always re-enter the password.
    return signatures.SignatureToken(user.pk, timezone.now())


def _advance(
    nc: Nonconformance,
    rng: random.Random,
    *,
    qm: User,
    approver: User,
    age_days: int,
    software: bool,
) -> None:
    """Walk older NCs further through the workflow, so every state appears."""
    owner = nc.owner
    target = 6 if age_days > 60 else rng.choice([0, 1, 2, 3, 4, 5, 6])
    if rng.random() < 0.03:
        workflow.fire(nc, "cancel", actor=owner, comment="Raised twice; see the other NC.")
        return
    if target >= 1:
        nc = _contain(nc, owner=owner, qm=qm, verified=target >= 2, software=software)
        nc = workflow.fire(nc, "contain", actor=owner, comment="Lot quarantined")
        if rng.random() < 0.3:
            actions.assign(
                nc,
                actor=owner,
                title="Sort remaining stock",
                assignee=owner,
                due_on=timezone.localdate() + timedelta(days=rng.randint(1, 10)),
                kind="containment",
            )
    if target >= 2:
        nc = workflow.fire(nc, "submit_review", actor=owner)
    if target >= 3:
        lines = [services.DispositionInput("rework", nc.quantity_nonconforming)]
        if nc.quantity_nonconforming >= 2 and rng.random() < 0.4 and not software:
            half = (nc.quantity_nonconforming / 2).quantize(Decimal(1))
            lines = [
                services.DispositionInput("scrap", half),
                services.DispositionInput(
                    "use_as_is",
                    nc.quantity_nonconforming - half,
                    "Cosmetic only; customer informed",
                ),
            ]
        nc = services.set_disposition(nc, actor=qm, lines=lines, expected_version=nc.version)
        nc = workflow.fire(nc, "dispose", actor=qm)
        if any(line.decision in ("use_as_is", "repair") for line in lines):
            nc = workflow.fire(
                nc,
                "approve_quality",
                actor=qm,
                signature=_proof(qm),
            )
            nc = workflow.fire(
                nc,
                "approve_engineering",
                actor=approver,
                signature=_proof(approver),
            )
        if not software:
            services.add_cost(
                nc,
                actor=qm,
                category=rng.choice(["scrap", "rework", "sorting"]),
                amount=Decimal(rng.randint(40, 2400)),
                currency="GBP",
                note="Labour and material",
            )
    if target >= 4:
        nc = workflow.fire(nc, "carry_out", actor=qm)
    if target >= 6:
        for action in actions.open_actions_of(nc):
            actions.complete(action, actor=owner, note="Stock sorted; no further defects found")
        workflow.fire(
            nc,
            "close",
            actor=qm,
            signature=_proof(qm),
            comment="Rework verified",
        )


QUARANTINE = ["Quarantine cage Q1", "Bonded store B2", "MRB rack, goods-in"]


def _contain(
    nc: Nonconformance, *, owner: User, qm: User, verified: bool, software: bool
) -> Nonconformance:
    """The containment as it was recorded at the time: the suspect quantity held the day the
    NC was found, and checked by quality the day after. (Chosen from the NC's id, not the
    random stream, so the rest of the demo stays as it was.)"""
    today = timezone.localdate()
    contained_on = nc.detected_on
    fields: dict[str, Any]
    if software:
        fields = {
            "containment_action": "Release rolled back; affected users told to wait for the fix",
        }
    else:
        fields = {
            "containment_action": f"Lot {nc.lot_number} on hold and labelled; 100% sort of "
            "the stock on the line",
            "quantity_quarantined": nc.quantity_affected,
            "containment_location": QUARANTINE[nc.pk % len(QUARANTINE)],
        }
    nc = services.record_containment(
        nc,
        actor=owner,
        expected_version=nc.version,
        contained_by=owner,
        contained_on=contained_on,
        **fields,
    )
    if verified:
        nc = services.record_containment(
            nc,
            actor=qm,
            expected_version=nc.version,
            containment_verified=True,
            containment_verified_by=qm,
            containment_verified_on=min(contained_on + timedelta(days=1), today),
        )
    return nc


def _load_capas(qm: User, approver: User) -> None:
    """CAPAs for the recurring problems the NCs show, one in each state of the 8D path."""
    from qualitas.capa import services as capa_services
    from qualitas.core import records

    people = {u.username: u for u in User.objects.all()}
    today = timezone.localdate()
    stories = [
        (
            "DIM-01",
            "HSG-4471",
            "closed",
            "machine",
            [
                ("Bore oversize", "Boring bar worn beyond its edge life"),
                ("Bar worn", "No tool-life limit on CNC-3"),
                ("No limit", "Tool changes left to operator judgement"),
            ],
            [
                ("machine", "Boring bar wear"),
                ("method", "No tool-life rule"),
                ("measurement", "Bore gauge checked hourly only"),
            ],
            "Tool-life counter on CNC-3 (change at 350 parts)",
        ),
        (
            "COS-02",
            "BRK-1180",
            "implementation",
            "method",
            [
                ("Burrs left on bracket", "Deburring step skipped at shift change"),
                ("Step skipped", "Work instruction does not show the deburr check"),
            ],
            [
                ("method", "WI-0108 lacks a deburr check"),
                ("man", "New starters not trained on deburring"),
            ],
            "Add deburr check and photo to WI-0108; train night shift",
        ),
        (
            "DOC-01",
            "IMP-7720",
            "root_cause",
            "method",
            [("Traveller incomplete", "Sign-off fields skipped on the clean-room line")],
            [
                ("method", "Traveller has 28 sign-off fields"),
                ("environment", "Gowning makes paper handling awkward"),
            ],
            "",
        ),
        (
            "SW-01",
            "MES 4.2",
            "effectiveness",
            "method",
            [
                ("Regression shipped", "Release gate ignored failed integration tests"),
                ("Gate ignored", "Gate rule allowed manual override without approval"),
            ],
            [
                ("method", "Manual override of the release gate"),
                ("machine", "Flaky integration environment"),
            ],
            "Block releases on failed integration tests; override needs QA approval",
        ),
    ]
    for code, part, target, category, whys, causes, fix in stories:
        nc = (
            Nonconformance.objects.filter(defect_code__code=code, part_number=part)
            .exclude(state="cancelled")  # a cancelled NC is not escalated (policy.may_escalate)
            .order_by("-detected_on")
            .first()
        )
        if nc is None:
            continue
        owner = nc.owner
        capa = services.escalate_to_capa(nc, actor=qm)
        capa = records.update(
            capa,
            actor=qm,
            expected_version=capa.version,
            is_description=f"{part}, all shifts",
            is_not_description="Other parts on the same machine",
        )
        capa_services.add_team_member(capa, actor=qm, member=owner, role="Process owner")
        capa_services.add_team_member(capa, actor=qm, member=people["acosta"], role="Engineering")
        capa = workflow.fire(capa, "investigate", actor=qm)
        capa = records.update(
            capa,
            actor=qm,
            expected_version=capa.version,
            # D3 as the NC's containment carried it over, or as the team set it up.
            containment_summary=capa.containment_summary
            or "Stock sorted; 100% check at final inspection",
        )
        capa = workflow.fire(capa, "confirm_containment", actor=qm)
        for why, because in whys:
            step = capa_services.add_why(capa, actor=qm, why=why, because=because)
        capa_services.mark_root_cause(step, actor=qm)
        for n, (cat, text) in enumerate(causes):
            cause = capa_services.add_cause(capa, actor=qm, category=cat, text=text)
            if n == 0:
                capa_services.mark_root_cause(cause, actor=qm)
        if target == "root_cause":
            continue
        capa = records.update(
            capa,
            actor=qm,
            expected_version=capa.version,
            root_cause=whys[-1][1],
            root_cause_category=category,
        )
        capa = workflow.fire(capa, "plan", actor=qm)
        action = actions.assign(
            capa,
            actor=qm,
            title=fix,
            assignee=owner,
            due_on=today + timedelta(days=14),
            kind="corrective",
        )
        plan_approver = people["rmensah"]  # approves at every site
        capa = workflow.fire(
            capa, "approve_plan", actor=plan_approver, signature=_proof(plan_approver)
        )
        if target == "implementation":
            continue
        actions.complete(action, actor=owner, note="Done and checked on the line")
        capa = records.update(
            capa,
            actor=qm,
            expected_version=capa.version,
            effectiveness_criteria=f"No {code} on {part} for 90 days",
            effectiveness_method="Pareto of NCs by part and defect",
            effectiveness_due_on=today + timedelta(days=2),
        )
        capa = workflow.fire(capa, "implemented", actor=qm)
        if target == "effectiveness":
            continue
        capa = capa_services.record_effectiveness(
            capa,
            actor=qm,
            expected_version=capa.version,
            result="passed",
            evidence="No repeat in 90 days",
        )
        workflow.fire(capa, "close", actor=qm, signature=_proof(qm), comment="Effective")
    critical = (
        Nonconformance.objects.filter(severity="critical")
        .exclude(state="cancelled")
        .order_by("-detected_on")
        .first()
    )
    if critical is not None:
        services.escalate_to_capa(critical, actor=qm)
    _remaining_capa_states(qm, people, today)


def _remaining_capa_states(qm: User, people: dict[str, User], today: date) -> None:
    """A preventive action under investigation, a plan awaiting approval, and one cancelled
    because another CAPA already covers the cause."""
    from qualitas.capa import services as capa_services
    from qualitas.core import records

    sheffield = Site.objects.get(code="SHF")
    preventive = capa_services.open_capa(
        actor=qm,
        title="Extend tool-life counters to all CNC cells",
        capa_type="preventive",
        problem_statement="The CNC-3 tool-wear cause could occur on CNC-1, CNC-2 and CNC-4.",
        site=sheffield,
    )
    workflow.fire(preventive, "investigate", actor=qm)
    plan = capa_services.open_capa(
        actor=qm,
        title="Simplify the clean-room traveller",
        problem_statement="Sign-off gaps on travellers",
        site=sheffield,
    )
    plan = workflow.fire(plan, "investigate", actor=qm)
    plan = records.update(
        plan, actor=qm, expected_version=plan.version, containment_summary="Daily traveller review"
    )
    plan = workflow.fire(plan, "confirm_containment", actor=qm)
    plan = records.update(
        plan,
        actor=qm,
        expected_version=plan.version,
        root_cause="28 sign-off fields on one page",
        root_cause_category="method",
    )
    plan = workflow.fire(plan, "plan", actor=qm)
    actions.assign(
        plan,
        actor=qm,
        title="Redesign the traveller to 12 fields",
        assignee=people["dfischer"],
        due_on=today + timedelta(days=21),
        kind="corrective",
    )
    duplicate = capa_services.open_capa(
        actor=qm, title="Burrs on brackets (raised twice)", problem_statement="Burrs"
    )
    workflow.fire(duplicate, "cancel", actor=qm, comment="Covered by the bracket deburring CAPA")
