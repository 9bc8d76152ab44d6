"""Tasks 6–10: bulk upload (bulk grant, R10: test_bulk_grant.py), delegation (R9), central
administration, the helpdesk's sign-in trail (R14) and the history pages, with their
refusals."""
import html
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from support import AN, BART, CHRIS, DINA, EMIL, FEMKE, HANNE, MERELBEKE, NAZARETH, actor, counts
from support.admin import post, sign_in

from attribute_authority import clock, grants, relations
from attribute_authority.models import Government, SignInEvent, UploadJob


def text(response):
    return html.unescape(response.get_data(as_text=True))


def _upload(client, content: str):
    from io import BytesIO
    return post(client, "/admin/bulk/upload",
                {"file": (BytesIO(content.encode()), "mensen.csv")},
                content_type="multipart/form-data")


def test_bulk_upload_dry_run_shows_each_lines_problem(client, db):
    sign_in(client, AN, MERELBEKE)
    before = counts(db)
    response = _upload(client, "rrn;category;type;email\n"
                               f"{EMIL};external;standard;emil@x.be\n"
                               "12345678901;employee;standard;a@b.be\n"
                               f"{BART};employee;standard;bart@x.be\n"
                               f"{HANNE};boss;standard;h@x.be\n")
    page = text(response)
    assert response.status_code == 200
    assert "geen geldig rijksregister" in page and "al een open relatie" in page
    assert "categorie moet" in page and "Start het opladen" not in page
    assert counts(db) == before and not db.scalars(select(UploadJob)).all()


def test_bulk_upload_runs_as_a_job_with_progress(client, db, jobs):
    sign_in(client, AN, MERELBEKE)
    response = _upload(client, "rrn,category,type,email,phone,note\n"
                               f"{EMIL},external,standard,emil@x.be,,tolk\n"
                               f"{HANNE},employee,standard,hanne@x.be,09 111 22 33,\n")
    assert "Start het opladen van 2 regels" in text(response)
    job = db.scalars(select(UploadJob)).one()
    started = post(client, f"/admin/bulk/upload/{job.id}/run")
    assert started.status_code == 302 and not jobs.waiting
    started.close()  # as the WSGI server does once the answer is sent: the job starts then
    assert len(jobs.waiting) == 1
    waiting = text(client.get(started.location))
    assert 'http-equiv="refresh"' in waiting
    jobs.run_all()
    finished = text(client.get(f"/admin/bulk/upload/{job.id}"))
    assert "Klaar: 2 van 2" in finished and 'http-equiv="refresh"' not in finished
    assert relations.find_open(db, actor(db, AN), HANNE, MERELBEKE).phone == "09 111 22 33"


def test_delegation_lists_admins_and_leads_to_the_wizard_with_the_right(client, db):
    sign_in(client, AN, MERELBEKE)
    page = text(client.get("/admin/delegation"))
    assert "Peeters" in page and "right=idbeheer-local-admin" in page
    bart = relations.find_open(db, actor(db, AN), BART, MERELBEKE)
    wizard = text(client.get(f"/admin/relations/{bart.id}/grants/new?right=idbeheer-local-admin"))
    assert "Lokale beheerder" in wizard and 'name="end"' in wizard
    today = clock.today()
    done = post(client, f"/admin/relations/{bart.id}/grants/new", {
        "step": "confirm", "right": "idbeheer-local-admin", "start": today.isoformat(),
        "end": (today + timedelta(days=30)).isoformat()})
    assert done.status_code == 302
    client2 = client.application.test_client()
    sign_in(client2, BART, MERELBEKE)
    assert client2.get("/admin/people").status_code == 200


def test_central_pages_are_for_central_administrators_only(client, db):
    sign_in(client, AN, MERELBEKE)
    before = counts(db)
    for path in ("/admin/central/governments", "/admin/central/catalog",
                 "/admin/central/governments/44088", "/admin/helpdesk/sign-ins"):
        assert client.get(path).status_code == 403, path
    assert post(client, "/admin/central/catalog/rights/demo-app-admin/max-days",
                {"max_days": "900"}).status_code == 403
    assert counts(db) == before


def test_register_a_government_record_registration_and_appoint(client, db):
    today = clock.today()
    sign_in(client, DINA, "vlaanderen")
    made = post(client, "/admin/central/governments/new", {
        "code": "pz-schelde", "name": "Politiezone Schelde", "kind": "police", "nis_code": "",
        "kbo_number": ""})
    assert made.status_code == 302
    early = post(client, "/admin/central/governments/pz-schelde/appoint", {"rrn": HANNE})
    assert early.status_code == 422 and "Registreer eerst" in text(early)
    acting = post(client, "/admin/central/governments/pz-schelde/registration", {
        "secretary": HANNE, "form_signed_on": today.isoformat(),
        "terms_accepted_on": today.isoformat(), "acting": "y", "minutes": ""})
    assert acting.status_code == 422 and "notulen" in text(acting)
    recorded = post(client, "/admin/central/governments/pz-schelde/registration", {
        "secretary": HANNE, "form_signed_on": today.isoformat(),
        "terms_accepted_on": today.isoformat(), "acting": "y", "minutes": "raad 2025-03-01 punt 4"})
    assert recorded.status_code == 302
    appointed = post(client, "/admin/central/governments/pz-schelde/appoint",
                     {"email": "hanne@pz.be", "reason": "eerste beheerder"})
    assert appointed.status_code == 302
    again = post(client, "/admin/central/governments/pz-schelde/appoint", {"rrn": HANNE})
    assert again.status_code == 422 and "nog een actieve lokale beheerder" in text(again)
    gov = db.scalars(select(Government).where(Government.code == "pz-schelde")).one()
    assert gov.council_minutes_ref == "raad 2025-03-01 punt 4"


def test_restore_a_local_administrator_when_none_is_left(client, db):
    femke_grant = grants.search(db, grants.authz.EVERYTHING, grants.GrantFilter(
        rrn=FEMKE, right="idbeheer-local-admin"))[0]
    grants.revoke(db, actor(db, DINA), femke_grant.id, "vertrokken")
    db.commit()
    sign_in(client, DINA, "vlaanderen")
    assert "Geen actieve lokale beheerder" in text(client.get(f"/admin/central/governments/{NAZARETH}"))
    assert post(client, f"/admin/central/governments/{NAZARETH}/appoint",
                {"rrn": "75120512328"}).status_code == 302


def test_catalog_application_right_and_max_days(client, db):
    sign_in(client, DINA, "vlaanderen")
    assert post(client, "/admin/central/catalog/applications",
                {"code": "vergunning", "name": "Vergunningen", "capacity": "employee"}).status_code == 302
    assert post(client, "/admin/central/catalog/rights", {
        "application": "vergunning", "code": "vergunning-lezer", "name": "Lezer",
        "max_days": "180"}).status_code == 302
    wrong = post(client, "/admin/central/catalog/rights", {
        "application": "vergunning", "code": "demo-app-x", "name": "X", "max_days": "10"})
    assert wrong.status_code == 422 and "begint met 'vergunning-'" in text(wrong)
    assert post(client, "/admin/central/catalog/rights/vergunning-lezer/max-days",
                {"max_days": "0"}).status_code == 422
    assert post(client, "/admin/central/catalog/rights/vergunning-lezer/max-days",
                {"max_days": "90"}).status_code == 302
    assert "vergunning-lezer" in text(client.get("/admin/central/catalog"))


def _trail(db):
    now = datetime.now(timezone.utc)
    db.add_all([
        SignInEvent(at=now - timedelta(hours=1), rrn=BART, method="eid", application="demo-app",
                    capacity="44088", outcome="failed", reason="capacity_mismatch"),
        SignInEvent(at=now - timedelta(days=10), rrn=BART, method="token", application="demo-app",
                    capacity="44088", outcome="ok", reason="ok"),
        SignInEvent(at=now - timedelta(hours=2), rrn=CHRIS, method="eid", outcome="refused",
                    reason="bad_signature"),
    ])
    db.commit()


def test_helpdesk_finds_attempts_by_number_and_window_in_plain_words(client, db):
    _trail(db)
    sign_in(client, DINA, "vlaanderen")
    today = clock.today()
    yesterday = today - timedelta(days=1)
    page = text(client.get(f"/admin/helpdesk/sign-ins?rrn={BART}&first={yesterday}&last={today}"))
    assert "een andere hoedanigheid dan die van de sessie" in page
    assert "Aangemeld." not in page  # ten days ago: outside the window
    wide = client.get(f"/admin/helpdesk/sign-ins?rrn={BART}&first={today - timedelta(days=60)}&last={today}")
    assert wide.status_code == 422 and "hoogstens 31 dagen" in text(wide)
    bad = client.get(f"/admin/helpdesk/sign-ins?rrn=123&first={today}&last={today}")
    assert bad.status_code == 422


def test_helpdesk_right_alone_gives_only_the_trail(client, db):
    today = clock.today()
    dina = actor(db, DINA)
    from attribute_authority import people
    from attribute_authority.national_register import FileRegister
    people.add(db, dina, FileRegister(), HANNE)
    relations.add(db, dina, HANNE, "vlaanderen", category="employee", type="standard",
                  email="h@vlaanderen.be")
    grants.add(db, dina, HANNE, "vlaanderen", "idbeheer-helpdesk")
    db.commit()
    sign_in(client, HANNE, "vlaanderen")
    landed = client.get("/admin/")
    assert landed.status_code == 302 and "helpdesk" in landed.location
    assert client.get(f"/admin/helpdesk/sign-ins?rrn={BART}&first={today}&last={today}").status_code == 200
    assert client.get("/admin/people").status_code == 403
    assert client.get("/admin/central/governments").status_code == 403


def test_history_of_government_and_person(client, db):
    sign_in(client, AN, MERELBEKE)
    post(client, f"/admin/people/{BART}/edit", {"language": "fr"})
    gov = text(client.get("/admin/history"))
    assert "relatie toegevoegd" in gov and "recht toegekend" in gov
    person = text(client.get(f"/admin/people/{BART}/history"))
    assert "persoon gewijzigd" in person and "An Peeters" in person  # by name (issue 13 p. 13)
    # Chris's history seen from Nazareth-De Pinte does not show Merelbeke-Melle's grant
    other = client.application.test_client()
    sign_in(other, FEMKE, NAZARETH)
    assert "demo-app-admin" not in text(other.get(f"/admin/people/{CHRIS}/history"))


class _Died(BaseException):
    """The worker process dying (SIGKILL, OOM): nothing of the run's own handling runs."""


class _DiesAt:
    def __init__(self, register, rrn):
        self.register, self.rrn = register, rrn

    def lookup(self, rrn):
        if rrn == self.rrn:
            raise _Died()
        return self.register.lookup(rrn)


def test_an_interrupted_upload_is_shown_and_resumes_each_line_exactly_once(client, db, jobs,
                                                                          register, app):
    from attribute_authority import uploads
    from attribute_authority.models import Person, Relation
    sign_in(client, AN, MERELBEKE)
    _upload(client, "rrn,category,type,email\n"
                    f"{EMIL},external,standard,emil@x.be\n"
                    f"{HANNE},employee,standard,hanne@x.be\n"
                    "75120512328,employee,standard,geert@x.be\n")
    job = db.scalars(select(UploadJob)).one()
    factory = app.extensions["test.db"]
    try:  # the worker dies in the second chunk: the first is committed, the second is not
        uploads.run(factory, _DiesAt(register, HANNE), job.id, chunk=1)
    except _Died:
        pass
    db.expire_all()
    assert (job.status, job.done, job.created) == ("running", 1, 1)
    running = text(client.get(f"/admin/bulk/upload/{job.id}"))
    assert "Bezig: 1 van 3" in running and "Hervat" not in running
    early = post(client, f"/admin/bulk/upload/{job.id}/resume")
    assert early.status_code == 422 and not jobs.waiting  # not stale yet: still running
    job.updated_at = clock.now() - uploads.STALE_AFTER - timedelta(seconds=1)
    db.commit()
    stale = text(client.get(f"/admin/bulk/upload/{job.id}"))
    assert "Onderbroken" in stale and "Hervat" in stale and 'http-equiv="refresh"' not in stale
    resumed = post(client, f"/admin/bulk/upload/{job.id}/resume")
    assert resumed.status_code == 302
    resumed.close()
    again = post(client, f"/admin/bulk/upload/{job.id}/resume")  # a double click
    assert again.status_code == 422
    jobs.run_all()
    db.expire_all()
    assert (job.status, job.done, job.created, job.problems) == ("done", 3, 3, [])
    for rrn in (EMIL, HANNE, "75120512328"):
        related = db.scalars(select(Relation).join(Person).where(
            Person.rrn == rrn, Relation.government.has(code=MERELBEKE))).all()
        assert len(related) == 1, rrn
    assert "Klaar: 3 van 3" in text(client.get(f"/admin/bulk/upload/{job.id}"))
