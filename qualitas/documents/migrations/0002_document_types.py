"""The document types every quality system has, with their numbering and review cycle."""

from django.db import migrations

# code, name, prefix, revision scheme, review interval (months), approval order
TYPES = [
    ("quality-manual", "Quality manual", "QM", "letters", 12, "sequential"),
    ("policy", "Policy", "POL", "letters", 24, "parallel"),
    ("procedure", "Procedure", "SOP", "letters", 24, "parallel"),
    ("work-instruction", "Work instruction", "WI", "letters", 24, "parallel"),
    ("form", "Form or template", "FRM", "letters", 36, "parallel"),
    ("specification", "Specification", "SPEC", "numbers", 24, "sequential"),
    ("drawing", "Drawing", "DWG", "letters", 36, "parallel"),
    ("external", "External document", "EXT", "letters", 12, "parallel"),
    ("record", "Record", "REC", "letters", 36, "parallel"),
]


def add_types(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for position, (code, name, prefix, scheme, months, order) in enumerate(TYPES, start=1):
        DocumentType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "prefix": prefix,
                "revision_scheme": scheme,
                "review_interval_months": months,
                "approval_order": order,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
