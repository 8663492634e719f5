import copy
import io

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import translation

from services_portal.catalog.models import Bundle, Criterion, Department, ServiceItem
from services_portal.catalog.selectors import catalog_export
from services_portal.catalog.services import catalog_import

REQUIRED_CRITERIA = {
    # name_zh fragment -> expressions that must appear among the service's criteria
    "高龄津贴": {"age >= 80", 'hukou_region_code =~ "^45"'},
    "最低生活保障": {"household_income_monthly_per_capita < dibao_standard_monthly", "hukou_in_residence_city"},
    "重度残疾人护理补贴": {"disability_level in [1, 2]"},
}


def test_the_seed_catalog_is_large_and_bilingual(catalog):
    assert ServiceItem.objects.count() >= 60
    assert Department.objects.count() >= 10
    for service in ServiceItem.objects.all():
        assert service.name_zh and service.name_en and service.description_zh and service.description_en
    assert Bundle.objects.get(code="birth").items.count() >= 4


def test_the_required_services_carry_their_criteria(catalog):
    for fragment, expressions in REQUIRED_CRITERIA.items():
        service = ServiceItem.objects.get(name_zh__contains=fragment)
        found = {criterion.expression for criterion in service.criteria.all()}
        assert expressions <= found, (fragment, found)
    childcare = ServiceItem.objects.get(name_zh__contains="育儿补贴")
    assert childcare.proactive and childcare.benefit_amount_cny == 3600


def test_importing_again_updates_and_never_duplicates(catalog, catalog_data):
    counts = (ServiceItem.objects.count(), Criterion.objects.count(), Bundle.objects.count())
    report = catalog_import(data=catalog_data)
    assert report.ok
    assert report.created == {}
    assert (ServiceItem.objects.count(), Criterion.objects.count(), Bundle.objects.count()) == counts


def test_a_bad_row_is_reported_with_its_reason_and_the_rest_is_kept(db, catalog_data):
    # given an empty catalog, and a file where one service has a broken expression and another an unknown department
    Bundle.objects.all().delete()
    ServiceItem.objects.all().delete()
    data = copy.deepcopy(catalog_data)
    with_criteria, other = [s for s in data["services"] if s.get("criteria")][:2]
    with_criteria["criteria"][0]["expression"] = "age >>= 60"
    other["department"] = "ministry_of_magic"
    broken = {with_criteria["code"], other["code"]}
    # when
    report = catalog_import(data=data)
    # then
    assert {(p.section, p.code) for p in report.problems} >= {("services", code) for code in broken}
    reasons = {p.code: p.reason for p in report.problems}
    assert "syntax error" in reasons[with_criteria["code"]]
    assert "ministry_of_magic" in reasons[other["code"]]
    assert ServiceItem.objects.count() == len(data["services"]) - 2
    assert not ServiceItem.objects.filter(code__in=broken).exists()


def test_a_changed_criterion_replaces_the_old_one(catalog, catalog_data):
    data = copy.deepcopy(catalog_data)
    service = next(s for s in data["services"] if s["code"] == "gx-elderly-allowance")
    service["criteria"] = [
        {"key": "aged_90", "label": {"zh-hans": "年满90周岁", "en": "Aged 90"}, "expression": "age >= 90"}
    ]
    service["examples"] = []
    report = catalog_import(data=data)
    assert report.ok
    assert list(ServiceItem.objects.get(code="gx-elderly-allowance").criteria.values_list("key", flat=True)) == [
        "aged_90"
    ]


def test_export_then_import_changes_nothing(catalog):
    exported = catalog_export()
    before = catalog_export()
    report = catalog_import(data=yaml.safe_load(yaml.safe_dump(exported, allow_unicode=True)))
    assert report.ok and report.created == {}
    assert catalog_export() == before


def test_the_management_commands_import_and_export(db, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command("catalog_import", stdout=out, stderr=err)
    assert "created" in out.getvalue() and err.getvalue() == ""
    target = tmp_path / "catalog.yaml"
    call_command("catalog_export", str(target), stdout=io.StringIO())
    assert len(yaml.safe_load(target.read_text(encoding="utf-8"))["services"]) == ServiceItem.objects.count()


def test_the_import_command_reports_refused_rows(db, tmp_path, catalog_data):
    data = copy.deepcopy(catalog_data)
    next(s for s in data["services"] if s.get("criteria"))["criteria"][0]["expression"] = "shoe_size > 3"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    err = io.StringIO()
    call_command("catalog_import", str(path), stdout=io.StringIO(), stderr=err)
    assert "shoe_size" in err.getvalue()
    with pytest.raises(Exception, match=r"\d+ rows were refused"):
        call_command("catalog_import", str(path), "--strict", stdout=io.StringIO(), stderr=io.StringIO())


def test_an_unparsable_file_is_refused_whole(db, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_bytes(b"services: [\xff\xfe")
    with translation.override("en"), pytest.raises(CommandError, match="cannot be read"):
        call_command("catalog_import", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_editors_import_and_export_in_the_admin(client, django_user_model, catalog, catalog_data):
    admin = django_user_model.objects.create_superuser("editor", password="a-long-password-1")
    client.force_login(admin)
    export = client.get("/admin/catalog/serviceitem/export/")
    assert export.status_code == 200
    data = copy.deepcopy(catalog_data)
    data["services"][0]["category"] = "no_such_category"
    upload = io.BytesIO(yaml.safe_dump(data, allow_unicode=True).encode())
    upload.name = "catalog.yaml"
    response = client.post("/admin/catalog/serviceitem/import/", {"file": upload})
    assert response.status_code == 200
    assert "no_such_category" in response.content.decode()


def test_the_admin_refuses_a_bad_criterion_expression(client, django_user_model, catalog):
    admin = django_user_model.objects.create_superuser("editor", password="a-long-password-1")
    client.force_login(admin)
    criterion = Criterion.objects.filter(service__code="gx-elderly-allowance").first()
    criterion.expression = "age >>= 3"
    with pytest.raises(Exception, match="syntax error"):
        criterion.full_clean()
