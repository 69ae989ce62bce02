"""Checklist evidence: which attachment of an audit supports which checklist answer."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0002_search_indexes"),
        ("core", "0012_alter_signature_meaning"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChecklistEvidence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "attachment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.attachment",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="evidence",
                        to="audits.checklistitem",
                    ),
                ),
            ],
            options={
                "verbose_name": "checklist evidence",
                "verbose_name_plural": "checklist evidence",
                "ordering": ["id"],
                "constraints": [
                    models.UniqueConstraint(fields=("attachment",), name="audits_evidence_one_item")
                ],
            },
        ),
    ]
