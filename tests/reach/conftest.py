"""Fixtures shared by the reach tests: people the population evaluator finds eligible, and a clock."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from profiles.models import Citizen, ConsentChannel, FactSource
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import fact_record
from services_portal.catalog.models import ServiceItem
from tests.factories import citizen_make

ELDERLY_ALLOWANCE = "gx-elderly-allowance"  # outreach: age >= 80 and a Guangxi hukou
PREFERENTIAL_CARD = "gx-elderly-preferential-card"  # no outreach: age >= 60


def facts_give(citizen: Citizen, department: str = "public_security", **facts: Any) -> Citizen:
    """Facts a department delivered for the person."""
    for key, value in facts.items():
        fact_record(citizen=citizen, key=key, value=value, source=FactSource.DEPARTMENT_FEED, department=department)
    return citizen


def person_make(*, region_code: str = "450103", name: str = "黄奶奶", **facts: Any) -> Citizen:
    """A person who agreed to data matching, with these facts from the public-security register."""
    citizen = citizen_make(region_code=region_code, name=name)
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    return facts_give(citizen, **facts)


@pytest.fixture
def now() -> datetime.datetime:
    return timezone.now()


@pytest.fixture
def elder(catalog) -> Citizen:
    """An 86-year-old in Nanning with a Guangxi hukou: eligible for the elderly allowance (an outreach
    service) and the elderly preferential card (not one)."""
    return person_make(birth_date=datetime.date(1940, 5, 1), hukou_region_code="450103")


@pytest.fixture
def young(catalog) -> Citizen:
    """A 30-year-old: eligible for neither."""
    return person_make(name="张伟", birth_date=datetime.date(1996, 5, 1), hukou_region_code="450103")


@pytest.fixture
def allowance(catalog) -> ServiceItem:
    return ServiceItem.objects.get(code=ELDERLY_ALLOWANCE)


@pytest.fixture
def card(catalog) -> ServiceItem:
    return ServiceItem.objects.get(code=PREFERENTIAL_CARD)
