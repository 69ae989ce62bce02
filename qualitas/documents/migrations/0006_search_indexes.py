"""Trigram indexes for the list's text search, on PostgreSQL (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_record_indexes")]

    operations = [TrigramIndexes("documents_documentrevision", ["number", "title"])]
