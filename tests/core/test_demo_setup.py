import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from profiles.models import Citizen, Role, User
from profiles.selectors import fact_values_current
from recommender.models import ModelStatus, RecommenderModel, ScoredList
from recommender.selectors import recommendations_for
from services_portal.casework.models import Case
from services_portal.casework.services import case_approve, case_in_scope
from services_portal.casework.services.applications import application_form_for, application_submit
from services_portal.catalog.models import Bundle
from services_portal.counter.models import OutreachTask
from services_portal.payments.services import payment_batch_export
from services_portal.reach.models import ReachFigure
from tests.casework.test_materials import pdf_bytes


def test_the_demo_has_staff_a_parent_and_a_case_for_the_caseworkers(db, django_capture_on_commit_callbacks):
    # when the demo is set up twice
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_setup", stdout=out, stderr=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_setup", stdout=io.StringIO(), stderr=io.StringIO())
    # then the staff exist once each, and the parent's childcare case waits in Nanning's queue
    assert User.objects.filter(role=Role.CASEWORKER, region_scope="450100").count() == 5
    assert User.objects.filter(role=Role.FINANCE).count() == 1
    [case] = Case.objects.all()
    assert (case.service.code, case.region_code, case.state) == ("gx-childcare-subsidy", "450103", "in_review")
    assert "demo-portal-2026" in out.getvalue()
    # and a simulated province trained one model, which serves the parent a personalised list
    [model] = RecommenderModel.objects.all()
    assert model.status == ModelStatus.ACTIVE
    parent = case.citizen
    assert ScoredList.objects.filter(citizen=parent).exists()
    for_you = recommendations_for(parent)
    assert for_you.personalised and for_you.model_version == model.version
    assert "gx-birth-medical-certificate" not in {item.service.code for item in for_you.items}
    # and the reach ledger's figures of the last ten days, and 赵桂兰's outreach tasks with her phone and address
    assert ReachFigure.objects.values("on").distinct().count() == 11
    elder = Citizen.objects.get(name="赵桂兰")
    assert OutreachTask.objects.filter(citizen=elder, region_code="450103").exists()
    assert {"address", "mobile_phone"} <= set(fact_values_current(elder))


def test_the_demo_parent_can_apply_for_the_birth_bundle_and_be_paid(db, django_capture_on_commit_callbacks):
    # given the demo
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_setup", stdout=io.StringIO(), stderr=io.StringIO())
    [proactive] = Case.objects.all()
    parent = proactive.citizen
    bundle = Bundle.objects.get(code="birth")
    services = list(bundle.services.exclude(code=proactive.service.code))
    # when the parent applies for the rest of the birth bundle, confirming what the portal holds
    form = application_form_for(parent, services=services, bundle=bundle)
    with django_capture_on_commit_callbacks(execute=True):
        application = application_submit(
            citizen=parent,
            services=services,
            bundle=bundle,
            confirmed=[held.definition.key for held in form.held],
            given={},
            files={"birth_medical_certificate": [SimpleUploadedFile("certificate.pdf", pdf_bytes())]},
            declared=True,
        )
    # then each department's caseworker sees its own cases
    departments = {"health": "health-caseworker", "public_security": "police-caseworker"}
    departments["healthcare_security"] = "insurance-caseworker"
    for case in application.cases.select_related("service__department"):
        caseworker = User.objects.get(username=departments[case.service.department.code])
        assert case_in_scope(caseworker, case)
    # and once caseworker and caseworker2 approve the childcare subsidy, finance can pay it at once
    for name in ("caseworker", "caseworker2"):
        proactive.refresh_from_db()
        case_approve(
            case_id=proactive.pk,
            actor=User.objects.get(username=name),
            reason_code="criteria_met",
            version=proactive.version,
        )
    export = payment_batch_export(actor=User.objects.get(username="finance"))
    assert b"6222021234567890128" in export.content and b"3600.00" in export.content
