"""Issue 13 point 3: the helpdesk finds failed sign-ins by time window alone (day and time of
day), by application and by outcome; an attempt that failed before identification shows the
RRN its browser flow signed in with; reason, outcome, method and capacity in plain Dutch."""
import html
from datetime import datetime, time

from sqlalchemy import delete
from support import BART, CHRIS, DINA
from support.admin import sign_in

from attribute_authority import clock, sign_ins
from attribute_authority.models import SignInEvent
from attribute_authority.sign_ins import Attempt


def text(response):
    return html.unescape(response.get_data(as_text=True))


def _at(hour, minute):
    return datetime.combine(clock.today(), time(hour, minute), clock.BRUSSELS)


def _trail(db):
    db.execute(delete(SignInEvent))
    for at, attempt in [
        (_at(10, 7), Attempt("failed", "upstream_authn_failed", application="demo-app",
                             flow_id="a" * 32)),
        (_at(10, 9), Attempt("success", "assertion_issued", rrn=BART, method="eid",
                             application="demo-app", capacity="44088", flow_id="a" * 32)),
        (_at(10, 12), Attempt("failed", "upstream_responder", application="idbeheer",
                              flow_id="b" * 32)),
        (_at(11, 30), Attempt("success", "assertion_issued", rrn=CHRIS, method="token",
                              application="demo-app", capacity="citizen", flow_id="c" * 32)),
    ]:
        sign_ins.record(db, Attempt(**{**attempt.__dict__, "at": at}))
    db.commit()


def test_time_window_alone_finds_the_attempts_without_rrn(client, db):
    _trail(db)
    sign_in(client, DINA, "vlaanderen")
    day = clock.today().isoformat()
    response = client.get(f"/admin/helpdesk/sign-ins?first={day}&since=10:05&last={day}&until=10:20")
    page = text(response)
    assert response.status_code == 200
    assert "dezelfde browser meldde later aan als 90021411412" in page  # the cancelled one
    assert "De federale aanmeldingsdienst gaf een fout" in page
    assert CHRIS not in page  # 11:30 is outside the window
    assert "mislukt" in page and "gelukt" in page and "eID-kaart" in page
    assert "medewerker van Merelbeke-Melle" in page
    for raw in (">failed<", ">success<", ">eid<", ">44088<", ">demo-app<"):
        assert raw not in page, raw


def test_filter_by_application_and_outcome(client, db):
    _trail(db)
    sign_in(client, DINA, "vlaanderen")
    day = clock.today().isoformat()
    failed = text(client.get(f"/admin/helpdesk/sign-ins?first={day}&last={day}&outcome=failed"))
    assert "De federale aanmeldingsdienst gaf een fout" in failed and BART not in failed.split(
        "<tbody>")[1].replace("als 90021411412", "")
    idbeheer = text(client.get(f"/admin/helpdesk/sign-ins?first={day}&last={day}&application=idbeheer"))
    assert "gaf een fout" in idbeheer and "federaal token" not in idbeheer
    citizen = text(client.get(f"/admin/helpdesk/sign-ins?first={day}&last={day}&rrn={CHRIS}"))
    assert "burger" in citizen and "federaal token" in citizen


def test_search_by_rrn_includes_the_failed_attempt_of_the_same_flow(client, db):
    _trail(db)
    sign_in(client, DINA, "vlaanderen")
    day = clock.today().isoformat()
    page = text(client.get(f"/admin/helpdesk/sign-ins?rrn={BART}&first={day}&last={day}"))
    assert "Het aanmelden bij de federale dienst is mislukt of geannuleerd" in page
    assert "gaf een fout" not in page  # another browser's attempt
