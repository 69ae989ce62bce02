"""Trigram indexes for the audit and finding lists' text search, on PostgreSQL (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]

    operations = [
        TrigramIndexes("audits_audit", ["number", "title", "audited_organisation"]),
        TrigramIndexes(
            "audits_finding", ["number", "title", "nonconformance_number", "capa_number"]
        ),
        TrigramIndexes("audits_auditprogramme", ["number", "title"]),
    ]
