"""Trigram index for the change request list's text search, on PostgreSQL (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [TrigramIndexes("changes_changerequest", ["number", "title", "scope_parts"])]
