# The files whose text could not be read for search (issue 10, finding 5).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_revision_visibility_index")]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="unread_files",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
