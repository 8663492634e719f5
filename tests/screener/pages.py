"""The screener's pages as a browser without JavaScript uses them: GET a page, POST its form, follow the redirect.

The test client keeps the answers cookie between requests, as a browser does.
"""

from __future__ import annotations

import re

STEP = re.compile(r"^/screener/step/(\d+)/$")


def get(client, url, language="en"):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def post(client, url, data, language="en"):
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


def html(response) -> str:
    return response.content.decode()


def questions_asked(page: str) -> list[str]:
    """The names of the visible questions on a page, in page order."""
    return re.findall(r'<div class="field[^"]*" data-question="([a-z_]+)"', page)


def field_value(page: str, name: str) -> str | None:
    """The value a text box shows (None: no such box)."""
    match = re.search(rf'<input type="[a-z]+" name="{name}" value="([^"]*)"', page) or re.search(
        rf'<input type="[a-z]+" name="{name}"[^>]*>', page
    )
    if match is None:
        return None
    return match.group(1) if match.groups() else ""


def hidden(page: str) -> dict[str, str]:
    """The hidden fields of the page's main part (the header's switches carry their own)."""
    main = page.split("<main", 1)[1].split("</main>")[0] if "<main" in page else page
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', main))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def step_count(client, language="en") -> int:
    number = 1
    while get(client, f"/screener/step/{number + 1}/", language).status_code == 200:
        number += 1
    return number


def step_asking(client, key: str, language="en") -> int:
    """The number of the step that asks `key`."""
    for number in range(1, 30):
        response = get(client, f"/screener/step/{number}/", language)
        if response.status_code != 200:
            break
        if key in questions_asked(html(response)):
            return number
    raise AssertionError(f"no step asks {key}")


def answer(client, answers: dict[str, str], language="en"):
    """Answer every step (the questions in `answers`, the rest left blank) up to the check page."""
    number = 1
    while True:
        page = html(get(client, f"/screener/step/{number}/", language))
        data = {key: value for key, value in answers.items() if key in questions_asked(page)}
        response = post(client, f"/screener/step/{number}/", {**data, "action": "next"}, language)
        assert response.status_code == 302, html(response)
        if not STEP.match(response["Location"]):
            assert response["Location"] == "/screener/check/"
            return response
        number = int(STEP.match(response["Location"]).group(1))


def results(client, answers: dict[str, str], language="en") -> str:
    """The result page for `answers`, given on the steps."""
    answer(client, answers, language)
    assert post(client, "/screener/check/", {"action": "results"}, language)["Location"] == "/screener/results/"
    return html(get(client, "/screener/results/", language))


def section(page: str, heading: str) -> str:
    """A result page's part under an <h2>, up to the next <h2>."""
    return page.split(f"<h2>{heading}</h2>")[1].split("<h2")[0]


def service_codes(part: str) -> list[str]:
    """The services a part of a page lists, in order."""
    return re.findall(r'<h3><a href="/services/([a-z0-9-]+)/">', part)
