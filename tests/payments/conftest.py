import pytest

from profiles.models import FactSource, Role
from profiles.services.bank_accounts import bank_account_record
from services_portal.casework.models import Case
from services_portal.casework.services import case_approve
from services_portal.feeds.services import feed_batch_ingest
from tests.factories import StaffFactory, birth_row

CHILDCARE = "gx-childcare-subsidy"
CARD = "6222 0212 3456 7890 128"  # a valid UnionPay-style card number (Luhn)


@pytest.fixture
def finance(db):
    return StaffFactory(role=Role.FINANCE, region_scope="450100")


@pytest.fixture
def open_case(django_capture_on_commit_callbacks, catalog, health_feed, parent):
    """A childcare-subsidy case (3600 yuan, once) that data matching opened for the parent."""
    with django_capture_on_commit_callbacks(execute=True):
        feed_batch_ingest(account=health_feed, batch_id="H-1", rows=[birth_row(parent)])
    return Case.objects.get(citizen=parent, service__code=CHILDCARE)


@pytest.fixture
def approve(caseworker, second_caseworker):
    """Approve a case: above the threshold it takes two caseworkers."""

    def approve(case: Case) -> Case:
        case = case_approve(case_id=case.pk, actor=caseworker, reason_code="criteria_met", version=case.version)
        if case.state == "awaiting_second":
            case = case_approve(
                case_id=case.pk, actor=second_caseworker, reason_code="criteria_met", version=case.version
            )
        return case

    return approve


@pytest.fixture
def approved_case(open_case, approve):
    return approve(open_case)


@pytest.fixture
def bank_account(parent):
    return bank_account_record(
        citizen=parent,
        bank_name="中国工商银行",
        account_number=CARD,
        holder_name=parent.name,
        source=FactSource.SELF_DECLARED,
    )
