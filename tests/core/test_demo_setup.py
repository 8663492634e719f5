import io

from django.core.management import call_command

from profiles.models import Role, User
from recommender.models import ModelStatus, RecommenderModel, ScoredList
from recommender.selectors import recommendations_for
from services_portal.casework.models import Case


def test_the_demo_has_staff_a_parent_and_a_case_for_the_caseworkers(db, django_capture_on_commit_callbacks):
    # when the demo is set up twice
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_setup", stdout=out, stderr=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_setup", stdout=io.StringIO(), stderr=io.StringIO())
    # then the staff exist once each, and the parent's childcare case waits in Nanning's queue
    assert User.objects.filter(role=Role.CASEWORKER, region_scope="450100").count() == 2
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
