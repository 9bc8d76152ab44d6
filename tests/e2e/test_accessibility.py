"""Every main page passes axe-core's WCAG 2.1 A/AA and best-practice rules without a serious or
critical violation (#13.16; nor a moderate one, see support/axe.py): the admin UI as local and
central administrator (lists, forms, each step of the grant wizard, error pages), the bridge's
and dev_eid's sign-in pages, the no-relation page, a civil servant's own pages (/account/) and
demo-app.

axe runs in JavaScript: people sign in without it (as the pages need none), then each page is
opened in a JavaScript context that carries the signed-in cookies (`storage_state`); axe is
evaluated through Playwright, so the pages keep their Content-Security-Policy while scanned."""
from __future__ import annotations

from datetime import timedelta

import pytest
from support import AN, BART, CHRIS, DINA, EMIL, HANNE, MERELBEKE, NAZARETH, axe
from support.axe import assert_accessible
from support.browser import sign_in

from attribute_authority import clock

pytestmark = pytest.mark.browser


def _signed_in(browser, server, rrn: str, government: str, start: str = "/admin/") -> dict:
    context = browser.new_context(base_url=server, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, rrn, government, start=start)
    page.wait_for_url(f"**{start}**")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def local_admin(browser, server) -> dict:
    return _signed_in(browser, server, AN, MERELBEKE)


@pytest.fixture(scope="module")
def central_admin(browser, server) -> dict:
    return _signed_in(browser, server, DINA, "vlaanderen")


@pytest.fixture(scope="module")
def civil_servant(browser, server) -> dict:
    """Bart on his own page (/account/), no administrator."""
    return _signed_in(browser, server, BART, MERELBEKE, start="/account/")


@pytest.fixture
def open_page(browser, server):
    """open_page(state) -> a page in a JavaScript context, signed in as `state` says."""
    contexts = []

    def open_(state: dict | None = None):
        context = browser.new_context(base_url=server, storage_state=state)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


LOCAL_PAGES = [
    "/admin/",
    "/admin/people",
    "/admin/people?q=a",
    f"/admin/people/{BART}",
    f"/admin/people/{BART}/edit",
    f"/admin/people/{BART}/history",
    "/admin/people/new",
    "/admin/grants",
    "/admin/grants?state=active&at=01-01-2026",
    "/admin/grants?at=geen-datum",
    "/admin/bulk/grant",
    "/admin/bulk/upload",
    "/admin/requests",
    "/admin/reviews",
    "/admin/report",
    "/admin/delegation",
    "/admin/history",
    "/admin/switch",
    "/admin/central/catalog",  # refused: a local administrator is not a central one
    "/admin/people/12345678901",  # not a valid number: an error page
    "/admin/no-such-page",  # the admin UI's own 404
]
CENTRAL_PAGES = [
    "/admin/",
    "/admin/central/governments",
    f"/admin/central/governments/{MERELBEKE}",
    "/admin/central/governments/new",
    "/admin/central/catalog",
    "/admin/central/catalog/applications/demo-app/oidc",
    "/admin/helpdesk/sign-ins",
    f"/admin/helpdesk/sign-ins?rrn={BART}",
]


ACCOUNT_PAGES = [
    "/account/",
    f"/account/request?app=demo-app&government={MERELBEKE}",
    "/account/request?app=demo-app&right=demo-app-admin",
    "/account/request?app=geen-toepassing",  # refused: no such application
    f"/account/request?app=demo-app&right=demo-app-admin&government={MERELBEKE}",
    f"/account/request?app=demo-app&right=demo-app-reader&government={MERELBEKE}",  # extension
    "/admin/",  # refused: he is no administrator
]


@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_a_civil_servant_s_own_pages(open_page, civil_servant, script, path):
    page = open_page(civil_servant)
    page.goto(path)
    assert "/dev-eid/" not in page.url
    assert_accessible(page, script)


@pytest.mark.parametrize("path", LOCAL_PAGES)
def test_local_administrator_pages(open_page, local_admin, script, path):
    page = open_page(local_admin)
    page.goto(path)
    assert "/dev-eid/" not in page.url  # still signed in
    assert_accessible(page, script)


@pytest.mark.parametrize("path", CENTRAL_PAGES)
def test_central_administrator_and_helpdesk_pages(open_page, central_admin, script, path):
    page = open_page(central_admin)
    page.goto(path)
    assert "/dev-eid/" not in page.url
    assert_accessible(page, script)


def test_pages_in_english(browser, server, open_page, script):
    """The language switch: the same pages in English, `lang` and all (a session of its own,
    so the other tests keep Dutch)."""
    state = _signed_in(browser, server, AN, MERELBEKE)
    page = open_page(state)
    page.goto("/admin/people")
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    for path in ("/admin/", f"/admin/people/{BART}", "/admin/grants", "/admin/history"):
        page.goto(path)
        assert_accessible(page, script)


def test_the_forms_reached_from_a_person(open_page, local_admin, script):
    """The relation form, extension, revocation and every step of the grant wizard."""
    page = open_page(local_admin)
    for link in ("Wijzig relatie", "Verleng demo-app-reader", "Herroep demo-app-reader"):
        page.goto(f"/admin/people/{BART}")
        page.get_by_role("link", name=link).first.click()
        assert_accessible(page, script)
    page.goto(f"/admin/people/{BART}")
    page.get_by_role("link", name="Voeg gebruikersrecht toe").first.click()
    assert_accessible(page, script)  # step 1: the right
    page.get_by_label("Beheerder (demo-app-admin", exact=False).check()
    page.get_by_role("button", name="Volgende").click()
    assert_accessible(page, script)  # step 2: the period
    page.get_by_label("Einddatum").fill((clock.today() - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Volgende").click()  # an end before the start
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page, script)  # refused, with the reason
    page.get_by_label("Einddatum").fill((clock.today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Volgende").click()
    assert_accessible(page, script)  # step 3: the reason
    page.get_by_role("button", name="Volgende").click()
    assert_accessible(page, script)  # the summary to confirm


def test_the_bulk_grant_steps(open_page, local_admin, script):
    page = open_page(local_admin)
    page.goto("/admin/bulk/grant")
    page.get_by_label("Gebruikersrecht").select_option("demo-app-admin")
    page.get_by_role("button", name="Toon de personen").click()
    assert_accessible(page, script)  # the people to tick
    page.get_by_label("Peeters", exact=False).check()
    page.get_by_role("button", name="Volgende", exact=True).click()
    assert_accessible(page, script)  # the ticked list
    page.get_by_role("button", name="Volgende", exact=True).click()
    assert_accessible(page, script)  # the period and reason for all, to confirm


def test_adding_a_person_and_a_relation(open_page, local_admin, script):
    page = open_page(local_admin)
    page.goto("/admin/people/new")
    page.get_by_label("Rijksregister- of BIS-nummer").fill(HANNE)
    page.get_by_role("button", name="Zoek in het rijksregister").click()
    assert_accessible(page, script)  # the register's data to confirm
    page.get_by_role("button", name="Bevestig en ga verder naar de relatie").click()
    page.get_by_role("button", name="Bevestig relatie").click()  # empty: errors on the fields
    assert_accessible(page, script)
    page.get_by_label("Externe medewerker").check()
    page.get_by_label("E-mailadres").fill("hanne@example.org")
    page.get_by_role("button", name="Bevestig relatie").click()
    page.goto(f"/admin/people/{HANNE}")
    page.get_by_role("link", name="Beëindig relatie").click()
    assert_accessible(page, script)


def test_the_oidc_client_form_refused_and_the_secret_page(open_page, central_admin, script):
    """A new catalog application of its own (demo-app's OIDC mode serves other tests here),
    registered as an OIDC client from its catalog entry."""
    page = open_page(central_admin)
    page.goto("/admin/central/catalog")
    page.get_by_label("Toepassingscode").fill("a11y-oidc")
    page.locator("#app-name").fill("Toegankelijkheid OIDC")
    page.get_by_role("button", name="Registreer").click()
    page.get_by_role("link", name="a11y-oidc als OIDC-client registreren").click()
    assert_accessible(page, script)  # not an OIDC client yet: the empty form
    page.get_by_label("client_secret_basic", exact=False).check()
    page.get_by_role("button", name="Bewaar de OIDC-registratie van a11y-oidc").click()
    assert page.get_by_role("alert").is_visible()  # no redirect URI: refused, with the reason
    assert_accessible(page, script)
    page.get_by_label("Redirect URI's", exact=True).fill("https://rp.example.be/callback")
    page.get_by_label("client_secret_basic", exact=False).check()
    page.get_by_role("button", name="Bewaar de OIDC-registratie van a11y-oidc").click()
    assert page.locator("#client-secret").is_visible()  # the one page with the secret
    assert_accessible(page, script)
    page.get_by_role("link", name="terug naar de OIDC-registratie", exact=False).click()
    assert_accessible(page, script)  # the registration as it stands


def test_sign_in_pages_of_the_bridge_and_dev_eid(open_page, script):
    page = open_page()
    page.goto("/admin/")
    page.wait_for_url("**/dev-eid/**")
    assert_accessible(page, script)  # dev_eid's page
    sign_in(page, AN, None, start=None, javascript=True)
    assert_accessible(page, script)  # the capacity page
    page.check(f"input[name=capacity][value='{MERELBEKE}']")
    page.get_by_role("button", name="Verder").click()
    page.wait_for_url("**/admin/")
    page.goto("/idp/capacity")
    assert page.get_by_role("heading", name="U bent aangemeld").is_visible()
    assert_accessible(page, script)  # the bridge's status page: who, in which capacity
    page.goto("/idp/slo")
    assert_accessible(page, script)  # the bridge asks before signing out everywhere


def test_the_no_relation_page_and_demo_app(open_page, script):
    page = open_page()
    page.goto("/demo-app/")
    assert_accessible(page, script)
    page.goto("/demo-app/login")
    sign_in(page, EMIL, None, start=None, javascript=True)  # no government registered him
    assert page.locator("#no-relation").is_visible()
    assert_accessible(page, script)
    request_page = page.locator("#no-relation a").get_attribute("href")
    page.locator("button[value=cancel]").click()  # back to demo-app, which was refused
    page.wait_for_url("**/demo-app/acs")
    assert_accessible(page, script)
    page.goto(request_page)  # the request page, as a citizen
    page.wait_for_url("**/idp/capacity")
    page.check("input[name=capacity][value=citizen]")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/account/request?app=demo-app")
    assert_accessible(page, script)
    page = open_page()  # Emil's bridge session lives on in the other browser
    page.goto("/demo-app/login")
    sign_in(page, BART, MERELBEKE, start=None, javascript=True)
    page.wait_for_url("**/demo-app/me")
    assert_accessible(page, script)


def test_the_capacity_mismatch_page(open_page, script):
    """Bart on his own page as a citizen, then demo-app, which takes employees only (R13)."""
    page = open_page()
    page.goto("/account/")
    sign_in(page, BART, "citizen", start=None, javascript=True)
    page.wait_for_url("**/account/")
    page.goto("/demo-app/login")
    page.wait_for_url("**/idp/capacity")
    assert page.get_by_role("heading", name="Deze toepassing vraagt een andere hoedanigheid").is_visible()
    assert_accessible(page, script)


def test_the_capacity_mismatch_page_for_an_oidc_application(open_page, script):
    """Chris on his own page for Merelbeke-Melle, then demo-app's OIDC mode asking
    Nazareth-De Pinte (`capacity=`): the same switch page, reached through /oidc/authorize."""
    page = open_page()
    page.goto("/account/")
    sign_in(page, CHRIS, MERELBEKE, start=None, javascript=True)
    page.wait_for_url("**/account/")
    page.goto(f"/demo-app-oidc/login?capacity={NAZARETH}")
    page.wait_for_url("**/idp/capacity")
    assert page.get_by_role("heading", name="Deze toepassing vraagt een andere hoedanigheid").is_visible()
    assert page.get_by_role("button", name="Opnieuw aanmelden en van hoedanigheid wisselen").is_visible()
    assert_accessible(page, script)


def test_error_and_signed_out_pages(open_page, script):
    page = open_page()
    for path in ("/idp/sso", "/idp/slo", "/admin/signed-out"):
        page.goto(path)
        assert_accessible(page, script)


def test_the_check_itself_finds_violations(open_page, script):
    """A page with the faults the check is for: an unlabelled field, grey on grey, no lang."""
    page = open_page()
    page.set_content('<html><body><main><h1>x</h1><input type="text">'
                     '<p style="color:#aaa;background:#bbb">faint</p></main></body></html>')
    rules = {v.rule for v in axe.failing(axe.scan(page, script))}
    assert {"label", "color-contrast", "html-has-lang"} <= rules


def test_the_request_form_refused_and_my_rights_with_a_request(open_page, civil_servant, script):
    page = open_page(civil_servant)
    page.goto(f"/account/request?app=demo-app&right=demo-app-admin&government={MERELBEKE}")
    page.get_by_role("button", name="Verstuur de aanvraag").click()  # no motivation
    assert page.get_by_role("alert").count() or page.locator("#motivation-error").is_visible()
    assert_accessible(page, script)
    page.get_by_label("Waarom heeft u dit recht nodig?").fill("Voor de test van de toegankelijkheid.")
    page.get_by_role("button", name="Verstuur de aanvraag").click()
    page.wait_for_url("**/account/")
    assert_accessible(page, script)  # with the open request and the confirmation
