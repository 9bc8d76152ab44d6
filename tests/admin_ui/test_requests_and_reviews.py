"""The admin UI's inbox of requests (R15), access reviews (R16) and the government's report,
through the Flask test client, as the FAQ's local administrator would use them."""
import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from support import AN, BART, CHRIS, FEMKE, MERELBEKE, NAZARETH, actor
from support.admin import post, sign_in

from attribute_authority import access_requests, clock, reviews, rights_query
from attribute_authority.models import AccessRequest, Notice, Person, ReviewItem


@pytest.fixture
def bart_asks(db):
    bart = db.scalar(select(Person.id).where(Person.rrn == BART))
    asked = access_requests.submit(db, bart, MERELBEKE, "demo-app-admin", "Ik test de demo.")
    db.commit()
    return asked.id


def test_home_counts_the_waiting_requests_and_links_the_inbox(client, bart_asks):
    sign_in(client, AN, MERELBEKE)
    home = client.get("/admin/").get_data(as_text=True)
    assert "1</strong> aanvraag wacht op u" in home
    inbox = client.get("/admin/requests").get_data(as_text=True)
    assert "Bart Claes" in inbox and "in afwachting" in inbox


def test_the_inbox_and_request_name_the_brussels_day_it_was_made(client, db, bart_asks):
    """Made at 00:30 in Brussels on 1 July (22:30 UTC on 30 June): the screens say 1 July."""
    from datetime import datetime, timezone

    db.get(AccessRequest, bart_asks).created_at = datetime(2026, 6, 30, 22, 30, tzinfo=timezone.utc)
    db.commit()
    sign_in(client, AN, MERELBEKE)
    for path in ("/admin/requests", f"/admin/requests/{bart_asks}"):
        page = client.get(path).get_data(as_text=True)
        assert "01-07-2026" in page and "30-06-2026" not in page, path


def test_approve_prefills_the_grant_and_the_right_is_answered_at_once(client, db, bart_asks):
    sign_in(client, AN, MERELBEKE)
    page = client.get(f"/admin/requests/{bart_asks}").get_data(as_text=True)
    today = clock.today()
    assert f'value="{(today + timedelta(days=90)).isoformat()}"' in page or \
        (today + timedelta(days=90)).strftime("%d-%m-%Y") in page
    assert "Ik test de demo." in page
    response = post(client, f"/admin/requests/{bart_asks}", {
        "action": "approve", "start": today.isoformat(),
        "end": (today + timedelta(days=90)).isoformat(), "reason": "Aanvraag: Ik test de demo."})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(AccessRequest, bart_asks).status == "approved"
    assert "demo-app-admin@44088" in rights_query.answer(db, BART, "demo-app", today).rights
    assert db.scalar(select(Notice.subject).where(Notice.key == f"decision:{bart_asks}"))


def test_approve_beyond_the_maximum_is_refused_on_the_form(client, db, bart_asks):
    sign_in(client, AN, MERELBEKE)
    today = clock.today()
    response = post(client, f"/admin/requests/{bart_asks}", {
        "action": "approve", "start": today.isoformat(),
        "end": (today + timedelta(days=91)).isoformat()})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(AccessRequest, bart_asks).status == "open"


def test_refuse_needs_a_reason_and_grants_nothing(client, db, bart_asks):
    sign_in(client, AN, MERELBEKE)
    assert post(client, f"/admin/requests/{bart_asks}", {"action": "refuse", "refusal": ""}
                ).status_code == 422
    response = post(client, f"/admin/requests/{bart_asks}", {"action": "refuse",
                                                            "refusal": "Niet voor uw dienst."})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(AccessRequest, bart_asks).status == "refused"
    assert "demo-app-admin@44088" not in rights_query.answer(db, BART, "demo-app", clock.today()).rights


def test_another_government_sees_no_request_of_merelbeke(client, bart_asks):
    sign_in(client, FEMKE, NAZARETH)
    assert "Bart Claes" not in client.get("/admin/requests").get_data(as_text=True)
    assert client.get(f"/admin/requests/{bart_asks}").status_code == 404


def test_a_review_started_half_confirmed_and_closed(client, db):
    sign_in(client, AN, MERELBEKE)
    deadline = clock.today() + timedelta(days=14)
    response = post(client, "/admin/reviews", {"deadline": deadline.isoformat(), "auto_revoke": "y"})
    assert response.status_code == 302
    review_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    page = client.get(response.location).get_data(as_text=True)
    assert "nog te beoordelen" in page and "Chris Maes" in page
    items = db.scalars(select(ReviewItem).where(ReviewItem.review_id == review_id)
                       .order_by(ReviewItem.id)).all()
    keep = [i for i in items if i.grant.relation.person.rrn != CHRIS]
    answer = post(client, f"/admin/reviews/{review_id}",
                  {"decision": "confirmed", "item": [str(i.id) for i in keep]})
    assert answer.status_code == 302
    chris = next(i for i in items if i.grant.relation.person.rrn == CHRIS)
    db.expire_all()
    assert db.get(ReviewItem, chris.id).decision is None
    report = reviews.close_due(db, deadline)
    db.commit()
    assert report.revoked >= 1
    assert "demo-app-admin@44088" not in rights_query.answer(db, CHRIS, "demo-app", deadline).rights
    exported = client.get(f"/admin/reviews/{review_id}/report.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][0] == "Rijksregisternummer" and "niet beoordeeld" in {r[7] for r in rows[1:]}
    closed = client.get(f"/admin/reviews/{review_id}").get_data(as_text=True)
    assert f"{len(keep)} bevestigd, 0 herroepen, 1 niet beoordeeld van {len(items)}" in closed
    assert "Wat niet beoordeeld was, is herroepen." in closed and "Afgesloten op" in closed
    assert "1 niet beoordeeld" in client.get("/admin/reviews").get_data(as_text=True)


def test_a_single_row_can_be_revoked_with_its_own_button(client, db):
    sign_in(client, AN, MERELBEKE)
    review = reviews.start(db, actor(db, AN), MERELBEKE, clock.today() + timedelta(days=3), False)
    db.commit()
    item = next(i for i in db.scalars(select(ReviewItem).where(ReviewItem.review_id == review.id))
                if i.grant.relation.person.rrn == CHRIS)
    assert post(client, f"/admin/reviews/{review.id}", {"row": f"revoked:{item.id}"}).status_code == 302
    db.expire_all()
    assert db.get(ReviewItem, item.id).decision == "revoked"
    assert "demo-app-admin@44088" not in rights_query.answer(db, CHRIS, "demo-app", clock.today()).rights


def test_the_report_lists_who_holds_what_and_streams_a_safe_csv(client, db):
    sign_in(client, AN, MERELBEKE)
    assert "Bart Claes" in client.get("/admin/report").get_data(as_text=True)
    exported = client.get("/admin/report.csv")
    assert exported.is_streamed
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][:3] == ["Rijksregisternummer", "Naam", "Recht"]
    assert {r[0] for r in rows[1:]} >= {AN, BART}
