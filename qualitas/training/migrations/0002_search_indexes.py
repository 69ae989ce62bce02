"""Trigram index for the training record list's text search (core.search)."""

from django.db import migrations

from qualitas.core.search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [
        TrigramIndexes("training_trainingrecord", ["number", "title", "document_number"])
    ]
