"""Makers of people and staff for tests. Citizens sign up through the real service."""

from __future__ import annotations

import datetime
import itertools

import factory
from django.utils import timezone

from profiles.identity import Proof
from profiles.models import Citizen, ConsentChannel, FactSource, FactValue, Role, User
from profiles.purposes import Purpose
from profiles.resident_id import check_character, resident_id_hash
from profiles.services.accounts import citizen_register
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from profiles.services.identity import identity_bind

PASSWORD = "correct-horse-battery-9"
# the backend a test logs a user in with when it skips the login page (axes needs a request otherwise)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
_sequence = itertools.count(1)


def resident_id_make(*, region: str = "450103", born: str = "19800101", sequence: int | None = None) -> str:
    """A resident ID number with a valid check character."""
    first_17 = f"{region}{born}{(sequence if sequence is not None else next(_sequence)) % 1000:03d}"
    return first_17 + check_character(first_17)


def citizen_make(
    *, region_code: str = "450103", name: str = "李华", number: str | None = None, bound: bool = True
) -> Citizen:
    """A signed-up citizen, bound to the person of their number as if they had shown their ID card at a
    counter (`bound=False`: only signed up, the number a claim). `citizen.resident_id` carries the clear
    number, which the portal never stores."""
    number = number or resident_id_make(region=region_code)
    citizen = citizen_register(resident_id=number, name=name, password=PASSWORD)
    if bound:
        citizen = identity_bind(citizen=citizen, proof=Proof("counter", resident_id_hash(number)))
    citizen.region_code = region_code
    citizen.save(update_fields=["region_code"])
    citizen.resident_id = number
    return citizen


def mother_of_a_newborn() -> Citizen:
    """A Nanning mother (李华) of a baby born 20 days ago, as the health department said; she agreed to
    data matching and sensitive facts but not to benefits without applying: she applies herself."""
    citizen = citizen_make(region_code="450103", name="李华")
    for purpose in (Purpose.DATA_MATCHING, Purpose.SENSITIVE_FACTS):
        consent_grant(citizen=citizen, purpose=purpose, channel=ConsentChannel.WEB)
    born = timezone.localdate() - datetime.timedelta(days=20)
    fact_record(
        citizen=citizen,
        key="children_birth_dates",
        value=[born.isoformat()],
        source=FactSource.DEPARTMENT_FEED,
        department="health",
    )
    return citizen


class StaffFactory(factory.django.DjangoModelFactory):
    """Staff: `StaffFactory(role=Role.CASEWORKER, region_scope="450100")`."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    role = Role.COUNTER_STAFF
    region_scope = "450100"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy's signature
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()


def birth_row(parent, days_ago=20, **extra):
    born = timezone.localdate() - datetime.timedelta(days=days_ago)
    return {
        "resident_id": parent.resident_id,
        "fact": "children_birth_dates",
        "value": [born.isoformat()],
        "observed_at": born.isoformat(),
        **extra,
    }


def department_phone_give(citizen: Citizen, phone: str, department: str = "public_security") -> Citizen:
    """A mobile number a department delivered for the person: where identity codes may go."""
    FactValue.objects.create(
        citizen=citizen,
        key="mobile_phone",
        value=phone,
        source=FactSource.DEPARTMENT_FEED,
        department=department,
        observed_at=timezone.now(),
    )
    return citizen
