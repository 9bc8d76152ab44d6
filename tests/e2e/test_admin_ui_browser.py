"""The admin UI in Debian's chromium: the FAQ's three steps (add person, relation, grant),
extend with a too-long period and its fix, bulk grant, revoke; a screenshot of each main page
in the artifacts folder (support.browser.artifacts). Nothing here needs JavaScript: the pages have none."""
from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from support import AN, BART, DINA, EMIL, MERELBEKE
from support import browser as _browser
from support.browser import sign_in
from werkzeug.serving import make_server

from attribute_authority import clock

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    _browser.shot(page, f"admin-{name}")


def test_sign_in_from_the_login_button_to_the_start_page(page):
    page.goto("/admin/signed-out")
    shot(page, "sign-in-0-signed-out")
    page.get_by_role("link", name="Opnieuw aanmelden").click()
    sign_in(page, AN, MERELBEKE, start=None, name="sign-in")
    page.wait_for_url("**/admin/")
    assert "Merelbeke-Melle" in page.content()
    shot(page, "sign-in-3-start-page")


def test_demo_app_sign_in_and_single_logout(page):
    page.goto("/demo-app/")
    page.get_by_role("link", name="Aanmelden via lb-idbeheer (eID of federaal token)").click()
    sign_in(page, BART, MERELBEKE, start=None)
    page.wait_for_url("**/demo-app/me")
    content = page.content()
    assert "Bart Claes" in content and f"demo-app-reader@{MERELBEKE}" in content
    assert "Volgens de attribuutautoriteit, nu" in content
    _browser.shot(page, "demo-app-signed-in")
    # Signing out of demo-app ends the bridge's session: the next person needs an eID.
    page.get_by_role("button", name="Afmelden bij demo-app").click()
    page.wait_for_url("**/demo-app/slo?**")
    assert "afgemeld bij demo-app en bij lb-idbeheer" in page.content()
    _browser.shot(page, "demo-app-signed-out")
    for start in ("/demo-app/login", "/admin/"):
        page.goto(start)
        page.wait_for_url("**/dev-eid/**")


def test_keyboard_first_stop_is_the_skip_link(page):
    from playwright.sync_api import expect

    sign_in(page, AN, MERELBEKE)
    page.goto("/admin/people")
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Naar de inhoud")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # from the main content on: the search field comes first
    expect(page.get_by_label("Rijksregisternummer of naam")).to_be_focused()


def test_faq_three_steps_add_person_relation_grant(page):
    sign_in(page, AN, MERELBEKE)
    shot(page, "home")
    page.get_by_role("link", name="Persoon toevoegen").click()
    page.get_by_label("Rijksregister- of BIS-nummer").fill(EMIL)
    page.get_by_role("button", name="Zoek in het rijksregister").click()
    assert page.get_by_text("Novak").is_visible()
    page.get_by_label("Interne notitie (optioneel)").fill("tolk voor het onthaal")
    shot(page, "person-add-confirm")
    page.get_by_role("button", name="Bevestig en ga verder naar de relatie").click()
    page.get_by_label("Externe medewerker").check()
    page.get_by_label("E-mailadres").fill("emil.novak@example.org")
    page.get_by_label("Telefoonnummer (optioneel)").fill("09 123 45 67")
    shot(page, "relation-add")
    page.get_by_role("button", name="Bevestig relatie").click()
    page.get_by_label("Lezer (demo-app-reader", exact=False).check()
    page.get_by_role("button", name="Volgende").click()
    end = page.get_by_label("Einddatum")
    assert end.input_value() == (clock.today() + timedelta(days=365)).isoformat()
    shot(page, "grant-period")
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Reden (optioneel)").fill("onthaal")
    page.get_by_role("button", name="Volgende").click()
    shot(page, "grant-confirm")
    page.get_by_role("button", name="Bevestig toekenning").click()
    assert page.get_by_text("is toegekend").is_visible()
    assert page.locator("td.state-active", has_text="toegekend").count() == 1
    shot(page, "person-detail")


def test_extend_too_long_then_start_today(page):
    today = clock.today()
    sign_in(page, AN, MERELBEKE)
    page.goto(f"/admin/people/{BART}")
    page.get_by_role("link", name="Verleng demo-app-reader").click()
    page.get_by_label("Nieuwe einddatum").fill((today + timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Controleer").click()
    assert page.get_by_role("alert").filter(has_text="te lang").is_visible()
    shot(page, "grant-extend-too-long")
    page.get_by_role("button", name="Begin vandaag").click()
    page.get_by_role("button", name="Bevestig verlenging").click()
    assert page.get_by_text("Het recht loopt nu van").is_visible()


def test_bulk_grant(page):
    sign_in(page, AN, MERELBEKE)
    page.get_by_role("link", name="Recht aan meerdere personen").click()
    page.get_by_label("Gebruikersrecht").select_option("demo-app-admin")
    page.get_by_role("button", name="Toon de personen").click()
    page.get_by_label("Peeters", exact=False).check()
    shot(page, "bulk-grant")
    page.get_by_role("button", name="Volgende", exact=True).click()  # the ticks are kept
    assert page.get_by_role("listitem").filter(has_text="Peeters").count() == 1
    shot(page, "bulk-grant-review")
    page.get_by_role("button", name="Volgende", exact=True).click()
    assert page.get_by_text("1 personen krijgen").is_visible()
    page.get_by_role("button", name="Bevestig voor iedereen").click()
    assert page.get_by_text("Succesvol ontvangen").is_visible()


def test_revoke(page):
    sign_in(page, AN, MERELBEKE)
    page.goto(f"/admin/people/{BART}")
    page.get_by_role("link", name="Herroep demo-app-reader").click()
    page.get_by_label("Reden (optioneel)").fill("andere functie")
    page.get_by_role("button", name="Herroep het recht").click()
    assert page.get_by_text("Het recht is herroepen.").is_visible()
    assert page.locator("td.state-revoked").count() >= 1


def test_screenshots_of_the_main_pages(page):
    sign_in(page, AN, MERELBEKE)
    for name, path in [("people", "/admin/people?q=a"), ("grants", "/admin/grants"),
                       ("upload", "/admin/bulk/upload"), ("delegation", "/admin/delegation"),
                       ("history", "/admin/history")]:
        page.goto(path)
        assert page.locator("h1").count() == 1
        shot(page, name)
    page.get_by_role("button", name="Afmelden").click()
    # One click: a signed LogoutRequest ends the bridge's session without its confirmation
    # page, and the browser ends on the admin UI's own page. The next person at this computer
    # signs in anew, in the same browser.
    page.wait_for_url("**/admin/signed-out")
    assert page.get_by_role("heading", name="U bent afgemeld").is_visible()
    shot(page, "signed-out")
    sign_in(page, DINA, "vlaanderen")
    for name, path in [("governments", "/admin/central/governments"),
                       ("government", f"/admin/central/governments/{MERELBEKE}"),
                       ("catalog", "/admin/central/catalog"), ("helpdesk", "/admin/helpdesk/sign-ins")]:
        page.goto(path)
        shot(page, name)
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "helpdesk-english")


def test_with_javascript_the_hand_over_pages_submit_themselves_under_the_policy(browser, server):
    """#10.11: the Content-Security-Policy lets the POST binding's auto-submit run (its script
    is allowed by hash) and Chromium reports no violation on the whole sign-in."""
    context = browser.new_context(base_url=server)  # JavaScript on
    pg = context.new_page()
    violations = []
    pg.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    pg.goto("/admin/")
    pg.wait_for_url("**/dev-eid/**")
    pg.select_option("select[name=rrn]", AN)
    pg.check("input[name=method][value=eid]")
    pg.get_by_role("button", name="Aanmelden").click()
    pg.wait_for_url("**/idp/capacity")  # the hand-over to the bridge went by itself
    pg.check(f"input[name=capacity][value='{MERELBEKE}']")
    pg.get_by_role("button", name="Verder").click()
    pg.wait_for_url(f"{server}/admin/")  # and so did the one to the admin UI
    assert "Merelbeke-Melle" in pg.content()
    assert violations == []
    context.close()


def test_another_site_cannot_frame_the_admin_forms(browser, server):
    """A page of another origin (its own server on this machine) frames an admin form."""
    def attacker_page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [f'<iframe src="{server}/admin/signed-out"></iframe>'.encode()]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attacker = make_server("127.0.0.1", port, attacker_page, threaded=True)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        pg = context.new_page()
        pg.goto(f"http://localhost:{port}/")
        pg.wait_for_timeout(500)
        framed = [f for f in pg.frames if f != pg.main_frame]
        assert framed and all("csrf_token" not in f.content() for f in framed)
    finally:
        context.close()
        attacker.shutdown()
