"""Run artefacts are raw arrays that hardly compress: store them out of line without
compression on PostgreSQL (pglz made writing a 1M-member run's 100 MB several times
slower, for nothing)."""

from django.db import migrations


def storage_external(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE scoring_runartefact ALTER COLUMN data SET STORAGE EXTERNAL"
        )


def storage_extended(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE scoring_runartefact ALTER COLUMN data SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0011_runs_batches_artefacts")]

    operations = [migrations.RunPython(storage_external, storage_extended)]
