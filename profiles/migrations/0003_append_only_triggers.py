"""The consent ledger and the access log refuse UPDATE and DELETE in the database itself.

PostgreSQL only: SQLite (the embedded default) relies on the code having no such path.
"""

from django.db import migrations

TABLES = ("profiles_consentevent", "profiles_accesslogentry")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # its % are PL/pgSQL placeholders, not ours
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("profiles", "0002_citizens_consent_access")]
    operations = [migrations.RunPython(install, remove)]
