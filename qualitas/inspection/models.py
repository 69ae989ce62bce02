"""The production floor's records: parts and their characteristics (master data), inspection
plans per part revision and stage, inspection lots with the sample each characteristic
needs, the measurements (a narrow table written in batches) and each characteristic's
switching state per supplier (ISO 2859-1:1999 clause 9)."""

from __future__ import annotations

from django.db import models

from qualitas.core.auditing import AuditedQuerySet
from qualitas.core.models import QualityRecord, record_indexes


class Part(models.Model):
    """A part or product, known by its number; what is measured belongs to a revision."""

    number = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    # Free text until the customers module (issue "Customers and suppliers") holds customers.
    customer = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class PartRevision(models.Model):
    """One revision of a part's design: its drawing and its characteristics."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="revisions")
    revision = models.CharField(max_length=20)
    description = models.CharField(max_length=200, blank=True)
    # The controlled drawing; a string reference, so the module imports nothing of documents.
    drawing = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_current = models.BooleanField(default=True)
    released_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["part__number", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["part", "revision"], name="insp_part_revision_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.part.number} rev {self.revision}"


class CharacteristicKind(models.TextChoices):
    VARIABLE = "variable", "Variable (measured)"
    ATTRIBUTE = "attribute", "Attribute (pass/fail)"
    DEFECTS = "defects", "Defect count"


class CharacteristicClass(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class Characteristic(models.Model):
    """What is checked on a part revision (a drawing balloon): its kind and specification."""

    revision = models.ForeignKey(
        PartRevision, on_delete=models.PROTECT, related_name="characteristics"
    )
    # The balloon number on the drawing.
    number = models.CharField(max_length=20)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=CharacteristicKind.choices)
    char_class = models.CharField(
        "class", max_length=10, choices=CharacteristicClass.choices, default="major"
    )
    # A special characteristic's mark (e.g. "SC", "CC") from the customer or a PFMEA.
    special_mark = models.CharField(max_length=10, blank=True)
    nominal = models.FloatField(null=True, blank=True)
    lsl = models.FloatField("lower specification limit", null=True, blank=True)
    usl = models.FloatField("upper specification limit", null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # Decimals a measurement may carry: more than the gauge resolves is refused.
    decimals = models.PositiveSmallIntegerField(default=3)
    gauge_type = models.CharField(max_length=80, blank=True)
    method = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    # Who answers for the characteristic's process: told when its control chart alarms.
    owner = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whether a control chart alarm (a run rule broken by a new point) raises an NC.
    nc_on_alarm = models.BooleanField(default=False)

    class Meta:
        ordering = ["revision", "number"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "number"], name="insp_char_number_uniq"),
            models.CheckConstraint(
                condition=models.Q(lsl__isnull=True)
                | models.Q(usl__isnull=True)
                | models.Q(lsl__lt=models.F("usl")),
                name="insp_char_limits_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Stage(models.TextChoices):
    INCOMING = "incoming", "Incoming"
    FIRST_ARTICLE = "first_article", "First article"
    IN_PROCESS = "in_process", "In-process"
    FINAL = "final", "Final"
    OUTGOING = "outgoing", "Outgoing / pre-dispatch"
    REQUALIFICATION = "requalification", "Periodic re-qualification"


class InspectionPlan(QualityRecord):
    """How a part revision is inspected at one stage: which characteristics, how many of
    each are sampled, and the reaction to a failure. A change is a new plan revision, approved
    by signature; the one it replaces is superseded then."""

    part_revision = models.ForeignKey(PartRevision, on_delete=models.PROTECT, related_name="plans")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    operation = models.CharField(max_length=80, blank=True, help_text="In-process: the operation")
    plan_revision = models.CharField(max_length=10, default="A")
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField(blank=True)

    class Meta(QualityRecord.Meta):
        verbose_name = "inspection plan"
        indexes = [*record_indexes("ipl")]


class Sampling(models.TextChoices):
    HUNDRED_PERCENT = "100", "100 % inspection"
    FIXED = "fixed", "Fixed sample size"
    AQL = "aql", "ISO 2859-1 / Z1.4 single sampling"
    SKIP_LOT = "skip_lot", "Skip-lot"


class PlanItem(models.Model):
    """One characteristic of a plan and how it is sampled."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="items")
    characteristic = models.ForeignKey(Characteristic, on_delete=models.PROTECT, related_name="+")
    sampling = models.CharField(max_length=10, choices=Sampling.choices, default=Sampling.AQL)
    sample_size = models.PositiveIntegerField(null=True, blank=True, help_text="Fixed sampling")
    acceptance_number = models.PositiveIntegerField(default=0, help_text="Fixed sampling: Ac")
    inspection_level = models.CharField(max_length=4, default="II")
    aql = models.FloatField(null=True, blank=True, help_text="Percent nonconforming")
    # Skip-lot: inspect one lot in this many while the supplier keeps qualifying.
    skip_every = models.PositiveSmallIntegerField(null=True, blank=True)
    reaction = models.CharField(max_length=300, blank=True, help_text="What to do on a failure")

    class Meta:
        ordering = ["plan", "characteristic__number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "characteristic"], name="insp_item_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.characteristic_id}: {self.get_sampling_display()}"


class Verdict(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPT = "accept", "Accept"
    REJECT = "reject", "Reject"


class InspectionLot(QualityRecord):
    """A lot or batch inspected against a plan: the sample each characteristic needs (from
    the switching state in force when the lot was opened), the measurements and the verdict."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.PROTECT, related_name="lots")
    part_revision = models.ForeignKey(PartRevision, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=20, choices=Stage.choices, editable=False)
    lot_number = models.CharField(max_length=60)
    quantity = models.PositiveIntegerField()
    # Free text until the suppliers module (issue "Customers and suppliers") holds suppliers.
    supplier_name = models.CharField(max_length=200, blank=True)
    work_order = models.CharField(max_length=60, blank=True)
    verdict = models.CharField(
        max_length=10, choices=Verdict.choices, default=Verdict.PENDING, editable=False
    )
    verdict_reason = models.TextField(blank=True, editable=False)
    # The nonconformance a rejection raised (a number, as modules do not share tables).
    nonconformance_number = models.CharField(max_length=40, blank=True, editable=False)

    class Meta(QualityRecord.Meta):
        verbose_name = "inspection lot"
        indexes = [
            *record_indexes("lot"),
            models.Index(fields=["part_revision", "-created_at"], name="lot_part_recent_idx"),
        ]


class SwitchingStateName(models.TextChoices):
    NORMAL = "normal", "Normal"
    TIGHTENED = "tightened", "Tightened"
    REDUCED = "reduced", "Reduced"
    DISCONTINUED = "discontinued", "Discontinued"


class LotCheck(models.Model):
    """One characteristic of one lot: its sample and Ac/Re as fixed when the lot was opened,
    what the measurements found, and the result."""

    lot = models.ForeignKey(InspectionLot, on_delete=models.CASCADE, related_name="checks")
    characteristic = models.ForeignKey(Characteristic, on_delete=models.PROTECT, related_name="+")
    sampling = models.CharField(max_length=10, choices=Sampling.choices)
    inspection = models.CharField(
        max_length=12, choices=SwitchingStateName.choices, default=SwitchingStateName.NORMAL
    )
    code_letter = models.CharField(max_length=2, blank=True)
    sample_size = models.PositiveIntegerField()
    acceptance_number = models.PositiveIntegerField()
    rejection_number = models.PositiveIntegerField()
    # Ac of the plan one AQL step tighter, same letter (ISO 2859-1:1999 9.3.3: with Ac >= 2 a
    # lot adds 3 to the switching score only if it would have been accepted there too).
    tighter_acceptance_number = models.PositiveIntegerField(null=True, blank=True)
    measured = models.PositiveIntegerField(default=0)
    nonconforming = models.PositiveIntegerField(default=0)
    # Skipped under a skip-lot plan: no sample this time.
    skipped = models.BooleanField(default=False)
    result = models.CharField(max_length=10, choices=Verdict.choices, default=Verdict.PENDING)

    class Meta:
        ordering = ["lot", "characteristic__number"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "characteristic"], name="insp_check_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.characteristic_id}: n {self.sample_size}, Ac {self.acceptance_number}"


class MeasurementBatch(models.Model):
    """One upload of measurements (a grid save, a file, an API call). The lot's audited
    record is this batch with its content hash, not one event per value; `key` is the
    client's idempotency key, so a retried upload is recognised and never doubles data."""

    lot = models.ForeignKey(InspectionLot, on_delete=models.PROTECT, related_name="batches")
    key = models.CharField(max_length=100, unique=True)
    sha256 = models.CharField(max_length=64)
    count = models.PositiveIntegerField()
    source = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.count} measurements ({self.key})"


class Measurement(models.Model):
    """One value of one sample item of one characteristic in one lot. Narrow, written in
    batches; read by lot and by characteristic over time (its control chart)."""

    # No index of their own: the unique (lot, characteristic, sample_no) and the
    # (characteristic, measured_at) indexes lead with them, and each index costs every COPY.
    lot = models.ForeignKey(
        InspectionLot, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    characteristic = models.ForeignKey(
        Characteristic, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    batch = models.ForeignKey(MeasurementBatch, on_delete=models.PROTECT, related_name="+")
    sample_no = models.PositiveIntegerField()
    # The gauge that measured it, so an out-of-tolerance calibration finds every lot it touched.
    gauge = models.ForeignKey(
        "Gauge", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    value = models.FloatField(null=True, blank=True)
    conforming = models.BooleanField()
    defects = models.PositiveIntegerField(null=True, blank=True)
    measured_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "characteristic", "sample_no"], name="insp_meas_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["characteristic", "measured_at"], name="meas_char_time_idx"),
            models.Index(fields=["gauge", "measured_at"], name="meas_gauge_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.characteristic_id} #{self.sample_no}: {self.value}"


class SwitchingState(models.Model):
    """Where the switching rules stand for a characteristic and a supplier (ISO 2859-1:1999
    clause 9): the state, and the lot results since it was entered, which is all the rules
    need (every switch resets their counters)."""

    characteristic = models.ForeignKey(
        Characteristic, on_delete=models.PROTECT, related_name="switching_states"
    )
    # Blank for in-house production.
    supplier_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=12, choices=SwitchingStateName.choices, default=SwitchingStateName.NORMAL
    )
    since = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200, blank=True)
    # Lot results since `since`: [{"lot": "LOT-…", "accepted": bool, "nonconforming": int,
    # "acceptance_number": int}, …]
    history = models.JSONField(default=list)
    # Reduced inspection needs steady production and the responsible authority's consent.
    reduced_allowed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["characteristic", "supplier_name"], name="insp_switching_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.characteristic_id} {self.supplier_name or 'in-house'}: {self.state}"


class SwitchingEvent(models.Model):
    """A change of switching state, kept so the history is visible and audited."""

    state = models.ForeignKey(SwitchingState, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, choices=SwitchingStateName.choices)
    to_state = models.CharField(max_length=12, choices=SwitchingStateName.choices)
    reason = models.CharField(max_length=200)
    lot_number = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}: {self.reason}"


class GaugeStatus(models.TextChoices):
    """What the register says of a gauge; "due" and "overdue" follow from its next due date."""

    IN_SERVICE = "in_service", "In use"
    OUT_OF_SERVICE = "out_of_service", "Out of service"
    RETIRED = "retired", "Retired"


class Gauge(models.Model):
    """A gauge or other measuring equipment under calibration control (ISO 9001 7.1.5.2,
    ISO 13485 7.6, IATF 16949 7.1.5.2.1)."""

    identifier = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    gauge_type = models.CharField(max_length=80)
    location = models.CharField(max_length=120, blank=True)
    site = models.ForeignKey(
        "core.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    range_low = models.FloatField(null=True, blank=True)
    range_high = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    resolution = models.FloatField(null=True, blank=True)
    interval_days = models.PositiveIntegerField(default=365)
    procedure = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=GaugeStatus.choices, default=GaugeStatus.IN_SERVICE
    )
    # Kept by the calibration service: when it was last calibrated, last found within
    # tolerance as found, and when it is due next.
    last_calibrated_on = models.DateField(null=True, blank=True, editable=False)
    last_good_on = models.DateField(null=True, blank=True, editable=False)
    next_due_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["identifier"]
        indexes = [models.Index(fields=["next_due_on"], name="gauge_due_idx")]

    def __str__(self) -> str:
        return f"{self.identifier} {self.name}"


class Calibration(QualityRecord):
    """One calibration of one gauge: readings as found and as left against their tolerance,
    the result, the next due date, and who did it (an internal person, or an external lab
    whose certificate is attached); signed by whoever verifies it."""

    gauge = models.ForeignKey(Gauge, on_delete=models.PROTECT, related_name="calibrations")
    calibrated_on = models.DateField()
    external_lab = models.CharField(max_length=200, blank=True)
    certificate_number = models.CharField(max_length=80, blank=True)
    # [{"nominal": 25.0, "as_found": 25.002, "as_left": 25.001, "tolerance": 0.003}, …]
    readings = models.JSONField(default=list)
    as_found_ok = models.BooleanField(editable=False, default=True)
    as_left_ok = models.BooleanField(editable=False, default=True)
    next_due_on = models.DateField(editable=False, null=True)
    notes = models.TextField(blank=True)
    # An as-found failure: the lots measured with the gauge since its last good calibration.
    impact = models.JSONField(default=list, editable=False)
    nonconformance_number = models.CharField(max_length=40, blank=True, editable=False)

    class Meta(QualityRecord.Meta):
        verbose_name = "calibration"
        indexes = [*record_indexes("cal")]


class ControlBaseline(models.Model):
    """The frozen phase-I limits of a characteristic's control chart: new points are judged
    against them until someone recalculates on purpose, with the reason audited."""

    characteristic = models.ForeignKey(
        Characteristic, on_delete=models.PROTECT, related_name="baselines"
    )
    chart_type = models.CharField(max_length=10)
    subgroup_size = models.PositiveIntegerField()
    # The engine's limits per chart: {"xbar": {"center": …, "lcl": …, "ucl": …}, "r": {…}}.
    limits = models.JSONField()
    mean = models.FloatField()
    sigma = models.FloatField()
    points = models.PositiveIntegerField()
    frozen_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    frozen_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-frozen_at"]

    def __str__(self) -> str:
        return f"{self.characteristic_id} {self.chart_type} baseline of {self.points} points"


class GageStudy(models.Model):
    """A Gage R&R of one gauge on one characteristic, kept as an SPC study (its number here,
    as modules do not share tables), with the figures a gauge's page shows."""

    gauge = models.ForeignKey(Gauge, on_delete=models.PROTECT, related_name="gage_studies")
    characteristic = models.ForeignKey(
        Characteristic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    study_number = models.CharField(max_length=40)
    percent_grr = models.FloatField()
    percent_tolerance = models.FloatField(null=True, blank=True)
    ndc = models.IntegerField()
    verdict = models.CharField(max_length=20)
    studied_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-studied_on", "-id"]

    def __str__(self) -> str:
        return f"{self.gauge_id}: {self.study_number}"


class ChartAlarmState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"


class ChartAlarm(models.Model):
    """A run rule a new point broke on a characteristic's control chart, kept as a record the
    quality engineer works through the reaction plan (ISO 9001 8.5.1, IATF 16949 9.1.1.1):
    acknowledged with the assignable cause found and the action taken, then closed."""

    characteristic = models.ForeignKey(
        Characteristic, on_delete=models.PROTECT, related_name="alarms"
    )
    # The frozen limits the point was judged against.
    baseline = models.ForeignKey(ControlBaseline, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(InspectionLot, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        MeasurementBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The engine's chart kind ("xbar", "R", "S", "individuals", "moving_range") and rule id
    # ("nelson1", "we2").
    chart = models.CharField(max_length=20)
    rule = models.CharField(max_length=20)
    description = models.CharField(max_length=200)
    # Which of the lot's points broke it: 0 for a subgroup chart, the value's place in the
    # lot for I-MR (where each value is a point).
    point = models.PositiveIntegerField()
    value = models.FloatField()
    raised_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=12,
        choices=ChartAlarmState.choices,
        default=ChartAlarmState.OPEN,
        editable=False,
    )
    acknowledged_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    cause = models.TextField("assignable cause", blank=True)
    action = models.TextField("action taken", blank=True)
    closed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_comment = models.TextField(blank=True)
    # The nonconformance the alarm raised, when the characteristic says so (a number, as
    # modules do not share tables).
    nonconformance_number = models.CharField(max_length=40, blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            # The key the owner's notification was sent under: one alarm per broken rule.
            models.UniqueConstraint(
                fields=["baseline", "lot", "chart", "rule", "point"], name="insp_alarm_once"
            )
        ]
        indexes = [
            models.Index(fields=["characteristic", "state"], name="alarm_char_state_idx"),
            models.Index(fields=["characteristic", "-raised_at"], name="alarm_char_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.characteristic_id} {self.chart} {self.rule} ({self.state})"
