"""The API contract: every operation answers only what the published schema says it answers.

schemathesis reads the portal's own schema (/api/schema/) and sends generated requests, valid and
invalid, through the WSGI app with every check it has (`--checks all`): no 5xx, only documented status
codes and content types, bodies matching their schemas, invalid input refused, authentication not ignored.
It does so as an anonymous visitor, a citizen, a caseworker and a department feed, operation by operation
and then in sequences that follow the schema's OpenAPI links (a list's id into its detail, approve...).

By hand, against a running portal: see README.md, "The API contract".
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils.translation import gettext_lazy
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


@pytest.fixture
def accounts(request, db, catalog, django_capture_on_commit_callbacks) -> dict[str, dict[str, str]]:
    """The Authorization header of each role, after making only what that role can see: the citizen's own
    data and case (citizen), a case in the queue of a caseworker over Nanning, 4501 (caseworker), a batch the
    health department's feed delivered (feed)."""
    role = request.getfixturevalue("role")
    if role == "anonymous":
        return {"anonymous": {}}
    feed = StaffFactory(username="health-feed", role=Role.DEPARTMENT_FEED, department="health", region_scope="")
    users = {"feed": feed}
    if role == "feed":
        feed_batch_ingest(account=feed, batch_id="H-0", rows=[{"resident_id": "x"}])
    else:
        users["citizen"] = _citizen_with_a_case_and_a_message(feed, django_capture_on_commit_callbacks).user
        users["caseworker"] = StaffFactory(username="caseworker", role=Role.CASEWORKER, region_scope="450100")
    return {role: {"Authorization": f"Token {AuthToken.objects.create(users[role])[1]}"}}


# The schema as the portal serves it. Loading it reads no database, so it can happen at collection,
# which gives each operation a test of its own.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case, role, accounts):
    case.call_and_validate(headers=accounts[role], excluded_checks=EXCLUDED_CHECKS)


@pytest.mark.parametrize("role", ROLES)
def test_sequences_along_the_links_answer_as_documented(accounts, role):
    headers = accounts[role]

    class Sequences(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                excluded_checks=EXCLUDED_CHECKS,
                headers=headers,
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    Sequences.run(
        settings=hypothesis.settings(
            FUZZ, max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, phases=[hypothesis.Phase.generate]
        )
    )
