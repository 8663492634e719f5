"""The administration's labels: every model named and pluralised in its Meta, in both languages, and the
index and lists read in Chinese as in English."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.utils import translation
from django.utils.functional import Promise

from profiles.models import Role
from tests.factories import MODEL_BACKEND, StaffFactory

CJK = re.compile(r"[\u4e00-\u9fff]")
# English plurals made by adding an "s" where the word wants "es" or "ies": batchs, pushs, deliverys
NAIVE_PLURAL = re.compile(r"(?:ch|sh|ss|x|z)s$|[^aeiou]ys$")
PORTAL_APPS = {
    config.label
    for config in apps.get_app_configs()
    if config.name.startswith("services_portal.") or config.name in ("profiles", "recommender", "accessibility")
}


def _portal_models():
    return [model for label in sorted(PORTAL_APPS) for model in apps.get_app_config(label).get_models()]


def _in_chinese_and_english(text: Promise) -> tuple[str, str]:
    with translation.override("zh-hans"):
        chinese = str(text)
    with translation.override("en"):
        english = str(text)
    return chinese, english


def _assert_translated(text, what: str) -> None:
    assert isinstance(text, Promise), f"{what}: {text!r} is not a lazy translation"
    chinese, english = _in_chinese_and_english(text)
    assert chinese != english and CJK.search(chinese), f"{what}: {english!r} has no Chinese translation"


@pytest.mark.parametrize("model", [*admin.site._registry, *_portal_models()], ids=lambda model: model._meta.label)
def test_every_model_of_the_portal_and_of_the_administration_is_named_in_its_meta_in_both_languages(model):
    options = model._meta
    # then both names are set in Meta, not made up by Django from the class name
    assert {"verbose_name", "verbose_name_plural"} <= set(options.original_attrs), options.label
    # and both are lazy translations with Chinese in the catalog
    _assert_translated(options.verbose_name, f"{options.label} verbose_name")
    _assert_translated(options.verbose_name_plural, f"{options.label} verbose_name_plural")
    # and the English plural is not a singular with an "s" stuck on
    _chinese, plural = _in_chinese_and_english(options.verbose_name_plural)
    assert not NAIVE_PLURAL.search(plural), f"{options.label}: {plural!r}"


def test_every_app_the_administration_shows_or_the_portal_has_is_named_in_both_languages():
    labels = PORTAL_APPS | {model._meta.app_label for model in admin.site._registry}
    for label in sorted(labels):
        _assert_translated(apps.get_app_config(label).verbose_name, f"app {label}")


@pytest.mark.parametrize(
    "model",
    [model for model in admin.site._registry if model._meta.app_label in PORTAL_APPS],
    ids=lambda model: model._meta.label,
)
def test_the_columns_of_the_portals_lists_in_the_administration_are_named_in_chinese(model, rf):
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = StaffFactory.build(role=Role.ADMINISTRATOR, is_superuser=True)
    for column in model_admin.get_list_display(request):
        if column in ("__str__", "id"):
            continue  # the object itself; "ID" is read as it is in Chinese
        with translation.override("zh-hans"):
            label = str(label_for_field(column, model, model_admin))
        assert CJK.search(label), f"{model._meta.label}.{column}: {label!r}"


@pytest.fixture
def superuser(db):
    return StaffFactory(username="root", role=Role.ADMINISTRATOR, region_scope="450000", is_superuser=True)


def test_the_administration_index_reads_right_in_both_languages(client, superuser):
    client.force_login(superuser, backend=MODEL_BACKEND)
    # when the administrator opens the index in Chinese
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # then the portal's apps and models are named in Chinese
    for name in ("消息通知", "推送", "推送投递", "新服务推送批次", "群众与个人信息", "授权记录", "应用登录令牌"):
        assert f">{name}<" in html, name
    assert "登录尝试记录" in html and "Axes" not in html and "Knox" not in html
    # and the administration is named after the portal, not Django
    assert "广西政务服务管理后台" in html and "Django" not in html.split("<body")[0]
    # when they open it in English, the plurals are right
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in ("Pushes", "Deliveries", "New-service fan-outs", "Consent records", "App sign-in tokens"):
        assert f">{name}<" in html, name
    assert not re.search(r"Pushs|Deliverys|Batchs", html)
    assert "<title>Catalog, people, cases and records | Guangxi Government Services administration</title>" in html
