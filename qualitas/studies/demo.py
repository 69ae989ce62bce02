"""Demo SPC studies for Aldermoor Precision (fixed random seeds: the same every time)."""

from __future__ import annotations

import numpy as np

from qualitas.core import signatures, workflow
from qualitas.core.models import Department, Site, User
from qualitas.studies import analyses, services
from qualitas.studies.analyses import (
    agreement,
    arl,
    base,
    gage,
    linearity,
    reliability,
    sampling,
    type1,
    variables,
)

# Meeker & Escobar (1998), shock absorber data: km to failure, 38 units, 11 failures; the
# likelihood-ratio test rejects the exponential and the Weibull beats the lognormal.
SHOCK_ABSORBERS = {
    "times": [
        6700, 6950, 7820, 8790, 9120, 9660, 9820, 11310, 11690, 11850, 11880, 12140, 12200,
        12870, 13150, 13330, 13470, 14040, 14300, 17520, 17540, 17890, 18450, 18960, 18980,
        19410, 20100, 20100, 20150, 20320, 20900, 22700, 23490, 26510, 27410, 27490, 27890,
        28100,
    ],
    "censored": [
        s == 0
        for s in (
            1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1,
            0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0,
        )
    ],
    "distribution": "compare",
    "mission_time": 10000,
}  # fmt: skip


def load() -> None:
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["jokafor", "hmarsh", "elund", "dfischer"])
    }
    sites = {s.code: s for s in Site.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    rng = np.random.default_rng(46)

    # Machined bore on line 3: a tool-wear shift shows up in samples 19-22.
    bores = 74.0 + rng.normal(0, 0.0095, size=(25, 5))
    bores[18:22] += 0.014
    services.record_study(
        actor=people["jokafor"],
        title="Bore diameter Ø74, line 3, week 46",
        characteristic="Bore diameter",
        unit="mm",
        description="Five parts every hour from CNC-3; tool changed after sample 22.",
        site=sites["SHF"],
        department=departments["OPS"],
        source_name="cnc3-bore-week46.csv",
        measurements=services.Measurements(
            chart_type="xbar-r",
            values=[round(float(v), 4) for v in bores.ravel()],
            subgroup_size=5,
            lsl=73.965,
            usl=74.035,
            target=74.0,
        ),
    )

    # Implant housings at final inspection: lot sizes vary, one lot is out of control.
    sizes = rng.integers(180, 260, size=30)
    defectives = rng.binomial(sizes, 0.021)
    defectives[17] = 19
    services.record_study(
        actor=people["dfischer"],
        title="Final inspection defectives, implant housings, October",
        characteristic="Defective housings per lot",
        description="Visual and dimensional final inspection, medical device line.",
        site=sites["SHF"],
        department=departments["MED"],
        source_name="final-inspection-oct.xlsx",
        measurements=services.Measurements(
            chart_type="p", values=[float(d) for d in defectives], sizes=[float(n) for n in sizes]
        ),
    )

    # The MES nightly build: stable, in control, capable against its 40-minute budget.
    builds = 27 + rng.normal(0, 1.6, size=40)
    reviewed = services.record_study(
        actor=people["elund"],
        title="Nightly build duration, MES, last 40 builds",
        characteristic="Build duration",
        unit="min",
        site=sites["LDS"],
        department=departments["IT"],
        source_name="ci-durations.csv",
        measurements=services.Measurements(
            chart_type="imr", values=[round(float(v), 2) for v in builds], usl=40.0
        ),
    )
    qm = people["hmarsh"]
    token = signatures.authenticate(qm, "Harbour-Sextant-42", subject=reviewed)
    workflow.fire(
        reviewed, "review", actor=qm, comment="Stable and capable; no action.", signature=token
    )

    # One study of each analysis, from its module's worked example (published data where the
    # module's docstring names the source).
    examples = (
        (sampling, "Incoming housings: AQL 1.0 plan", "Machined housing H-220", "dfischer"),
        (arl, "CUSUM design for bore drift, line 3", "Bore diameter", "jokafor"),
        (gage, "Gage R&R, bore gauge BG-07", "Bore gauge BG-07, bore diameter", "jokafor"),
        (agreement, "Attribute agreement, visual inspection", "Visual defect call", "dfischer"),
        (linearity, "Linearity and bias, height gauge HG-2", "Height gauge HG-2", "jokafor"),
        (type1, "Type 1 study, micrometer M-14", "Micrometer M-14 on 6.002 mm master", "jokafor"),
        (reliability, "Field life, shock absorbers", "Shock absorber SA-12 (km)", "jokafor"),
        (variables, "Bar stock hardness, lot 2611", "Bar stock 42CrMo4, hardness HRC", "dfischer"),
    )
    for kind, title, subject, who in examples:
        analysis = analyses.ANALYSES[kind.ANALYSIS.key]
        example = SHOCK_ABSORBERS if kind is reliability else kind.EXAMPLE
        services.record_analysis(
            actor=people[who],
            analysis=analysis,
            inputs=base.validate(analysis, example),
            title=title,
            characteristic=subject,
            site=sites["SHF"],
            department=departments["OPS"],
            source_name="worked example",
        )
