"""Case history rows cannot be edited or deleted: on PostgreSQL a trigger refuses it.

Uses the function that profiles' migration 0003 creates for the consent ledger and the access log.
"""

from django.db import migrations

TABLE = "casework_caseevent"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial"), ("profiles", "0003_append_only_triggers")]
    operations = [migrations.RunPython(install, remove)]
