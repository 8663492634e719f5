"""The public algorithm page (算法公示) and the auditor's download of the serving model's evaluation report."""

import datetime
import io
import json
import math
import zipfile

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from profiles.models import Role
from recommender.evaluation.report import Evaluation, MethodResult, evaluation_summary
from recommender.models import ModelStatus, RecommenderModel
from services_portal.catalog.models import ServiceItem
from services_portal.reach import groups
from services_portal.reach.models import ReachFigure
from tests.factories import StaffFactory

PAGE = "/algorithm/"
REPORT = "/algorithm/evaluation-report.zip"
NOW = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.UTC)


def _mask(users: list[int], size: int) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[users] = True
    return mask


def _summary() -> dict:
    # 40 people: 30 aged 30-44 (every one evaluated), 4 aged 75+ (too few to show), 6 offline
    size = 40
    precision = np.linspace(0.1, 0.5, size)
    per_user = {"precision": precision, "recall": precision / 2, "ndcg": precision * 0.8}
    evaluation = Evaluation(
        k=10,
        methods=[
            MethodResult("hybrid", per_user, coverage=0.8),
            MethodResult("popularity", {key: value / 2 for key, value in per_user.items()}, coverage=0.1),
        ],
        groups={
            "age band": {"30-44": _mask(list(range(30)), size), "75+": _mask([30, 31, 32, 33], size)},
            "online/offline": {
                "online": _mask(list(range(34)), size),
                "offline (counter only)": _mask(list(range(34, 40)), size),
            },
        },
        cold_start=_mask([0, 1], size),
        description={"model version": "3"},
    )
    return evaluation_summary(evaluation)


@pytest.fixture
def serving(db):
    return RecommenderModel.objects.create(
        version=3,
        status=ModelStatus.ACTIVE,
        window_start=NOW - datetime.timedelta(days=365),
        window_end=NOW - datetime.timedelta(days=14),
        holdout_end=NOW,
        activated_at=NOW,
        people_count=1234,
        interaction_count=5678,
        parameters={"k": 10},
        metrics={"ndcg@10": 0.24, "summary": _summary()},
    )


@pytest.fixture
def reach_figures(catalog):
    service = ServiceItem.objects.filter(essential=True).first()
    day = timezone.localdate()
    for group, due, reached in ((groups.ALL, 200, 190), (groups.ELDERLY_80, 12, 9), (groups.OFFLINE, 8, 5)):
        ReachFigure.objects.create(
            on=day, region_code="450102", service=service, group=group, eligible=due, due=due, reached_in_time=reached
        )


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_page_states_what_is_used_the_model_and_its_metrics_per_group_in_english(client, serving, reach_figures):
    # when anyone, signed out, reads the page in English
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")

    # then it says what is used and not used, how to switch personalisation off, and the serving model
    assert response.status_code == 200
    text = _text(response)
    assert "What it uses" in text and "What it does not use" in text
    assert reverse("profiles:personalisation") in text
    assert "Version</dt><dd>3</dd>" in text.replace(" ", "") or "<dd>3</dd>" in text
    # the per-group metrics: 30-44 shown (NDCG mean of its 30 people), 75+ suppressed (4 people)
    row_30 = text.split('<th scope="row">30-44</th>')[1].split("</tr>")[0]
    expected = float(np.mean((np.linspace(0.1, 0.5, 40) * 0.8)[:30]))
    assert f"{expected:.3f}" in row_30 and "<td>30</td>" in row_30
    row_75 = text.split('<th scope="row">75+</th>')[1].split("</tr>")[0]
    assert "<td>&lt;10</td>" in row_75 and "0." not in row_75
    assert "Offline (service counter only)" in text
    # the reach figures per group, small cells suppressed: everyone 95.0%, 80+ (12 due, 9 reached) hidden
    assert "95.0%" in text
    row_80 = text.split("Aged 80 and over</th>")[1].split("</tr>")[0]
    assert "&lt;10" in row_80 and "75.0%" not in row_80
    # and no download link for a visitor
    assert REPORT not in text


def test_the_page_in_chinese_and_in_elder_mode(client, serving):
    # given elder mode
    client.cookies["display"] = "elder"

    # when the page is read in Chinese
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans")

    # then it is in Chinese, with the details folded away below the short version
    text = _text(response)
    assert response.status_code == 200
    assert "算法公示" in text
    assert "个性化" in text
    assert "<details>" in text and text.index("<details>") > text.index('id="short-heading"')


def test_without_a_serving_model_or_figures_the_page_says_so(client, db):
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")

    text = _text(response)
    assert response.status_code == 200
    assert "No learned model is serving now" in text
    assert "No reach figures have been taken yet." in text


def test_the_footer_links_to_the_page(client, db):
    assert PAGE in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_an_auditor_downloads_the_serving_models_full_evaluation_report(client, serving):
    # given an auditor, signed in
    auditor = StaffFactory(role=Role.AUDITOR, region_scope="")
    client.force_login(auditor)

    # when they follow the page's link
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(REPORT)

    # then the zip holds the report, its charts, the full summary (no suppression) and the registry entry
    assert REPORT in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = {name.rsplit("/", 1)[1] for name in archive.namelist()}
    assert {"report.md", "summary.json", "model.json", "overall.png"} <= names
    folder = "model-v3-evaluation/"
    summary = json.loads(archive.read(folder + "summary.json"))
    assert summary["methods"]["hybrid"]["groups"]["age band"]["groups"]["75+"]["evaluated"] == 4
    model = json.loads(archive.read(folder + "model.json"))
    assert model["version"] == 3 and model["people_count"] == 1234 and "summary" not in model["metrics"]
    report = archive.read(folder + "report.md").decode()
    assert report.startswith("# How well the recommendations match what people did")
    assert math.isclose(model["metrics"]["ndcg@10"], 0.24)


@pytest.mark.parametrize("role", [None, Role.CITIZEN, Role.CASEWORKER])
def test_only_auditors_and_administrators_may_download_it(client, serving, role):
    # given someone signed out, a citizen or a caseworker
    if role is not None:
        client.force_login(StaffFactory(role=role, region_scope="450100"))

    # when they ask for the report
    response = client.get(REPORT)

    # then they are sent to sign in, or refused
    assert response.status_code == (302 if role is None else 403)


def test_with_no_model_serving_the_report_is_not_found(client, db):
    client.force_login(StaffFactory(role=Role.ADMINISTRATOR, region_scope=""))
    assert client.get(REPORT).status_code == 404
