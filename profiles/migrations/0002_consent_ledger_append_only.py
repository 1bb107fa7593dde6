"""The consent ledger is append-only: a PostgreSQL trigger refuses UPDATE and DELETE.

The trigger lets a change through only while the transaction-local setting
``influence.account_erasure`` is on, which only the account erasure service sets
(``profiles.models.append_only_erasure``). On SQLite the model and queryset refuse instead.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION influence_append_only() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('influence.account_erasure', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused outside account erasure', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def trigger_sql(table: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; "
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION influence_append_only();"
    )


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # no placeholders: % is PL/pgSQL here
    schema_editor.execute(trigger_sql("profiles_consentrecord"))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS profiles_consentrecord_append_only ON profiles_consentrecord"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consentrecord",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consent_records",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(create, drop),
    ]
