"""The walkthrough of issue 13, points 1 to 8, in Debian's chromium as the FAQ's people do it
(no JavaScript), with a screenshot of each step in the artifacts folder (walk-N-….png,
support.browser.artifacts). Each test is one point; they share one server and database."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from support import AN, BART, CHRIS, DINA, EMIL, MERELBEKE
from support.browser import shot, sign_in

from attribute_authority import clock

pytestmark = pytest.mark.browser


def day(value) -> str:
    """As the pages write a day: dd-mm-jjjj."""
    return value.strftime("%d-%m-%Y")


@pytest.fixture
def other(browser, server):
    """A second browser (another person at another computer), without JavaScript too."""
    context = browser.new_context(base_url=server, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_1_signing_out_of_demo_app_ends_the_bridge_session(page):
    page.goto("/demo-app/")
    page.get_by_role("link", name="Aanmelden via lb-idbeheer (eID of federaal token)").click()
    sign_in(page, BART, MERELBEKE, start=None)
    page.wait_for_url("**/demo-app/me")
    shot(page, "walk-1-demo-app-signed-in")
    page.get_by_role("button", name="Afmelden bij demo-app").click()
    page.wait_for_url("**/demo-app/slo?**")
    assert "afgemeld bij demo-app en bij lb-idbeheer" in page.content()
    shot(page, "walk-1-demo-app-signed-out")
    for start in ("/demo-app/login", "/admin/"):  # the next person at this computer needs an eID
        page.goto(start)
        page.wait_for_url("**/dev-eid/**")
    shot(page, "walk-1-eid-needed-again")


def test_2_a_reference_date_search_keeps_the_period_before_an_extension(page):
    today = clock.today()
    earlier = today - timedelta(days=10)  # Bart's reader right was active then (since 30 days)
    sign_in(page, AN, MERELBEKE)
    page.goto(f"/admin/people/{BART}")
    page.get_by_role("link", name="Verleng demo-app-reader").click()
    page.get_by_label("Nieuwe begindatum").fill(today.isoformat())
    page.get_by_label("Nieuwe einddatum").fill((today + timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Controleer").click()
    page.get_by_role("button", name="Bevestig verlenging").click()
    assert page.get_by_text("Het recht loopt nu van").is_visible()
    page.get_by_role("link", name="Rechten zoeken").click()
    page.get_by_label("Referentiedatum").fill(earlier.isoformat())
    page.get_by_label("Rijksregisternummer").fill(BART)
    page.get_by_role("button", name="Zoek").click()
    assert page.get_by_text(f"Status op {day(earlier)}.").is_visible()
    row = page.locator("tbody tr", has_text="demo-app-reader")
    expect(row).to_have_count(1)
    expect(row.locator("td.state-active")).to_have_text("toegekend")  # not "in afwachting"
    shot(page, "walk-2-search-on-an-earlier-day")


def test_3_the_helpdesk_finds_a_cancelled_sign_in_by_time_window(page, other):
    began = datetime.now(clock.BRUSSELS) - timedelta(minutes=5)
    page.goto("/demo-app/login")
    page.wait_for_url("**/dev-eid/**")
    page.select_option("select[name=rrn]", BART)
    page.locator("summary", has_text="Foutscenario").click()
    page.get_by_label("Afloop").select_option("cancel")
    shot(page, "walk-3-cancel-at-the-eid-service")
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("button", name="Verder").click()  # the hand-over to the bridge
    # The same browser tries again and signs in.
    page.goto("/demo-app/login")
    sign_in(page, BART, MERELBEKE, start=None)
    page.wait_for_url("**/demo-app/me")
    ended = datetime.now(clock.BRUSSELS) + timedelta(minutes=5)

    sign_in(other, DINA, "vlaanderen")
    other.goto("/admin/helpdesk/sign-ins")
    other.get_by_label("Van (dag)").fill(began.date().isoformat())
    other.get_by_label("vanaf (uur, optioneel)").fill(began.strftime("%H:%M"))
    other.get_by_label("Tot en met (dag)").fill(ended.date().isoformat())
    other.get_by_label("tot en met (uur, optioneel)").fill(ended.strftime("%H:%M"))
    other.get_by_label("Resultaat").select_option(label="mislukt")
    other.get_by_role("button", name="Zoek").click()
    row = other.locator("tbody tr", has_text=f"dezelfde browser meldde later aan als {BART}")
    expect(row.first).to_be_visible()
    expect(row.first).to_contain_text("mislukt")
    assert "failed" not in row.first.inner_text() and "cancel" not in row.first.inner_text()
    shot(other, "walk-3-helpdesk-finds-it")


def test_4_a_future_start_moves_the_end_and_a_shorter_period_is_said(page):
    start = clock.today() + timedelta(days=30)
    sign_in(page, AN, MERELBEKE)
    page.goto(f"/admin/people/{BART}")
    page.get_by_role("link", name="Voeg gebruikersrecht toe").click()
    page.get_by_label("Beheerder (demo-app-admin", exact=False).check()
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Begindatum").fill(start.isoformat())  # the end left as proposed
    shot(page, "walk-4-future-start")
    page.get_by_role("button", name="Volgende").click()
    assert page.get_by_text(f"van {day(start)} tot en met {day(start + timedelta(days=90))}").is_visible()
    page.get_by_role("button", name="Wijzig de periode").click()
    page.get_by_label("Einddatum").fill((start + timedelta(days=50)).isoformat())
    page.get_by_role("button", name="Volgende").click()
    page.get_by_role("button", name="Volgende").click()
    expect(page.locator("#shortened")).to_contain_text("50 dagen, korter dan het maximum van 90 dagen")
    expect(page.get_by_text("de begindatum ligt in de toekomst")).to_be_visible()
    shot(page, "walk-4-shortened-period-said")
    page.get_by_role("button", name="Bevestig toekenning").click()
    assert page.get_by_text("is toegekend").is_visible()


def test_5_without_a_relation_the_capacity_page_explains_instead_of_looping(page):
    page.goto("/demo-app/login")
    sign_in(page, EMIL, None, start=None)  # Emil: in the national register, no government's
    notice = page.locator("#no-relation")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("local administrator")  # his PrefLanguage is English
    expect(notice.get_by_role("link", name="Request access to Demotoepassing")).to_have_attribute(
        "href", "/account/request?app=demo-app")
    assert page.locator("input[name=capacity]").count() == 0  # no choice that loops
    shot(page, "walk-5-no-relation")


def test_6_extension_guidance_says_what_to_do(page):
    today = clock.today()
    sign_in(page, AN, MERELBEKE)
    page.goto(f"/admin/people/{CHRIS}")
    page.get_by_role("link", name="Verleng demo-app-admin").click()
    page.get_by_label("Nieuwe einddatum").fill((today + timedelta(days=200)).isoformat())
    page.get_by_role("button", name="Controleer").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("te lang")
    expect(alert).to_contain_text("Schuif de begindatum op")  # an extension's fix, first
    expect(page.get_by_role("button", name="Begin vandaag")).to_be_visible()
    shot(page, "walk-6-extension-too-long")
    later = today + timedelta(days=10)
    page.get_by_label("Nieuwe begindatum").fill(later.isoformat())
    page.get_by_label("Nieuwe einddatum").fill((later + timedelta(days=60)).isoformat())
    page.get_by_label("Reden (optioneel)").fill("project loopt door")
    page.get_by_role("button", name="Controleer").click()
    warning = page.locator("#pending-warning")
    expect(warning).to_contain_text("geen toegang meer")  # current access stops until then
    expect(warning.get_by_role("button", name="Begin vandaag")).to_be_visible()  # and the fix
    shot(page, "walk-6-future-start-warning")
    page.get_by_role("button", name="Wijzig de periode").click()  # what was typed stays
    expect(page.get_by_label("Nieuwe begindatum")).to_have_value(later.isoformat())
    expect(page.get_by_label("Reden (optioneel)")).to_have_value("project loopt door")
    page.get_by_role("button", name="Controleer").click()
    warning.get_by_role("button", name="Begin vandaag").click()
    page.get_by_role("button", name="Bevestig verlenging").click()
    assert page.get_by_text(f"Het recht loopt nu van {day(today)}").is_visible()


def test_7_the_rights_search_opens_clean_in_dutch(page):
    sign_in(page, AN, MERELBEKE)
    for link in ("Rechten zoeken", "Alle actieve rechten", "Alle rechten in afwachting"):
        page.goto("/admin/")
        page.get_by_role("link", name=link).first.click()
        assert page.locator(".error, [role=alert]").count() == 0, link
        assert "Ongeldige keuze" not in page.content()
    options = page.get_by_label("Status").locator("option").all_inner_texts()
    assert {"toegekend", "in afwachting", "verlopen", "herroepen"} <= set(options)
    assert not {"active", "pending", "expired", "revoked"} & set(options)
    shot(page, "walk-7-rights-search")
    page.goto("/admin/grants?at=31-02-2026")  # a day that does not exist
    expect(page.get_by_role("alert")).to_contain_text("er is nog niets gezocht")
    assert page.locator("tbody tr").count() == 0  # and no list of today's rights
    shot(page, "walk-7-bad-date")


def test_8_ending_a_relation_with_rights_is_shown_disabled_with_the_reason(page):
    sign_in(page, AN, MERELBEKE)
    page.goto(f"/admin/people/{BART}")
    end = page.get_by_role("button", name="Beëindig relatie")
    expect(end).to_be_disabled()
    why = page.locator("#" + end.get_attribute("aria-describedby"))
    expect(why).to_contain_text("Herroep eerst")
    expect(why.get_by_role("link", name="Herroep", exact=False).first).to_be_visible()
    shot(page, "walk-8-end-relation-disabled")
