"""Trigram index for the calibration list's text search, on PostgreSQL (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("inspection", "0003_gauges_calibration_baselines")]

    operations = [
        TrigramIndexes(
            "inspection_calibration", ["number", "title", "certificate_number", "external_lab"]
        )
    ]
