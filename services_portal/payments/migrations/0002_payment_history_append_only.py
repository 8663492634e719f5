"""Payment history rows cannot be edited, deleted or truncated: on PostgreSQL triggers refuse it.

Uses the functions that profiles' migrations 0003 and 0008 create for the consent ledger and the access log.
"""

from django.db import migrations

TABLE = "payments_paymentevent"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_truncate();"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_payments_batches_history"), ("profiles", "0008_append_only_no_truncate")]
    operations = [migrations.RunPython(install, remove)]
