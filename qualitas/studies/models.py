"""An SPC study: the data, the chart settings and what the statistics engine found."""

from __future__ import annotations

from django.db import models

from qualitas.core.models import QualityRecord, record_indexes


class ChartType(models.TextChoices):
    INDIVIDUALS = "imr", "Individuals and moving range (I-MR)"
    XBAR_R = "xbar-r", "X-bar and range (X̄-R)"
    XBAR_S = "xbar-s", "X-bar and standard deviation (X̄-S)"
    P = "p", "Fraction nonconforming (p)"
    NP = "np", "Number nonconforming (np)"
    C = "c", "Nonconformities (c)"
    U = "u", "Nonconformities per unit (u)"

    @classmethod
    def variables(cls) -> set[str]:
        return {cls.INDIVIDUALS, cls.XBAR_R, cls.XBAR_S}

    @classmethod
    def with_sizes(cls) -> set[str]:
        return {cls.P, cls.NP, cls.U}


class AnalysisKind(models.TextChoices):
    """What a study analyses: measurements on control charts (the first kind), or one of the
    design and measurement-system tools in `qualitas.studies.analyses`."""

    CHART = "chart", "Control chart and capability"
    SAMPLING = "sampling", "Acceptance sampling plan"
    VARIABLES_SAMPLING = "variables-sampling", "Variables sampling plan (s-method)"
    ARL = "arl", "Control chart design (ARL)"
    GAGE_RR = "gage-rr", "Gage R&R (crossed)"
    ATTRIBUTE_AGREEMENT = "attribute-agreement", "Attribute agreement"
    BIAS_LINEARITY = "bias-linearity", "Gage bias and linearity"
    TYPE1 = "type1", "Type 1 gauge study"
    RELIABILITY = "reliability", "Reliability (life data)"


class RuleSet(models.TextChoices):
    NELSON = "nelson", "Nelson (8 rules)"
    WESTERN_ELECTRIC = "western_electric", "Western Electric (4 rules)"


class SpcStudy(QualityRecord):
    """A statistical study of one characteristic, gauge, plan or item (ISO 9001 9.1.1 and
    7.1.5, IATF 16949 7.1.5.1.1 and 9.1.1.1): the data, the settings and the results.
    `analysis` says which: a control chart with its capability (the chart fields and `data`),
    or another analysis whose whole input is in `parameters`."""

    description = models.TextField(blank=True)
    analysis = models.CharField(
        max_length=24, choices=AnalysisKind.choices, default=AnalysisKind.CHART, editable=False
    )
    characteristic = models.CharField(
        max_length=120, blank=True, help_text="What was measured, e.g. bore diameter"
    )
    unit = models.CharField(max_length=20, blank=True)
    chart_type = models.CharField(
        max_length=10, choices=ChartType.choices, blank=True, editable=False
    )
    rules = models.CharField(
        max_length=20, choices=RuleSet.choices, default=RuleSet.NELSON, editable=False
    )
    subgroup_size = models.PositiveIntegerField(null=True, blank=True, editable=False)
    lsl = models.FloatField("lower specification limit", null=True, blank=True, editable=False)
    usl = models.FloatField("upper specification limit", null=True, blank=True, editable=False)
    target = models.FloatField(null=True, blank=True, editable=False)
    source_name = models.CharField(max_length=200, blank=True, editable=False)
    data = models.JSONField(default=dict, editable=False)
    parameters = models.JSONField(default=dict, editable=False)
    results = models.JSONField(default=dict, editable=False)

    class Meta(QualityRecord.Meta):
        verbose_name = "SPC study"
        verbose_name_plural = "SPC studies"
        indexes = [*record_indexes("spc")]
