"""Trigram indexes for the lists' text search, on PostgreSQL (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("inspection", "0001_initial")]

    operations = [
        TrigramIndexes("inspection_inspectionplan", ["number", "title"]),
        TrigramIndexes(
            "inspection_inspectionlot",
            ["number", "title", "lot_number", "supplier_name", "work_order"],
        ),
    ]
