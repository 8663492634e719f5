import datetime

import pytest
from django.utils import timezone

from profiles.models import Citizen, ConsentChannel, FactSource, FactValue
from profiles.purposes import Purpose
from profiles.resident_id import ResidentIdInvalid, resident_id_clean, resident_id_mask
from profiles.selectors import consent_given
from profiles.services.accounts import citizen_register
from profiles.services.consent import consent_grant, consent_withdraw
from profiles.services.facts import fact_record, facts_self_declare
from services_portal.catalog.life_events import citizen_tags
from services_portal.core.errors import PortalError
from services_portal.eligibility.facts import citizen_facts
from tests.factories import PASSWORD, resident_id_make


def test_a_resident_id_number_is_checked_by_its_check_digit():
    assert resident_id_clean("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ResidentIdInvalid) as caught:
        resident_id_clean("110105194912310021")
    assert caught.value.code == "wrong_check_digit"
    for bad, code in (("12345", "invalid_format"), ("110105194913310029", "invalid_birth_date")):
        with pytest.raises(ResidentIdInvalid) as caught:
            resident_id_clean(bad)
        assert caught.value.code == code
    assert resident_id_mask("450103198001010019") == "4501**********0019"


def test_the_number_cannot_be_read_back_from_the_database(db):
    number = resident_id_make()
    citizen = citizen_register(resident_id=number, name="李华", password=PASSWORD)
    stored = " ".join(str(v) for v in Citizen.objects.filter(pk=citizen.pk).values().first().values())
    stored += citizen.user.username
    assert number not in stored and number[6:14] not in stored
    assert citizen.resident_id_masked == number[:4] + "*" * 10 + number[-4:]


def test_registering_twice_makes_two_unbound_accounts_each_with_its_own_record(db):
    # given a number someone signed up with
    number = resident_id_make()
    first = citizen_register(resident_id=number, name="李华", password=PASSWORD)
    # when someone signs up with it again
    second = citizen_register(resident_id=number, name="李华", password=PASSWORD)
    # then both hold a claim of the number, not the number: neither is anyone's verified record
    assert first.pk != second.pk and first.user_id != second.user_id
    assert first.claimed_id_hash == second.claimed_id_hash and first.claimed_id_hash
    assert first.resident_id_hash is None and second.resident_id_hash is None
    assert not first.identity_verified and not second.identity_verified


def test_a_new_value_keeps_the_old_one_in_history(citizen):
    first = fact_record(citizen=citizen, key="household_size", value=3, source=FactSource.SELF_DECLARED)
    second = fact_record(citizen=citizen, key="household_size", value="4", source=FactSource.SELF_DECLARED)
    first.refresh_from_db()
    assert first.superseded_at is not None and second.superseded_at is None
    assert citizen_facts(citizen)["household_size"] == 4
    assert FactValue.objects.filter(citizen=citizen, key="household_size").count() == 2


def test_a_sensitive_fact_needs_the_separate_consent(citizen):
    with pytest.raises(PortalError) as caught:
        fact_record(citizen=citizen, key="disability_level", value=2, source=FactSource.SELF_DECLARED)
    assert caught.value.code == "sensitive_consent_required"
    assert not FactValue.objects.filter(citizen=citizen).exists()
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    fact_record(citizen=citizen, key="disability_level", value=2, source=FactSource.SELF_DECLARED)
    assert citizen_facts(citizen)["disability_level"] == 2
    consent_withdraw(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    assert "disability_level" not in citizen_facts(citizen)
    assert not FactValue.objects.filter(citizen=citizen, key="disability_level").exists()  # deleted, with history


def test_a_department_value_cannot_be_overwritten_by_the_citizen(citizen):
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    fact_record(
        citizen=citizen,
        key="hukou_type",
        value="rural",
        source=FactSource.DEPARTMENT_FEED,
        department="public_security",
    )
    with pytest.raises(PortalError) as caught:
        facts_self_declare(citizen=citizen, values={"hukou_type": "urban", "household_size": 2})
    assert caught.value.code == "department_value" and "hukou_type" in caught.value.fields
    assert citizen_facts(citizen) == {"hukou_type": "rural"}


def test_a_department_may_deliver_only_its_own_facts(citizen):
    consent_grant(citizen=citizen, purpose=Purpose.DATA_MATCHING, channel=ConsentChannel.WEB)
    with pytest.raises(PortalError) as caught:
        fact_record(
            citizen=citizen, key="hukou_type", value="rural", source=FactSource.DEPARTMENT_FEED, department="health"
        )
    assert caught.value.code == "department_not_allowed"


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("birth_date", "2999-01-01", "date_in_future"),
        ("shoe_size", 3, "unknown_fact"),
        ("household_size", "many", "invalid_number"),
    ],
)
def test_bad_facts_are_refused_and_nothing_is_stored(citizen, key, value, code):
    with pytest.raises(PortalError) as caught:
        facts_self_declare(citizen=citizen, values={key: value, "sex": "female"})
    assert key in caught.value.fields
    assert not FactValue.objects.filter(citizen=citizen).exists()


def test_consent_ledger_rows_are_appended_never_changed(citizen):
    consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    consent_withdraw(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.APP)
    assert not consent_given(citizen, Purpose.PERSONALISATION)
    events = list(citizen.consent_events.order_by("created_at", "id").values_list("granted", "channel"))
    assert events == [(True, "web"), (False, "app")]


def test_counter_consent_needs_a_witness(citizen):
    with pytest.raises(PortalError) as caught:
        consent_grant(citizen=citizen, purpose=Purpose.NOTIFY_SMS, channel=ConsentChannel.COUNTER)
    assert caught.value.code == "witness_required"


def test_a_deleted_tag_stays_away_until_the_facts_change(citizen, catalog):
    # given an elderly citizen
    old = (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat()
    fact_record(citizen=citizen, key="birth_date", value=old, source=FactSource.SELF_DECLARED)
    [tag] = [t for t in citizen_tags(citizen) if t.code == "elderly"]
    assert [value.key for value in tag.basis] == ["birth_date"]
    # when they delete the tag
    from profiles.services.tags import tag_delete

    tag_delete(citizen=citizen, life_event="elderly")
    # then it is not derived again from the same facts
    assert "elderly" not in {t.code for t in citizen_tags(citizen)}
    # until a new fact arrives
    older = (timezone.localdate() - datetime.timedelta(days=365 * 71)).isoformat()
    fact_record(citizen=citizen, key="birth_date", value=older, source=FactSource.SELF_DECLARED)
    assert "elderly" in {t.code for t in citizen_tags(citizen)}


def test_a_new_grant_of_consent_brings_a_deleted_tag_back(citizen, catalog):
    old = (timezone.localdate() - datetime.timedelta(days=365 * 70)).isoformat()
    fact_record(citizen=citizen, key="birth_date", value=old, source=FactSource.SELF_DECLARED)
    from profiles.services.tags import tag_delete

    tag_delete(citizen=citizen, life_event="elderly")
    consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    assert "elderly" in {t.code for t in citizen_tags(citizen)}


def test_a_childs_facts_are_held_under_the_guardians_sensitive_consent(citizen):
    from profiles.services.accounts import ward_register

    born = (timezone.localdate() - datetime.timedelta(days=400)).strftime("%Y%m%d")
    child = ward_register(guardian=citizen, resident_id=resident_id_make(born=born), name="小明")
    with pytest.raises(PortalError) as caught:
        fact_record(citizen=child, key="disability_level", value=1, source=FactSource.SELF_DECLARED)
    assert caught.value.code == "sensitive_consent_required"
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    fact_record(citizen=child, key="disability_level", value=1, source=FactSource.SELF_DECLARED)
    assert citizen_facts(child)["disability_level"] == 1
    with pytest.raises(PortalError):
        consent_grant(citizen=child, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)


def test_a_child_of_14_has_an_account_of_their_own(citizen):
    from profiles.services.accounts import ward_register

    born = (timezone.localdate() - datetime.timedelta(days=365 * 15)).strftime("%Y%m%d")
    with pytest.raises(PortalError) as caught:
        ward_register(guardian=citizen, resident_id=resident_id_make(born=born), name="大明")
    assert caught.value.code == "too_old_for_ward"


def test_closing_an_account_erases_the_person_and_keeps_the_ledger_pseudonymous(citizen, catalog):
    from profiles.services.accounts import citizen_erase
    from recommender.models import Interaction
    from recommender.services.interactions import interaction_record

    consent_grant(citizen=citizen, purpose=Purpose.PERSONALISATION, channel=ConsentChannel.WEB)
    fact_record(citizen=citizen, key="household_size", value=3, source=FactSource.SELF_DECLARED)
    interaction_record(citizen=citizen, service_code="gx-childcare-subsidy", kind="view", channel="web")
    user_id = citizen.user_id
    citizen_erase(citizen=citizen)
    citizen.refresh_from_db()
    assert citizen.erased_at and not citizen.name and citizen.resident_id_hash is None
    assert not FactValue.objects.filter(citizen=citizen).exists()
    assert not Interaction.objects.filter(citizen=citizen).exists()
    assert citizen.consent_events.count() == 1
    from profiles.models import User

    assert not User.objects.filter(pk=user_id).exists()


def test_an_empty_list_is_stored_as_the_answer_none(citizen):
    # given a citizen who may state sensitive facts and says they have no children
    consent_grant(citizen=citizen, purpose=Purpose.SENSITIVE_FACTS, channel=ConsentChannel.WEB)
    facts_self_declare(citizen=citizen, values={"children_birth_dates": []})

    # then "none" is kept: an empty list, not a question left unanswered
    assert citizen_facts(citizen)["children_birth_dates"] == []

    # and a blank answer still withdraws it
    facts_self_declare(citizen=citizen, values={"children_birth_dates": ""})
    assert "children_birth_dates" not in citizen_facts(citizen)
