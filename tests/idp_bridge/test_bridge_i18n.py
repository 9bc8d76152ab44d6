"""The bridge's pages: Dutch by default, English on request (the switch link, the upstream
PrefLanguage, the browser's Accept-Language); the English catalog covers every marked string
(the .po is compiled in memory, so this is the only check that it is complete)."""
import dataclasses
import importlib.util
import re
from pathlib import Path

import lxml.html
from support import BART, CHRIS, EMIL, HANNE, MERELBEKE, NAZARETH
from support.bridge import _path, answer_logout, saml_response_of

from idp_bridge import i18n

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "catalog.py"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog_tool():
    spec = importlib.util.spec_from_file_location("catalog", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TARGETS["idp_bridge"]


def text(response) -> str:
    return response.get_data(as_text=True)


def language_link(response):
    """(href, text) of the page's language switch; it must be a plain link in a labelled nav."""
    doc = lxml.html.fromstring(response.data)
    [link] = doc.xpath("//nav[@aria-label]/a[@hreflang]")
    return link.get("href"), link.text_content().strip()


def html_lang(response) -> str:
    return lxml.html.fromstring(response.data).get("lang")


def accept_language(browser, value: str):
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = value
    return browser


# -- the catalog ------------------------------------------------------------------------------

def test_english_catalog_translates_every_string():
    tool = _catalog_tool()
    translations = tool.load()
    wanted = tool.extract()
    assert len(wanted) > 50  # templates, error classes, journey and capacity labels
    missing = sorted(m for m in wanted if not translations.get(m))
    assert not missing, f"run scripts/catalog.py idp_bridge and translate: {missing}"


def test_translations_keep_their_placeholders():
    for msgid, msgstr in _catalog_tool().load().items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid


def test_dev_eid_stays_out_of_the_catalog():
    assert not any("Onbekende persoon" in m for m in _catalog_tool().extract())


def test_catalog_compiles_in_memory():
    assert i18n.compile_catalogs()["en"].gettext("Wat nu?") == "What now?"


# -- choosing the language --------------------------------------------------------------------

def test_dutch_by_default(bridge):
    browser = bridge.browser()
    browser.upstream_sign_in(bridge.sp("demo-app"), CHRIS)
    page = browser.get("/idp/capacity")
    assert html_lang(page) == "nl" and "In welke hoedanigheid meldt u aan?" in text(page)
    assert language_link(page) == ("/idp/capacity?lang=en", "English")
    refused = bridge.browser().get("/idp/capacity")  # no session
    assert refused.status_code == 403 and html_lang(refused) == "nl"
    assert "U bent niet (meer) aangemeld" in text(refused) and "Wat nu?" in text(refused)


def test_accept_language_english_on_refusal_pages(bridge):
    browser = accept_language(bridge.browser(), "en-GB,en;q=0.9,nl;q=0.4")
    no_session = browser.get("/idp/capacity")
    assert no_session.status_code == 403 and html_lang(no_session) == "en"
    page = text(no_session)
    assert "You are not signed in (any more); your session may have expired." in page
    assert "Sign-in failed" in page and "What now?" in page and "Error code for the helpdesk" in page
    assert "Wat nu?" not in page and "aangemeld" not in page
    assert language_link(no_session) == ("/idp/capacity?lang=nl", "Nederlands")
    no_request = browser.get("/idp/sso")  # a class attribute's (lazy) message
    assert no_request.status_code == 400
    assert language_link(no_request) == ("/idp/slo?lang=nl", "Nederlands")  # not repeatable
    assert "The application's request was refused." in text(no_request)
    assert "Go back to the application you wanted to use" in text(no_request)


def test_accept_language_without_english_is_dutch(bridge):
    page = accept_language(bridge.browser(), "fr-BE,de;q=0.8").get("/idp/capacity")
    assert html_lang(page) == "nl" and "Wat nu?" in text(page)


def test_accept_language_english_on_the_capacity_page(bridge, monkeypatch):
    """An upstream IdP that sends no PrefLanguage: the browser's language decides."""
    register = bridge.deps.register
    lookup = register.lookup
    monkeypatch.setattr(register, "lookup",
                        lambda rrn: dataclasses.replace(lookup(rrn), language=None))
    browser = accept_language(bridge.browser(), "en")
    _any_app(bridge)  # both options are offered only to an application that accepts both
    browser.upstream_sign_in(bridge.sp("any-app"), CHRIS)
    page = browser.get("/idp/capacity")
    html = text(page)
    assert html_lang(page) == "en" and "In which capacity are you signing in?" in html
    assert "As a citizen" in html and "As an employee of" in html and "Continue" in html
    assert "hoedanigheid" not in html


def test_pref_language_english_from_the_upstream_sign_in(bridge):
    """Emil's register record says "en": dev_eid sends it as PrefLanguage; it beats the
    browser's Dutch."""
    browser = accept_language(bridge.browser(), "nl")
    _any_app(bridge)
    capacity = browser.upstream_sign_in(bridge.sp("any-app"), EMIL)
    assert capacity.status_code == 303
    page = browser.get("/idp/capacity")
    assert html_lang(page) == "en" and "Welcome, Emil Novak." in text(page)
    browser.submit(page.data, capacity="citizen")
    # demo-app is for employees: as a citizen Emil gets the switch page, in English
    browser.get(bridge.sp("demo-app").login_url())
    mismatch = browser.get("/idp/capacity")
    assert mismatch.status_code == 409 and html_lang(mismatch) == "en"
    html = text(mismatch)
    assert "This application asks for another capacity" in html
    assert "signed in <strong>as citizen</strong>" in html
    assert "as an employee of a local government" in html
    confirm = browser.get("/idp/slo")
    assert "Sign out of all applications?" in text(confirm)
    assert "Emil Novak, you are signed in as citizen." in text(confirm)


def test_pref_language_other_than_english_is_dutch(bridge):
    browser = accept_language(bridge.browser(), "en")
    browser.upstream_sign_in(bridge.sp("demo-app"), HANNE)  # PrefLanguage "fr"
    page = browser.get("/idp/capacity")
    # Hanne has no relation and demo-app takes employees only: the no-relation page, in Dutch.
    assert html_lang(page) == "nl" and "Geen toegang als medewerker" in text(page)


def test_switch_link_is_remembered_in_the_session(bridge):
    browser = bridge.browser()
    browser.upstream_sign_in(bridge.sp("demo-app"), CHRIS)
    english = browser.get("/idp/capacity?lang=en")
    assert html_lang(english) == "en" and "Choose your capacity" in text(english)
    assert language_link(english) == ("/idp/capacity?lang=nl", "Nederlands")
    assert "<script" not in text(english)
    again = browser.get("/idp/capacity")
    assert html_lang(again) == "en" and "In which capacity are you signing in?" in text(again)
    browser.submit(again.data, capacity=MERELBEKE)
    refused = browser.submit(again.data, capacity=NAZARETH)  # a refusal with a formatted text
    assert refused.status_code == 400
    assert "you already act as employee of Merelbeke-Melle" in text(refused)
    assert language_link(refused) == ("/idp/capacity?lang=nl", "Nederlands")
    confirm = browser.get("/idp/slo")
    assert "Sign out of all applications?" in text(confirm)
    assert "signed in as employee of Merelbeke-Melle" in text(confirm)
    dutch = browser.get("/idp/slo?lang=nl")
    assert html_lang(dutch) == "nl" and "Afmelden bij alle toepassingen?" in text(dutch)
    assert html_lang(browser.get("/idp/capacity")) == "nl"


def _signed_out_everywhere(bridge, browser):
    """demo-app signed in, then the bridge's own "Afmelden" through to its last page."""
    demo = bridge.sp("demo-app")
    demo.consume(saml_response_of(browser.sign_in(demo, BART, MERELBEKE).data))
    hop = browser.submit(browser.get("/idp/slo").data)  # "Afmelden bij alle toepassingen", any language
    hop = browser.get(_path(answer_logout(demo, hop.headers["Location"])))
    assert "/dev-eid/slo" in hop.headers["Location"]
    dev_eid = browser.get(_path(hop.headers["Location"]))
    done = browser.get(_path(dev_eid.headers["Location"]))
    assert done.status_code == 200 and browser.get("/idp/capacity").status_code == 403
    return done


def test_the_signed_out_page_speaks_the_language_of_the_session_that_ended(bridge):
    """Bart's PrefLanguage is Dutch, his browser asks English: every page of his session is
    Dutch, and so is the one saying he is signed out (it came in English once the session had
    ended: found by the Playwright tests). A new sign-in goes by its own PrefLanguage."""
    browser = accept_language(bridge.browser(), "en")
    done = _signed_out_everywhere(bridge, browser)
    assert html_lang(done) == "nl" and "afgemeld bij alle toepassingen" in text(done)
    assert html_lang(browser.get("/idp/slo")) == "nl"
    _any_app(bridge)
    browser.upstream_sign_in(bridge.sp("any-app"), EMIL)  # PrefLanguage "en"
    assert html_lang(browser.get("/idp/capacity")) == "en"


def test_a_language_chosen_on_the_bridge_outlives_the_sign_out(bridge):
    browser = bridge.browser()
    assert html_lang(browser.get("/idp/slo?lang=en")) == "en"  # before signing in: it beats PrefLanguage
    done = _signed_out_everywhere(bridge, browser)
    assert html_lang(done) == "en", text(done)[:500]


def test_unknown_language_is_ignored(bridge):
    page = bridge.browser().get("/idp/capacity?lang=xx")
    assert html_lang(page) == "nl"


def _any_app(bridge) -> None:
    from sqlalchemy import select

    from attribute_authority.models import Application

    with bridge.db() as s, s.begin():
        app = s.scalars(select(Application).where(Application.code == "any-app")).first()
        if app is None:
            s.add(Application(code="any-app", name="any-app", capacity="any"))
        else:
            app.capacity = "any"
