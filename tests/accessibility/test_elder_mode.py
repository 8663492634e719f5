def test_the_switch_turns_elder_mode_on_and_it_is_remembered(client, catalog):
    # given a standard page
    assert 'class="standard"' in client.get("/").content.decode()
    # when the visitor presses the switch
    response = client.post("/display/elder-mode/", {"elder_mode": "on", "next": "/services/"})
    # then they return where they were, and every later page is in elder mode
    assert response.status_code == 302 and response["Location"] == "/services/"
    assert response.cookies["display"].value == "elder"
    assert response.cookies["display"]["max-age"] >= 60 * 60 * 24 * 300
    html = client.get("/services/").content.decode()
    assert 'class="elder"' in html and 'aria-pressed="true"' in html
    client.post("/display/elder-mode/", {"elder_mode": "off", "next": "/"})
    assert 'class="standard"' in client.get("/").content.decode()


def test_elder_mode_shows_fewer_items_and_the_hotline(client, catalog):
    standard = client.get("/services/").content.decode()
    client.cookies["display"] = "elder"
    elder = client.get("/services/").content.decode()
    assert elder.count('class="card"') < standard.count('class="card"')
    assert 'href="tel:12345"' in elder and "hotline-quiet" not in elder


def test_the_switch_refuses_to_redirect_elsewhere(client, db):
    response = client.post("/display/elder-mode/", {"elder_mode": "on", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_switch_needs_a_post_with_csrf(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/display/elder-mode/").status_code == 405
    assert strict.post("/display/elder-mode/", {"elder_mode": "on"}).status_code == 403


def test_every_page_offers_the_language_switch(client, catalog):
    for url in ("/", "/services/", "/services/gx-elderly-allowance/", "/screener/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'name="language" value="en"' in html, url
        assert '<html lang="zh-Hans">' in html
    english = client.post("/i18n/setlang/", {"language": "en", "next": "/services/"}, follow=True)
    assert '<html lang="en">' in english.content.decode()
