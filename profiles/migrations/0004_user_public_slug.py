import secrets

from django.db import migrations, models

import profiles.models


def fill(apps, schema_editor):
    User = apps.get_model("profiles", "User")
    for user in User.objects.filter(public_slug__isnull=True).only("pk"):
        User.objects.filter(pk=user.pk).update(public_slug=secrets.token_urlsafe(16))


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0003_consent_receipt"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="public_slug",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="public_slug",
            field=models.CharField(
                default=profiles.models.new_public_slug,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
    ]
