"""Trigram indexes for the list's text search, on PostgreSQL (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("nonconformance", "0002_record_indexes")]

    operations = [TrigramIndexes("nonconformance_nonconformance", ["number", "title", "lot_number", "serial_numbers", "finding"])]
