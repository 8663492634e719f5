"""Plain-language summaries above the legal consent notices, on the citizen's and the counter's pages."""

from __future__ import annotations

import re

import pytest
import yaml

from profiles.consent_summaries import SUMMARIES
from profiles.notices import DATA_FILE
from profiles.purposes import Purpose

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_every_notice_in_force_has_a_summary_of_its_version():
    latest: dict[str, int] = {}
    for entry in yaml.safe_load(DATA_FILE.read_text(encoding="utf-8")):
        latest[entry["purpose"]] = max(entry["version"], latest.get(entry["purpose"], 0))
    assert set(latest) == {purpose.value for purpose in Purpose}
    stale = {
        purpose: version for purpose, version in latest.items() if SUMMARIES[Purpose(purpose)].notice_version != version
    }
    assert not stale, f"notices with a new version whose summary was not read again: {stale}"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (EN, ["What is shared", "With whom", "How to withdraw", "Only this portal. It is not given to anyone else."]),
        (ZH, ["用到哪些信息", "给谁用", "怎样撤回", "只有本平台使用，不提供给任何其他人。"]),
    ],
)
def test_the_consents_page_puts_the_summary_above_the_legal_text(client, citizen, language, words):
    # given a signed-in citizen
    client.force_login(citizen.user, backend="django.contrib.auth.backends.ModelBackend")
    # when they open their consents
    html = client.get("/me/consents/", **language).content.decode()
    # then each purpose's summary comes before its notice, which stays in full inside a details element
    assert all(word in html for word in words)
    assert html.count('<dl class="summary-list consent-summary">') == len(Purpose)
    for item in re.findall(r'<li class="result.*?</li>', html, re.S):
        assert item.index("consent-summary") < item.index('<div class="notice-text">') < item.index("</details>")
