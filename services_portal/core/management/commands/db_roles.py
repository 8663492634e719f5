"""Grant the application's database role what it may do, and nothing more. PostgreSQL only.

Run as the role that owns the schema, after every `migrate` (it is idempotent):

    python manage.py migrate --database owner
    python manage.py db_roles               # the app role is DATABASE_URL's user, or --app-role

The app role gets SELECT, INSERT, UPDATE and DELETE on every table and the use of every sequence,
except on the append-only tables (models with `append_only = True`: the consent ledger, the access
log, the case history), where it may only INSERT and SELECT. It never gets TRUNCATE, REFERENCES or
TRIGGER, and must own no table: an owner could drop the triggers that guard the append-only tables.
Default privileges make tables that a later migration creates usable at once; run the command again
after each migration all the same, so that a new append-only table loses UPDATE and DELETE.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import sql

TABLE_DML = "SELECT, INSERT, UPDATE, DELETE"


def append_only_tables() -> list[str]:
    return sorted(model._meta.db_table for model in apps.get_models() if getattr(model, "append_only", False))


class Command(BaseCommand):
    help = "Grant the application's PostgreSQL role its privileges (run as the schema owner after migrate)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            default="owner" if "owner" in connections.settings else DEFAULT_DB_ALIAS,
            help="the connection of the owner role (default: 'owner' when DATABASE_OWNER_URL is set)",
        )
        parser.add_argument(
            "--app-role",
            default="",
            help="the application's role (default: the user of DATABASE_URL)",
        )
        parser.add_argument("--schema", default="public")

    def handle(self, *args, database, app_role, schema, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("db_roles manages PostgreSQL roles; this database is " + connection.vendor)
        app_role = app_role or connections[DEFAULT_DB_ALIAS].settings_dict.get("USER") or ""
        if not app_role:
            raise CommandError("name the application's role: --app-role, or a user in DATABASE_URL")
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
            found = cursor.fetchone()
            cursor.execute("SELECT current_user")
            owner = cursor.fetchone()[0]
            if found is None:
                raise CommandError(f"role {app_role} does not exist: CREATE ROLE {app_role} LOGIN PASSWORD '…'")
            if found[0]:
                raise CommandError(f"role {app_role} is a superuser: no privilege would bind it")
            if app_role == owner:
                raise CommandError(f"run db_roles as the owner role, not as the application's role {app_role}")
            owned = self.owned_by(cursor, app_role, schema)
            if owned:
                raise CommandError(
                    f"role {app_role} owns {', '.join(owned)}: the owner role must own them "
                    f"(REASSIGN OWNED BY {app_role} TO {owner})"
                )
            for statement in self.statements(app_role=app_role, schema=schema):
                cursor.execute(statement)
        self.stdout.write(f"{app_role}: read and write on {schema}, append only on {', '.join(append_only_tables())}")

    @staticmethod
    def owned_by(cursor, role: str, schema: str) -> list[str]:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND pg_get_userbyid(c.relowner) = %s ORDER BY 1",
            [schema, role],
        )
        return [name for (name,) in cursor.fetchall()]

    @staticmethod
    def statements(*, app_role: str, schema: str) -> list[sql.Composed]:
        role, namespace = sql.Identifier(app_role), sql.Identifier(schema)
        statements = [
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(namespace, role),
            sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(namespace, role),
            sql.SQL("GRANT " + TABLE_DML + " ON ALL TABLES IN SCHEMA {} TO {}").format(namespace, role),
            sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {} FROM {}").format(namespace, role),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(namespace, role),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT " + TABLE_DML + " ON TABLES TO {}").format(
                namespace, role
            ),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
                namespace, role
            ),
        ]
        for table in append_only_tables():
            statements.append(
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {}.{} FROM {}").format(
                    namespace, sql.Identifier(table), role
                )
            )
        return statements
