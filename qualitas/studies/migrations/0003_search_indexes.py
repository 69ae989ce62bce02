"""Trigram indexes for the list's text search, on PostgreSQL (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("studies", "0002_record_indexes")]

    operations = [TrigramIndexes("studies_spcstudy", ["number", "title"])]
