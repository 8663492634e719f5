"""The application runs as a database role that owns nothing and may only append to the append-only
tables (the consent ledger, the access log, the case history); migrations run as the owner role, and
`manage.py db_roles` grants the app role its privileges. PostgreSQL only.

The suite itself connects as a superuser (pytest-django must create the test database); these tests take
on the application's role inside the test's transaction with SET LOCAL ROLE, as the running portal would
be, after running `db_roles` for it against the test database."""

import os

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from profiles.models import AccessChannel, AccessPurpose, Citizen, ConsentEvent, Role
from profiles.purposes import Purpose
from profiles.services.access import access_record
from profiles.services.consent import consent_grant
from services_portal.core.management.commands.db_roles import append_only_tables
from tests.conftest import postgres_only
from tests.factories import StaffFactory

APP_ROLE = os.environ.get("PORTAL_APP_ROLE", "portal_app")
APPEND_ONLY = ["casework_caseevent", "payments_paymentevent", "profiles_accesslogentry", "profiles_consentevent"]


def sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def refused(statement: str, params=None) -> str:
    """Run `statement` in its own savepoint; assert the database refuses it and return why."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        sql(statement, params)
    return str(caught.value)


@pytest.fixture
def app_role(db):
    """The application's role, with the privileges `db_roles` grants it on the test database. CI creates the
    role beforehand (.ci/run); elsewhere it is created inside the test's transaction and rolled back."""
    postgres_only("database roles and privileges are PostgreSQL's")
    if not sql("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]):
        sql(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    call_command("db_roles", app_role=APP_ROLE, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return APP_ROLE


@pytest.fixture
def as_app(app_role):
    """From here on, the test's connection acts as the application's role (until the test's rollback)."""
    sql(f"SET LOCAL ROLE {app_role}")
    yield app_role
    sql("RESET ROLE")


@pytest.fixture
def ledger_row(db, citizen):
    return consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel="web")


def test_the_append_only_tables_are_the_ledger_the_access_log_and_the_case_history():
    assert append_only_tables() == APPEND_ONLY


def test_the_apps_role_appends_to_and_reads_the_consent_ledger(citizen, as_app):
    # when the portal, as its own role, records a grant and reads the ledger back
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel="web")
    # then both work
    assert sql("SELECT current_user")[0][0] == as_app
    assert list(ConsentEvent.objects.filter(citizen=citizen).values_list("purpose", flat=True)) == [
        Purpose.DATA_MATCHING
    ]


def test_the_apps_role_appends_to_the_access_log(citizen, as_app):
    entry = access_record(
        actor=StaffFactory(role=Role.CASEWORKER),
        subject=citizen,
        fields=["name"],
        purpose=AccessPurpose.CASEWORK,
        channel=AccessChannel.API,
    )
    assert sql("SELECT subject_id FROM profiles_accesslogentry WHERE id = %s", [entry.pk]) == [(citizen.pk,)]


def test_the_apps_role_cannot_update_delete_or_truncate_the_consent_ledger(ledger_row, as_app):
    # given a ledger row; when the portal's role tries to rewrite, remove or empty the ledger
    for statement in (
        "UPDATE profiles_consentevent SET granted = NOT granted WHERE id = %s",
        "DELETE FROM profiles_consentevent WHERE id = %s",
    ):
        # then the privilege check refuses it, before any trigger is reached
        assert "permission denied for table profiles_consentevent" in refused(statement, [ledger_row.pk])
    assert "permission denied for table profiles_consentevent" in refused("TRUNCATE profiles_consentevent")
    # and the ORM's way is refused alike
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        ConsentEvent.objects.filter(pk=ledger_row.pk).update(granted=False)
    assert ConsentEvent.objects.filter(pk=ledger_row.pk, granted=True).exists()


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_apps_role_cannot_truncate_or_update_any_append_only_table(as_app, table):
    assert f"permission denied for table {table}" in refused(f"TRUNCATE {table}")  # noqa: S608
    assert f"permission denied for table {table}" in refused(f"UPDATE {table} SET id = id")  # noqa: S608
    assert f"permission denied for table {table}" in refused(f"DELETE FROM {table}")  # noqa: S608


def test_the_apps_role_keeps_ordinary_read_and_write_on_the_other_tables(citizen, as_app):
    # when the portal's role changes an ordinary row
    Citizen.objects.filter(pk=citizen.pk).update(name="李四")
    # then it is changed; but no table at all can be emptied by the portal's role
    assert Citizen.objects.get(pk=citizen.pk).name == "李四"
    assert "permission denied for table profiles_citizen" in refused("TRUNCATE profiles_citizen CASCADE")


def test_the_apps_role_owns_no_table_and_db_roles_refuses_one_that_does(app_role):
    # given the privileges granted; then the app role owns no table, sequence or view
    owned = sql("SELECT relname FROM pg_class WHERE pg_get_userbyid(relowner) = %s", [app_role])
    assert owned == []
    # when a table ends up owned by the app role, db_roles refuses and says how to fix it
    sql("CREATE TABLE stray_table (id int)")
    sql(f"ALTER TABLE stray_table OWNER TO {app_role}")
    with pytest.raises(CommandError, match="owns stray_table"):
        call_command("db_roles", app_role=app_role)


def test_db_roles_refuses_a_superuser_as_the_apps_role(app_role):
    current = sql("SELECT current_user")[0][0]
    with pytest.raises(CommandError):
        call_command("db_roles", app_role=current)


def test_even_the_owner_cannot_truncate_an_append_only_table_by_accident(ledger_row, catalog):
    postgres_only("the TRUNCATE triggers are PostgreSQL's")
    # given a session that did not say it means to truncate (the suite's own connections do, for flushing)
    sql("SET LOCAL portal.allow_truncate = 'off'")
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check of this transaction's rows
    for table in APPEND_ONLY:
        # when the owner (here a superuser, whom no privilege binds) truncates; then the trigger refuses
        assert f"table {table} is append-only: TRUNCATE refused" in refused(f"TRUNCATE {table} CASCADE")
    assert ConsentEvent.objects.filter(pk=ledger_row.pk).exists()


def test_every_append_only_table_has_both_guarding_triggers(db):
    postgres_only("the triggers are PostgreSQL's")
    for table in append_only_tables():
        triggers = {name for (name,) in sql("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass", [table])}
        assert {f"{table}_append_only", f"{table}_no_truncate"} <= triggers, table
