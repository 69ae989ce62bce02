# Who checked a CAPA's effectiveness and when, recorded at the effectiveness step.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('capa', '0004_list_sort_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='capa',
            name='effectiveness_checked_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='effectiveness checked by'),
        ),
        migrations.AddField(
            model_name='capa',
            name='effectiveness_checked_on',
            field=models.DateField(blank=True, null=True, verbose_name='effectiveness checked on'),
        ),
    ]
