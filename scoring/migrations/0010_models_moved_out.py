"""Signals' and moderation's models left this app; their tables stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0009_signal_row_base"),
        ("signals", "0001_initial"),
        ("moderation", "0001_initial"),
    ]

    operations = [
        # Only the state: the tables now belong to signals and moderation, under these names.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="DeniedTopic",
                ),
                migrations.RemoveField(
                    model_name="engagement",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="engagement",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="follow",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="follow",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="importedcontent",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="importjob",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="importjob",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="post",
                    name="source",
                ),
                migrations.RemoveField(
                    model_name="post",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="source",
                    name="social_account",
                ),
                migrations.RemoveField(
                    model_name="source",
                    name="user",
                ),
                migrations.DeleteModel(
                    name="Dispute",
                ),
                migrations.DeleteModel(
                    name="Engagement",
                ),
                migrations.DeleteModel(
                    name="Follow",
                ),
                migrations.DeleteModel(
                    name="ImportedContent",
                ),
                migrations.DeleteModel(
                    name="ImportJob",
                ),
                migrations.DeleteModel(
                    name="Post",
                ),
                migrations.DeleteModel(
                    name="Source",
                ),
            ],
        ),
    ]
