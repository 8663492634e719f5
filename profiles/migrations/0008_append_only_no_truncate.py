"""The consent ledger and the access log also refuse TRUNCATE, even from the tables' owner.

A BEFORE TRUNCATE statement trigger (PostgreSQL only). The application's own role has no TRUNCATE
privilege at all (`manage.py db_roles`); this guards the owner against an accident. A deliberate
truncation (the test suite's flush between transactional tests) first sets `portal.allow_truncate`
to `on` for its session.
"""

from django.db import migrations

TABLES = ("profiles_consentevent", "profiles_accesslogentry")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION portal_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('portal.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'table % is append-only: TRUNCATE refused', TG_TABLE_NAME
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
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION portal_refuse_truncate();"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_refuse_truncate();")


class Migration(migrations.Migration):
    dependencies = [("profiles", "0007_one_time_codes")]
    operations = [migrations.RunPython(install, remove)]
