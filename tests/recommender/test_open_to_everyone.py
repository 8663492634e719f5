"""A service without criteria is open to everyone: the "for you" list never says the person qualifies
for it, nor keeps it as essential assistance they qualify for (issue 13)."""

import pytest
from django.utils import translation

from profiles.models import ConsentChannel
from profiles.purposes import Purpose
from profiles.services.consent import consent_grant
from profiles.services.facts import facts_self_declare
from recommender.explanations import ReasonKind
from recommender.selectors import recommendations_for

DISABILITY_CERTIFICATE = "gx-disability-certificate"  # 残疾人证办理: essential, no criteria


@pytest.fixture
def mother(citizen):
    """A 32-year-old woman in Nanning who has told us of no disability."""
    consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    facts_self_declare(
        citizen=citizen,
        values={
            "birth_date": "1994-05-01",
            "region_code": "450103",
        },
    )
    return citizen


def test_the_reasons_for_a_service_open_to_everyone_do_not_say_its_criteria_are_met(catalog, mother):
    # when the rules rank every service for her
    with translation.override("en"):
        items = {item.service.code: item for item in recommendations_for(mother, limit=100).items}

    # then the disability certificate is open to everyone, not essential assistance she qualifies for
    certificate = items[DISABILITY_CERTIFICATE]
    assert certificate.open_to_everyone
    assert ReasonKind.ESSENTIAL not in {reason.kind for reason in certificate.reasons}
    [criteria] = [reason for reason in certificate.reasons if reason.kind == ReasonKind.CRITERIA]
    assert criteria.criteria == ()
    assert criteria.text == "Anyone can use this service: it has no conditions."
