"""Issue 14 in Debian's chromium, as the people of the FAQ would go through it (JavaScript off):
Bart lacks demo-app-admin, follows demo-app's "no access" link to the request page and asks;
An Peeters finds the request in her inbox and approves it; Bart signs in to demo-app again and
has the right, by a real AttributeQuery (R8). Then An starts an access review, confirms half of
it, and the job (`idbeheer reviews close`) revokes the rest at the deadline. Screenshots of each
step go to IDBEHEER_ARTIFACTS (default test-artifacts/), named self-service-*.png."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import AN, BART, MERELBEKE
from support.browser import chromium, serving, shot, sign_in

from attribute_authority import clock
from attribute_authority.db import make_engine
from attribute_authority.models import AccessRequest, AccessReview, Grant, Person, Relation, ReviewItem

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(databases, register, tmp_path_factory):
    url = databases.seeded(register)
    with serving(url, tmp_path_factory.mktemp("self-service")) as (base, settings):
        yield base, settings


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _person(browser, base):
    return browser.new_context(base_url=base, java_script_enabled=False).new_page()


def _grants_of(db: Session, rrn: str) -> dict[str, Grant]:
    return {g.right.code: g for g in db.scalars(
        select(Grant).join(Grant.relation).join(Relation.person).where(Person.rrn == rrn))}


def test_bart_asks_an_approves_bart_has_the_right_and_a_review_is_closed_by_the_job(server, browser):
    base, settings = server
    engine = make_engine(settings.database_url)
    today = clock.today()

    # Bart, in demo-app, has no access to its administration: the page links to the request.
    bart = _person(browser, base)
    bart.goto("/demo-app/login")
    sign_in(bart, BART, MERELBEKE, start=None)
    bart.wait_for_url("**/demo-app/me")
    bart.goto("/demo-app/beheer")
    assert "Geen toegang" in bart.content()
    shot(bart, "self-service-1-demo-app-no-access")
    bart.get_by_role("link", name="Vraag het recht aan bij uw lokale beheerder").click()
    # the admin UI signs him in through the bridge, whose session already holds his capacity
    bart.get_by_role("button", name="Verder").click()
    bart.wait_for_url("**/account/request?app=demo-app&right=demo-app-admin&government=44088")
    assert "U vraagt het recht Beheerder bij Merelbeke-Melle" in bart.content()
    bart.get_by_label("Waarom heeft u dit recht nodig?").fill(
        "Ik neem het beheer van de demotoepassing over van Chris.")
    shot(bart, "self-service-2-request-form")
    bart.get_by_role("button", name="Verstuur de aanvraag").click()
    bart.wait_for_url("**/account/")
    mine = bart.content()
    assert "is verstuurd naar de lokale beheerders" in mine and "An Peeters" in mine
    shot(bart, "self-service-3-my-rights-request-open")

    # An Peeters sees it in her inbox and approves it, the form prefilled from the request.
    an = _person(browser, base)
    an.goto("/admin/")
    sign_in(an, AN, MERELBEKE, start=None)
    an.wait_for_url("**/admin/")
    an.get_by_role("link", name="1 aanvraag wacht op u").click()
    an.wait_for_url("**/admin/requests")
    shot(an, "self-service-4-inbox")
    an.get_by_role("link", name="Bart Claes").click()
    assert "Ik neem het beheer van de demotoepassing over van Chris." in an.content()
    shot(an, "self-service-5-approve")
    an.get_by_role("button", name="Keur goed en ken toe").click()
    an.wait_for_url("**/admin/requests")
    assert "De aanvraag is goedgekeurd" in an.content()
    with Session(engine) as db:
        asked = db.scalars(select(AccessRequest)).one()
        assert asked.status == "approved" and asked.result_grant.right.code == "demo-app-admin"

    # Bart signs in to demo-app again: the bridge and a live AttributeQuery give him the right.
    bart.context.close()
    bart = _person(browser, base)
    bart.goto("/demo-app/login")
    sign_in(bart, BART, MERELBEKE, start=None)
    bart.wait_for_url("**/demo-app/me")
    assert f"demo-app-admin@{MERELBEKE}" in bart.content()
    bart.goto("/demo-app/beheer")
    assert "welkom in het beheer van demo-app" in bart.content()
    shot(bart, "self-service-6-demo-app-admin")
    bart.goto("/account/")
    bart.get_by_role("button", name="Verder").click()
    bart.wait_for_url("**/account/")
    assert "goedgekeurd" in bart.content()
    shot(bart, "self-service-7-my-rights-approved")

    # An starts a review of Merelbeke-Melle that revokes what is not confirmed by the deadline.
    deadline = today + timedelta(days=7)
    an.get_by_role("link", name="Herzieningen").click()
    an.get_by_label("Uiterste datum (tot en met)").fill(deadline.isoformat())
    an.get_by_label("Herroep wat op de uiterste datum niet bevestigd is").check()
    an.get_by_role("button", name="Start de herziening").click()
    an.wait_for_url("**/admin/reviews/*")
    with Session(engine) as db:
        review = db.scalars(select(AccessReview)).one()
        items = {(i.grant.relation.person.rrn, i.grant.right.code): i.id
                 for i in db.scalars(select(ReviewItem).where(ReviewItem.review_id == review.id))}
    keep = [items[(AN, "idbeheer-local-admin")], items[(BART, "demo-app-admin")]]
    assert len(keep) * 2 == len(items)  # half of it
    for item_id in keep:
        an.check(f"#item-{item_id}")
    an.check("#decision-confirmed")
    an.get_by_role("button", name="Pas toe op de gekozen toekenningen").click()
    assert "2 toekenningen bevestigd" in an.content()
    shot(an, "self-service-8-review-half-confirmed")

    # The job at the deadline, as cron runs it; run twice: the second run changes nothing.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "IDBEHEER_DATABASE_URL": settings.database_url,
           "IDBEHEER_HOME": str(settings.home), "IDBEHEER_METADATA_DIR": str(settings.metadata_dir),
           "IDBEHEER_CERTS_DIR": str(settings.certs_dir), "IDBEHEER_BASE_URL": base}
    command = [str(Path(sys.executable).parent / "idbeheer"), "reviews", "close",
               "--date", deadline.isoformat()]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "1 closed" in first.stdout and "2 revoked" in first.stdout, first.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 closed" in again.stdout and "0 revoked" in again.stdout
    with Session(engine) as db:
        bart_grants, an_grants = _grants_of(db, BART), _grants_of(db, AN)
        assert bart_grants["demo-app-admin"].revoked_on is None
        assert an_grants["idbeheer-local-admin"].revoked_on is None
        assert bart_grants["demo-app-reader"].revoke_reason == "niet bevestigd bij herziening"
    an.reload()
    assert "afgesloten" in an.content() or "niet beoordeeld" in an.content()
    shot(an, "self-service-9-review-closed")
    engine.dispose()
