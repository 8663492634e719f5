"""Every service item's example cases from the catalog data file, run like OpenFisca's YAML tests.

The importer stores the same examples (tests/catalog/test_catalog_import.py); here they run straight
from the file so that a wrong example names itself.
"""

import datetime

import pytest
from django.conf import settings

from profiles.facts import facts_clean
from services_portal.catalog.services import catalog_file_read
from services_portal.eligibility.engine import CriterionRule, ServiceRules, eligibility_evaluate, expression_compile

DATA = catalog_file_read(settings.CATALOG_DATA_FILE)
CASES = [
    pytest.param(service["code"], example, id=f"{service['code']}: {example['name']}")
    for service in DATA["services"]
    for example in service.get("examples", [])
]


def test_every_service_has_an_eligible_and_a_not_eligible_case():
    for service in DATA["services"]:
        expected = {example["expected"] for example in service.get("examples", [])}
        if service.get("criteria"):
            assert {"eligible", "not_eligible"} <= expected, service["code"]
        else:
            assert expected == {"open"}, service["code"]


RULES = {
    service["code"]: ServiceRules(
        service["code"],
        tuple(
            CriterionRule(c["key"], c["label"]["zh-hans"], c["label"]["en"], expression_compile(c["expression"]))
            for c in service.get("criteria", [])
        ),
    )
    for service in DATA["services"]
}


@pytest.mark.parametrize(("code", "example"), CASES)
def test_example(code, example):
    # given
    reference = example["reference_date"]
    reference = reference if isinstance(reference, datetime.date) else datetime.date.fromisoformat(reference)
    facts = facts_clean(example.get("facts") or {}, today=reference)
    rules = RULES[code]
    # when
    [result] = eligibility_evaluate(facts=facts, on=reference, services=[rules])
    # then
    assert {r.key: r.status.value for r in result.results} == example["criteria"]
    assert result.outcome.value == example["expected"]
