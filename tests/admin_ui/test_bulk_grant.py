"""R10 in the admin UI: the candidates a page at a time, the ticks of each page kept
server-side in the operation's selection, "everyone matching the filter", the review of the
chosen people, then one confirmation of a count; all or nothing, and only one's own
government's relations."""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import AN, BART, CHRIS, EMIL, FEMKE, MERELBEKE, NAZARETH, actor, counts
from support.admin import post, sign_in

from attribute_authority import bulk, clock, grants, people, relations
from attribute_authority.models import BulkSelection

READER = "demo-app-reader"
CHECKBOX = re.compile(r'type="checkbox" name="relations" value="(\d+)"[^>]*?( checked)?>')


def text(response):
    return html.unescape(response.get_data(as_text=True))


def boxes(response) -> dict[int, bool]:
    """The page's checkboxes: relation ID -> ticked."""
    return {int(i): bool(c) for i, c in CHECKBOX.findall(response.get_data(as_text=True))}


@pytest.fixture
def one_per_page(monkeypatch):
    monkeypatch.setattr(bulk, "PAGE_SIZE", 1)


def rel(db, rrn, government=MERELBEKE, who=AN):
    return relations.find_open(db, actor(db, who), rrn, government).id


def selections(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(BulkSelection))


def period(today, **more):
    return {"start": today.isoformat(), "end": (today + timedelta(days=100)).isoformat(),
            "reason": "nieuwe toepassing", **more}


def test_paging_keeps_the_ticks_of_each_page_then_review_and_confirm(client, db, one_per_page):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    chris, an = rel(db, CHRIS), rel(db, AN)
    first = text(client.get(f"/admin/bulk/grant?right={READER}"))
    # Claes, Maes, Peeters: Bart holds the right already and has no checkbox
    assert "Pagina 1 van 3" in first and "Claes" in first and "heeft dit recht al" in first
    assert "Kies alle 2 personen die aan de filter voldoen" in first
    assert selections(db) == 0  # looking starts nothing
    started = post(client, "/admin/bulk/grant", {"right": READER, "page": "1", "goto": "2"})
    assert started.status_code == 302 and "page=2" in started.location
    url = started.location.split("?")[0]
    page2 = client.get(started.location)
    assert "Maes" in text(page2) and boxes(page2) == {chris: False}
    assert 'for="rel-%d"' % chris in page2.get_data(as_text=True)  # a label for each box
    to3 = post(client, url, {"page": "2", "shown": str(chris), "relations": str(chris),
                             "goto": "3"})
    page3 = client.get(to3.location)
    assert boxes(page3) == {an: False} and "1 van 2 personen gekozen" in text(page3)
    back = post(client, url, {"page": "3", "shown": str(an), "relations": str(an), "goto": "2"})
    assert boxes(client.get(back.location)) == {chris: True}  # kept across pages
    review = client.get(post(client, url, {"page": "2", "shown": str(chris),
                                           "relations": str(chris), "action": "review"}).location)
    page = text(review)  # the review is paged too
    assert "Maes" in page and "Pagina 1 van 2" in page and "Claes" not in page
    assert "Peeters" in text(client.get(f"{url}/review?page=2"))
    checked = post(client, f"{url}/review", period(today, step="check", count="2"))
    assert checked.status_code == 200 and "2 personen krijgen" in text(checked)
    assert "Bevestig voor iedereen" in text(checked)
    before = counts(db)
    done = post(client, f"{url}/review", period(today, step="commit", count="2"))
    assert done.status_code == 302
    assert "Succesvol ontvangen: 2 personen" in text(client.get(done.location))
    assert counts(db)[1] == before[1] + 2 and selections(db) == 0


def test_unticking_on_a_page_removes_only_that_pages_people(client, db, one_per_page):
    sign_in(client, AN, MERELBEKE)
    chris, an = rel(db, CHRIS), rel(db, AN)
    url = post(client, "/admin/bulk/grant", {"right": READER, "page": "2", "shown": str(chris),
                                             "relations": str(chris), "goto": "3"}).location
    url = url.split("?")[0]
    post(client, url, {"page": "3", "shown": str(an), "relations": str(an), "goto": "2"})
    post(client, url, {"page": "2", "shown": str(chris), "goto": "3"})
    assert db.scalars(select(BulkSelection)).one().relation_ids == [an]


def test_select_all_matching_resolves_the_filter_at_confirm_and_checks_the_count(client, db,
                                                                                 register):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    everyone = post(client, "/admin/bulk/grant", {"right": READER, "page": "1", "action": "all"})
    url = everyone.location.split("?")[0]
    page = text(client.get(everyone.location))
    assert "Alle 2 personen die aan de filter voldoen zijn gekozen" in page
    assert not boxes(client.get(everyone.location))
    review = text(client.get(f"{url}/review"))
    assert "Maes" in review and "Peeters" in review and "Claes" not in review
    confirm = post(client, f"{url}/review", period(today, step="check", count="2"))
    assert "2 personen krijgen" in text(confirm)
    # meanwhile someone else relates Emil: the filter now matches 3 people
    an = actor(db, AN)
    people.add(db, an, register, EMIL)
    relations.add(db, an, EMIL, MERELBEKE, category="external", type="standard", email="e@x.be")
    db.commit()
    before = counts(db)
    changed = post(client, f"{url}/review", period(today, step="commit", count="2"))
    assert changed.status_code == 422 and "telt intussen 3 personen in plaats van 2" in text(changed)
    assert counts(db) == before and selections(db) == 1
    done = post(client, f"{url}/review", period(today, step="commit", count="3"))
    assert done.status_code == 302 and counts(db)[1] == before[1] + 3


def test_one_refused_person_means_nothing_is_granted(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    chris, an = rel(db, CHRIS), rel(db, AN)
    url = post(client, "/admin/bulk/grant", {"right": READER, "page": "1",
                                             "shown": [str(chris), str(an)],
                                             "relations": [str(chris), str(an)]}).location
    url = url.split("?")[0]
    grants.add(db, actor(db, AN), AN, MERELBEKE, READER)  # An gets it meanwhile
    db.commit()
    before = counts(db)
    refused = post(client, f"{url}/review", period(today, step="commit", count="2"))
    assert refused.status_code == 422
    page = text(refused)
    assert "Niets toegekend: 1 van de geselecteerde personen" in page and "Peeters" in page
    assert counts(db) == before


def test_review_refusals_change_nothing(client, db):
    today = clock.today()
    sign_in(client, AN, MERELBEKE)
    url = post(client, "/admin/bulk/grant", {"right": "demo-app-admin", "page": "1"}).location
    url = url.split("?")[0]
    before = counts(db)
    nobody = post(client, f"{url}/review", period(today, step="commit", count="0"))
    assert nobody.status_code == 422 and "minstens één persoon" in text(nobody)
    bart = rel(db, BART)
    post(client, url, {"page": "1", "shown": str(bart), "relations": str(bart)})
    too_long = post(client, f"{url}/review", {"step": "check", "count": "1",
                                              "start": today.isoformat(),
                                              "end": (today + timedelta(days=91)).isoformat()})
    assert too_long.status_code == 422 and "te lang" in text(too_long)
    assert counts(db) == before


def test_ticks_are_capped(client, db, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_SELECTED", 1)
    sign_in(client, AN, MERELBEKE)
    chris, an = rel(db, CHRIS), rel(db, AN)
    refused = post(client, "/admin/bulk/grant", {"right": READER, "page": "1",
                                                 "shown": [str(chris), str(an)],
                                                 "relations": [str(chris), str(an)]})
    assert refused.status_code == 422 and "hoogstens 1 personen" in text(refused)
    assert selections(db) == 0


def test_a_holder_cannot_be_ticked(client, db):
    sign_in(client, AN, MERELBEKE)
    bart = rel(db, BART)
    refused = post(client, "/admin/bulk/grant", {"right": READER, "page": "1",
                                                 "shown": str(bart), "relations": str(bart)})
    assert refused.status_code == 422 and selections(db) == 0


def test_another_governments_relations_are_refused_and_nothing_changes(client, db):
    today = clock.today()
    foreign = rel(db, BART)
    sign_in(client, FEMKE, NAZARETH)
    own = rel(db, "75120512328", NAZARETH, FEMKE)
    before = counts(db)
    injected = post(client, "/admin/bulk/grant", {
        "right": "demo-app-admin", "page": "1", "shown": [str(own), str(foreign)],
        "relations": [str(own), str(foreign)], "action": "review"})
    assert injected.status_code == 422 and "Claes" not in text(injected)
    assert selections(db) == 0
    url = post(client, "/admin/bulk/grant", {"right": "demo-app-admin", "page": "1",
                                             "shown": str(own), "relations": str(own)}).location
    url = url.split("?")[0]
    again = post(client, url, {"page": "1", "shown": str(foreign), "relations": str(foreign)})
    assert again.status_code == 422
    assert db.scalars(select(BulkSelection)).one().relation_ids == [own]
    done = post(client, f"{url}/review", period(today, step="commit", count="1",
                                                end=(today + timedelta(days=30)).isoformat()))
    assert done.status_code == 302
    assert counts(db)[1] == before[1] + 1  # own relation only
    assert not grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(
        government=MERELBEKE, right="demo-app-admin", rrn=BART))


def test_a_selection_is_its_actors_own(client, db):
    sign_in(client, AN, MERELBEKE)
    url = post(client, "/admin/bulk/grant", {"right": READER, "page": "1"}).location
    url = url.split("?")[0]
    other = client.application.test_client()
    sign_in(other, FEMKE, NAZARETH)
    assert other.get(url).status_code == 404
    assert other.get(f"{url}/review").status_code == 404
    assert post(other, url, {"page": "1", "action": "all"}).status_code == 404
    assert not db.scalars(select(BulkSelection)).one().all_matching
