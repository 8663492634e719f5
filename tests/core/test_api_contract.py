"""The API contract: every operation answers only what the published schema says it answers.

schemathesis reads the portal's own schema (/api/schema/) and sends generated requests, valid and
invalid, through the WSGI app with every check it has (`--checks all`): no 5xx, only documented status
codes and content types, bodies matching their schemas, invalid input refused, authentication not ignored.
It does so as an anonymous visitor, a citizen, a caseworker and a department feed, operation by operation
and then in sequences that follow the schema's OpenAPI links (a list's id into its detail, approve...).

By hand, against a running portal: see README.md, "The API contract".
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import TestCase
from django.utils.translation import gettext_lazy
from hypothesis.internal.conjecture import providers
from knox.models import AuthToken
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.specs.openapi.checks import positive_data_acceptance

from profiles.models import ConsentChannel, Role
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant, personalisation_set
from profiles.services.facts import facts_self_declare
from services_portal.feeds.services import feed_batch_ingest
from services_portal.notifications.models import NotificationKind
from services_portal.notifications.services import notification_create
from tests import api_contract_checks  # noqa: F401 - registers the portal's own checks
from tests.conftest import catalog_present, data_shared_by_tests
from tests.factories import StaffFactory, birth_row, citizen_make

ROLES = ["anonymous", "citizen", "caseworker", "feed"]
# replaced by api_contract_checks.positive_data_acceptance_beyond_the_schema
EXCLUDED_CHECKS = [positive_data_acceptance]
# Enough to find what a role can break, few enough for CI: about 40 operations x 4 roles.
EXAMPLES_PER_OPERATION = 20
STATEFUL_SCENARIOS = 15
# Every run tries the same inputs: a failure in CI is one a developer can reproduce.
FUZZ = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    print_blob=True,
)
# And the same inputs whatever else changes in the portal: schemathesis would otherwise mix in literals it
# harvests from the view modules and their imports, so that moving code, or a new constant anywhere in it,
# changed what every test sends. The inputs come from the schema alone (its enums, patterns and links).
SCHEMATHESIS_CONFIG = schemathesis.Config.from_dict({"analysis": {"constants": {"enabled": False}}})
NO_LOCAL_CONSTANTS = providers.Constants()


class _UnlimitedRates(dict):
    """Every throttle scope at a rate the fuzzer never reaches: 429 is tested on its own elsewhere."""

    def __missing__(self, scope: str) -> str:
        return "1000000/minute"


@pytest.fixture(autouse=True)
def _one_connection_for_the_test():
    """schemathesis calls the WSGI app itself, whose request signals close the database connection at
    the end of each request, and with it the test's transaction (on PostgreSQL). Django's own test
    client keeps it open by the same means as here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", _UnlimitedRates())


@pytest.fixture(autouse=True)
def _no_constants_from_the_source(monkeypatch):
    """Hypothesis itself mixes in literals from every project module imported so far, with no setting to
    turn it off: the inputs would change with any edit to the portal, and with which tests ran before.
    Its own list of awkward values stays. (A private function: if Hypothesis renames it, this fails
    loudly rather than letting the inputs drift.)"""
    monkeypatch.setattr(providers, "_get_local_constants", lambda: NO_LOCAL_CONSTANTS)
    providers.CONSTANTS_CACHE.cache.clear()  # what earlier tests drew from the modules they had imported
    yield
    providers.CONSTANTS_CACHE.cache.clear()


@contextmanager
def _rolled_back():
    """One example or scenario's writes, undone after it: each starts from the role's data alone, so that
    Hypothesis finds the same answers, and so the same links to follow, when it runs an example again
    (a case approved or a token revoked by an earlier example made it fail as flaky)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _credentials(case, headers: dict[str, str]) -> dict[str, str]:
    """The role's Authorization header, except on a negative case that leaves it out on purpose to be
    refused: sent anyway, it would turn the case into a valid one that schemathesis still expects refused."""
    return {} if case.operation.schema.is_security_param_negated(case) else headers


def _citizen_with_a_case_and_a_message(feed, capture):
    """A Nanning parent with every consent, facts of their own, a childcare case the feed's birth opened, and
    a message in the inbox."""
    citizen = citizen_make(region_code="450103")
    for purpose in Purpose:
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    personalisation_set(citizen=citizen, enabled=True)
    facts_self_declare(citizen=citizen, values={"household_size": 3, "employment_status": "employed"})
    with capture(execute=True):
        feed_batch_ingest(account=feed, batch_id="H-1", rows=[birth_row(citizen), {"resident_id": "x"}])
    notification_create(
        citizen=citizen,
        kind=NotificationKind.CASE_DECISION,
        idempotency_key="contract",
        title=gettext_lazy("Approved: %(service)s"),
        body=gettext_lazy("Your benefit was approved. You do not need to apply."),
        params={"zh-hans": {"service": "育儿补贴"}, "en": {"service": "Childcare subsidy"}},
        link="/me/cases/",
    )
    return citizen


@pytest.fixture(scope="module")
def _accounts_shared(role, django_db_blocker, catalog_data) -> dict[str, dict[str, str]]:
    with data_shared_by_tests(django_db_blocker):
        if role == "anonymous":
            yield {"anonymous": {}}
            return
        catalog_present(catalog_data)
        feed = StaffFactory(username="health-feed", role=Role.DEPARTMENT_FEED, department="health", region_scope="")
        users = {"feed": feed}
        if role == "feed":
            feed_batch_ingest(account=feed, batch_id="H-0", rows=[{"resident_id": "x"}])
        else:
            users["citizen"] = _citizen_with_a_case_and_a_message(feed, TestCase.captureOnCommitCallbacks).user
            users["caseworker"] = StaffFactory(username="caseworker", role=Role.CASEWORKER, region_scope="450100")
        yield {role: {"Authorization": f"Token {AuthToken.objects.create(users[role])[1]}"}}


@pytest.fixture
def accounts(_accounts_shared, db, catalog) -> dict[str, dict[str, str]]:
    """The Authorization header of each role, after making only what that role can see: the citizen's own
    data and case (citizen), a case in the queue of a caseworker over Nanning, 4501 (caseworker), a batch the
    health department's feed delivered (feed). Made once for all the tests of a role (the role is a
    module-wide parameter, so that pytest runs them together); each test rolls back what it changes."""
    return _accounts_shared


# The schema as the portal serves it. Loading it reads no database, so it can happen at collection,
# which gives each operation a test of its own.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=SCHEMATHESIS_CONFIG)


@pytest.mark.parametrize("role", ROLES, scope="module")
@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case, role, accounts):
    with _rolled_back():
        case.call_and_validate(headers=_credentials(case, accounts[role]), excluded_checks=EXCLUDED_CHECKS)


@pytest.mark.parametrize("role", ROLES, scope="module")
def test_sequences_along_the_links_answer_as_documented(accounts, role):
    headers = accounts[role]

    class Sequences(schema.as_state_machine()):
        def setup(self):
            self.undo = ExitStack()
            self.undo.enter_context(_rolled_back())

        def teardown(self):
            self.undo.close()

        def get_call_kwargs(self, case):
            return {"headers": _credentials(case, headers)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                excluded_checks=EXCLUDED_CHECKS,
                headers=_credentials(case, headers),
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    Sequences.run(
        settings=hypothesis.settings(
            FUZZ, max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, phases=[hypothesis.Phase.generate]
        )
    )
