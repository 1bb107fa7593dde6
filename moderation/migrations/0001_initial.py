"""Moderation's models, moved from the scoring app with their tables as they are."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def move_content_types(app_label: str, models: tuple[str, ...]):
    """Content types (and so permissions and admin history) follow the models."""

    def forward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if not ContentType.objects.filter(app_label=app_label, model=model).exists():
                ContentType.objects.filter(app_label="scoring", model=model).update(
                    app_label=app_label
                )

    def backward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        ContentType.objects.filter(app_label=app_label, model__in=models).update(
            app_label="scoring"
        )

    return migrations.RunPython(forward, backward)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("scoring", "0009_signal_row_base"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist already, under the scoring app's names: only Django's picture of
        # them moves (no data is copied; tables, rows, indexes and constraints stay).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DeniedTopic",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("label", models.CharField(max_length=100, unique=True)),
                        ("reason", models.CharField(max_length=300)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        "db_table": "scoring_deniedtopic",
                        "ordering": ["label"],
                    },
                ),
                migrations.CreateModel(
                    name="Dispute",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "subject",
                            models.CharField(
                                choices=[
                                    ("score", "My score"),
                                    ("flag", "A gaming flag"),
                                    ("topic", "A topic"),
                                ],
                                max_length=8,
                            ),
                        ),
                        (
                            "detail",
                            models.CharField(
                                blank=True,
                                help_text="The flag kind or topic label disputed.",
                                max_length=100,
                            ),
                        ),
                        ("reason", models.TextField(max_length=2000)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "Waiting for a moderator"),
                                    ("upheld", "Upheld"),
                                    ("rejected", "Rejected"),
                                ],
                                db_index=True,
                                default="open",
                                max_length=8,
                            ),
                        ),
                        ("resolution", models.TextField(blank=True, max_length=2000)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "resolved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="disputes",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scoring_dispute",
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "open")),
                                fields=("user", "subject", "detail"),
                                name="one_open_dispute_per_subject",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[move_content_types("moderation", ("dispute", "deniedtopic"))],
        ),
    ]
