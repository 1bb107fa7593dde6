"""Signals' models, moved from the scoring app with their tables as they are."""

import uuid

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
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables exist already, under the scoring app's names: only Django's picture of
        # them moves (no data is copied; tables, rows, indexes and constraints stay).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Source",
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
                            "kind",
                            models.CharField(
                                choices=[
                                    ("archive", "Imported archive"),
                                    ("github", "GitHub"),
                                    ("mastodon", "Mastodon"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("network", models.CharField(max_length=32)),
                        (
                            "handle",
                            models.CharField(
                                help_text="The member's own handle, normalised.", max_length=320
                            ),
                        ),
                        (
                            "handle_hash",
                            models.BigIntegerField(
                                help_text="Handle key: the first 64 bits of the handle's keyed hash.",
                                unique=True,
                            ),
                        ),
                        ("verified", models.BooleanField(default=False)),
                        ("followers_count", models.PositiveBigIntegerField(default=0)),
                        ("following_count", models.PositiveBigIntegerField(default=0)),
                        ("account_created_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("last_synced_at", models.DateTimeField(blank=True, null=True)),
                        ("sync_cursor", models.JSONField(blank=True, null=True)),
                        (
                            "sync_status",
                            models.CharField(
                                choices=[
                                    ("idle", "Up to date"),
                                    ("queued", "Sync queued"),
                                    ("running", "Syncing"),
                                    ("retrying", "Waiting to retry"),
                                    ("error", "Needs attention"),
                                ],
                                default="idle",
                                max_length=16,
                            ),
                        ),
                        (
                            "sync_error",
                            models.CharField(
                                blank=True, help_text="Plain words for the member.", max_length=300
                            ),
                        ),
                        (
                            "next_sync_at",
                            models.DateTimeField(blank=True, db_index=True, null=True),
                        ),
                        (
                            "social_account",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="influence_source",
                                to="socialaccount.socialaccount",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sources",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scoring_source",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("file", models.FileField(max_length=255, upload_to="imports/%Y/%m/")),
                        ("original_name", models.CharField(max_length=255)),
                        ("size", models.PositiveBigIntegerField(default=0)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Reading the archive"),
                                    ("scoring", "Scoring…"),
                                    ("done", "Done"),
                                    ("failed", "Refused"),
                                ],
                                default="queued",
                                max_length=16,
                            ),
                        ),
                        ("bytes_done", models.PositiveBigIntegerField(default=0)),
                        ("lines_done", models.PositiveBigIntegerField(default=0)),
                        ("interactions", models.PositiveBigIntegerField(default=0)),
                        ("content_sha256", models.CharField(blank=True, max_length=64)),
                        ("errors", models.JSONField(blank=True, default=list)),
                        ("message", models.CharField(blank=True, max_length=500)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="imports",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to="signals.source",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scoring_importjob",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="Post",
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
                        ("post_id", models.CharField(max_length=200)),
                        ("at", models.DateTimeField()),
                        ("tags", models.JSONField(default=list)),
                        ("terms", models.JSONField(default=list)),
                        (
                            "engagers",
                            models.PositiveIntegerField(default=0, help_text="Distinct engagers."),
                        ),
                        ("likes", models.PositiveIntegerField(default=0)),
                        ("reshares", models.PositiveIntegerField(default=0)),
                        ("replies", models.PositiveIntegerField(default=0)),
                        ("mentions", models.PositiveIntegerField(default=0)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="posts",
                                to="signals.source",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scoring_post",
                        "indexes": [
                            models.Index(
                                fields=["user", "at"], name="scoring_pos_user_id_43c73d_idx"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(fields=("source", "post_id"), name="uniq_post")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ImportedContent",
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
                        ("content_sha256", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "source",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="imported_contents",
                                to="signals.source",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scoring_importedcontent",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("source", "content_sha256"), name="uniq_import_content"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Follow",
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
                            "counterpart",
                            models.BigIntegerField(
                                help_text="Handle key (a truncated keyed hash)."
                            ),
                        ),
                        (
                            "direction",
                            models.CharField(
                                choices=[
                                    ("follower", "Follows the member"),
                                    ("following", "Followed by the member"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("at", models.DateTimeField()),
                        (
                            "user",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="%(class)ss",
                                to="signals.source",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scoring_follow",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("source", "counterpart", "direction"), name="uniq_follow"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Engagement",
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
                            "counterpart",
                            models.BigIntegerField(
                                help_text="Handle key (a truncated keyed hash)."
                            ),
                        ),
                        ("kind", models.CharField(max_length=16)),
                        (
                            "direction",
                            models.CharField(
                                choices=[("in", "Received"), ("out", "Given")], max_length=3
                            ),
                        ),
                        ("count", models.PositiveIntegerField()),
                        ("first_at", models.DateTimeField()),
                        ("last_at", models.DateTimeField()),
                        (
                            "user",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "source",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="%(class)ss",
                                to="signals.source",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "scoring_engagement",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("source", "counterpart", "kind", "direction"),
                                name="uniq_engagement",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[
                move_content_types(
                    "signals",
                    ("source", "importjob", "importedcontent", "post", "engagement", "follow"),
                )
            ],
        ),
    ]
