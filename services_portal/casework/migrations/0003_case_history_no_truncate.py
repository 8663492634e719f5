"""The case history also refuses TRUNCATE, even from its owner (see profiles' migration 0008)."""

from django.db import migrations

TABLE = "casework_caseevent"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_truncate();"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_case_history_append_only"), ("profiles", "0008_append_only_no_truncate")]
    operations = [migrations.RunPython(install, remove)]
