"""The bank account benefits are paid into: checked, encrypted in the database, shown masked, erased with
the account, in the person's export."""

import pytest
from django.db import connection

from profiles.models import BankAccount, FactSource
from profiles.selectors import bank_account_of, citizen_export
from profiles.services.accounts import citizen_erase
from profiles.services.bank_accounts import bank_account_record
from services_portal.core.errors import PortalError
from tests.factories import MODEL_BACKEND
from tests.payments.conftest import CARD


def record(citizen, **changes):
    given = {
        "citizen": citizen,
        "bank_name": "中国工商银行",
        "account_number": CARD,
        "holder_name": citizen.name,
        "source": FactSource.SELF_DECLARED,
    }
    return bank_account_record(**{**given, **changes})


def test_an_account_is_stored_encrypted_and_shown_masked(citizen):
    # when the person gives their card number with spaces
    account = record(citizen)
    # then the digits are kept, the masked form shows only the ends
    assert bank_account_of(citizen).account_number == "6222021234567890128"
    assert account.masked == "6222 **** **** 0128"
    # and the database column holds no digits of it
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_number FROM profiles_bankaccount WHERE id = %s", [account.pk])
        [stored] = cursor.fetchone()
    assert "6222021234567890128" not in stored and "7890" not in stored


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", "account_number_required"),
        ("6222-0212-3456", "account_number_digits"),
        ("12345678901", "account_number_length"),
        ("12345678901234567890", "account_number_length"),
        ("6222021234567890127", "account_number_check"),  # a card number with a wrong check digit
    ],
)
def test_a_bad_number_is_refused_on_its_field(citizen, number, code):
    with pytest.raises(PortalError) as caught:
        record(citizen, account_number=number)
    assert caught.value.fields["account_number"]
    assert caught.value.code == "invalid_bank_account"
    assert not BankAccount.objects.exists()


def test_a_passbook_number_without_a_check_digit_is_accepted(citizen):
    assert record(citizen, account_number="4401 2345 6789 01").account_number == "44012345678901"


def test_the_account_must_be_in_the_persons_own_name(citizen):
    with pytest.raises(PortalError) as caught:
        record(citizen, holder_name="王芳", bank_name=" ")
    assert set(caught.value.fields) == {"holder_name", "bank_name"}
    assert record(citizen, holder_name=" 李 华 ").holder_name == "李 华"


def test_a_new_account_replaces_the_last(citizen):
    record(citizen)
    record(citizen, account_number="6228480012345678903", bank_name="中国农业银行")
    assert bank_account_of(citizen).bank_name == "中国农业银行"


def test_the_account_is_in_the_export_masked_and_goes_with_the_account(citizen):
    record(citizen)
    [exported] = citizen_export(citizen)["bank_accounts"]
    assert exported["account_number_masked"] == "6222 **** **** 0128"
    assert "6222021234567890128" not in str(citizen_export(citizen))
    citizen_erase(citizen=citizen)
    assert not BankAccount.objects.exists()


def test_the_page_shows_it_masked_and_errors_next_to_the_field(client, citizen):
    client.force_login(citizen.user, backend=MODEL_BACKEND)
    response = client.post(
        "/me/bank-account/",
        {"bank_name": "中国工商银行", "account_number": "6222021234567890127", "holder_name": citizen.name},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert 'id="id_account_number_error"' in response.content.decode()
    response = client.post(
        "/me/bank-account/",
        {"bank_name": "中国工商银行", "account_number": CARD, "holder_name": citizen.name},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    page = client.get("/me/bank-account/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6222 **** **** 0128" in page and "6222021234567890128" not in page
