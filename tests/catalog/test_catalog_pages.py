from django.utils import translation


def page(client, url, language="zh-hans", **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)


def test_browse_by_life_event_and_search_in_both_languages(client, catalog):
    elderly = page(client, "/services/", life_event="elderly").content.decode()
    assert "高龄津贴" in elderly
    found = page(client, "/services/", "en", q="allowance").content.decode()
    assert "Old-age allowance" in found
    nothing = page(client, "/services/", "en", q="zzzz-nothing").content.decode()
    assert "No service matches" in nothing


def test_the_detail_page_shows_criteria_materials_channels_and_legal_basis(client, catalog):
    with translation.override("en"):
        html = page(client, "/services/gx-elderly-allowance/", "en").content.decode()
    for text in ("Aged 80 or over", "What to bring", "Where to do it", "Legal basis", "Given without applying"):
        assert text in html


def test_an_unknown_service_is_a_404(client, catalog):
    assert page(client, "/services/no-such-thing/").status_code == 404


def test_the_bundle_page_lists_its_services_in_order(client, catalog):
    html = page(client, "/services/bundles/birth/").content.decode()
    assert html.index("出生医学证明") < html.index("育儿补贴")


def test_the_home_page_offers_the_screener_and_life_events(client, catalog):
    html = page(client, "/").content.decode()
    assert 'href="/screener/"' in html and "新生儿" in html
