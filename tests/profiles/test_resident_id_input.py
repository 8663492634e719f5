"""A resident ID number as people type it: full-width digits from a Chinese input method are the same
number; digits of other scripts are refused; and nothing that looks like a number is stored as typed,
not even by django-axes when the number is mistyped."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.utils import translation
from rest_framework.test import APIClient

from profiles.models import Citizen
from profiles.resident_id import ResidentIdInvalid, resident_id_clean, resident_id_hash
from profiles.services.accounts import login_name
from tests.factories import PASSWORD, StaffFactory, resident_id_make

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def full_width(number: str) -> str:
    """The number as a Chinese input method in full-width mode types it: ４５０１…Ｘ."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in number)


def number_ending_in_x() -> str:
    for sequence in range(1000):
        number = resident_id_make(region="450103", sequence=sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no number with check character X")


def sign_in(username: str) -> APIClient:
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")


def test_a_full_width_number_is_the_same_number():
    number = number_ending_in_x()
    assert resident_id_clean(full_width(number)) == number
    assert resident_id_clean(full_width(number).lower()) == number


def test_arabic_indic_digits_are_refused_with_a_clear_error():
    number = resident_id_make(region="450103")
    with pytest.raises(ResidentIdInvalid) as refused, translation.override("en"):
        resident_id_clean(number.translate(ARABIC_INDIC))
    assert refused.value.code == "invalid_digits"
    assert "0 to 9" in refused.value.fields["resident_id"][0]


def test_signing_up_with_a_full_width_number_claims_the_same_person(db):
    # given a person a department already knows, and no account for them yet
    number = number_ending_in_x()
    person = Citizen.objects.create(resident_id_hash=resident_id_hash(number), resident_id_masked="x")
    # when someone signs up typing the number in full width
    response = APIClient().post(
        "/api/v1/auth/signup/",
        {"resident_id": full_width(number), "name": "张伟", "password": PASSWORD},
        format="json",
    )
    # then the account claims that very person (its number is the ASCII one), and no ghost person
    # record with another number's hash appears
    assert response.status_code == 201, response.json()
    assert response.json()["resident_id_masked"] == number[:4] + "*" * 10 + number[-4:]
    account = Citizen.objects.get(user__isnull=False)
    assert account.claimed_id_hash == person.resident_id_hash
    assert set(Citizen.objects.exclude(resident_id_hash=None).values_list("pk", flat=True)) == {person.pk}


def test_signing_in_with_a_full_width_number_finds_the_same_account(citizen):
    response = sign_in(full_width(citizen.resident_id))
    assert response.status_code == 200, response.json()
    assert login_name(full_width(citizen.resident_id)) == citizen.user.username


def test_signing_up_with_arabic_indic_digits_is_refused_and_stores_nothing(db):
    number = resident_id_make(region="450103")
    response = APIClient().post(
        "/api/v1/auth/signup/",
        {"resident_id": number.translate(ARABIC_INDIC), "name": "张伟", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_digits" and "resident_id" in error["fields"]
    assert not Citizen.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda n: n[:-1] + ("0" if n[-1] != "0" else "1"), id="wrong check digit"),
        pytest.param(lambda n: n[:-1], id="one character short"),
        pytest.param(lambda n: n[:8] + "O" + n[9:], id="letter O for zero"),
        pytest.param(lambda n: n.translate(ARABIC_INDIC), id="arabic-indic digits"),
        pytest.param(lambda n: full_width(n[:-1]), id="full width, short"),
    ],
)
def test_a_mistyped_number_is_never_stored_as_typed(citizen, typed):
    # given a sign-in with a mistyped ID number, failed more than once
    attempt = typed(citizen.resident_id)
    for _ in range(2):
        assert sign_in(attempt).status_code == 400
    # then django-axes holds a keyed hash, the same for both tries, and never the number as typed
    rows = [
        *AccessAttempt.objects.values_list("username", "get_data", "post_data"),
        *AccessFailureLog.objects.values_list("username"),
        *AccessLog.objects.values_list("username"),
    ]
    assert AccessAttempt.objects.get().failures_since_start == 2
    assert rows
    stored = " ".join(str(value) for row in rows for value in row)
    for needle in (attempt, attempt.strip()[:12], citizen.resident_id[:12]):
        assert needle not in stored
    assert AccessAttempt.objects.get().username == login_name(attempt) != attempt


def test_a_staff_user_name_is_kept_as_typed(db):
    StaffFactory(username="counter-li")
    assert login_name("counter-li") == "counter-li"
    assert sign_in("counter-li").status_code == 200
