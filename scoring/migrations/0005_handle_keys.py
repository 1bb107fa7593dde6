"""Counterparts and source handles become handle keys: BIGINT, the first 64 bits of the
HMAC-SHA256 that was stored in hex. Existing rows are converted exactly (the key is the
first 16 hex digits read as a signed big-endian integer), so nothing needs re-importing.
The per-run node table goes: runs number their graph in memory now.
"""

from django.db import migrations, models

TABLES = (
    ("scoring_engagement", "counterpart"),
    ("scoring_follow", "counterpart"),
    ("scoring_source", "handle_hash"),
)


def to_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table, column in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} SET {column}_key = "
                    f"('x' || left({column}, 16))::bit(64)::bigint"
                )
                continue
            cursor.execute(f"SELECT id, {column} FROM {table}")
            rows = [
                (int.from_bytes(bytes.fromhex(value[:16]), "big", signed=True), pk)
                for pk, value in cursor.fetchall()
            ]
            cursor.executemany(f"UPDATE {table} SET {column}_key = %s WHERE id = %s", rows)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0004_import_status_label")]

    operations = [
        migrations.RemoveConstraint("engagement", "uniq_engagement"),
        migrations.RemoveConstraint("follow", "uniq_follow"),
        migrations.RemoveIndex("engagement", "scoring_eng_counter_397cbe_idx"),
        migrations.RemoveIndex("follow", "scoring_fol_counter_ed1e9d_idx"),
        migrations.AddField("engagement", "counterpart_key", models.BigIntegerField(null=True)),
        migrations.AddField("follow", "counterpart_key", models.BigIntegerField(null=True)),
        migrations.AddField("source", "handle_hash_key", models.BigIntegerField(null=True)),
        migrations.RunPython(to_keys, migrations.RunPython.noop),
        migrations.RemoveField("engagement", "counterpart"),
        migrations.RemoveField("follow", "counterpart"),
        migrations.RemoveField("source", "handle_hash"),
        migrations.RenameField("engagement", "counterpart_key", "counterpart"),
        migrations.RenameField("follow", "counterpart_key", "counterpart"),
        migrations.RenameField("source", "handle_hash_key", "handle_hash"),
        migrations.AlterField(
            "engagement",
            "counterpart",
            models.BigIntegerField(help_text="Handle key (a truncated keyed hash)."),
        ),
        migrations.AlterField(
            "follow",
            "counterpart",
            models.BigIntegerField(help_text="Handle key (a truncated keyed hash)."),
        ),
        migrations.AlterField(
            "source",
            "handle_hash",
            models.BigIntegerField(
                unique=True,
                help_text="Handle key: the first 64 bits of the handle's keyed hash.",
            ),
        ),
        migrations.AddConstraint(
            "engagement",
            models.UniqueConstraint(
                fields=("source", "counterpart", "kind", "direction"), name="uniq_engagement"
            ),
        ),
        migrations.AddConstraint(
            "follow",
            models.UniqueConstraint(
                fields=("source", "counterpart", "direction"), name="uniq_follow"
            ),
        ),
        migrations.DeleteModel("RunNode"),
    ]
