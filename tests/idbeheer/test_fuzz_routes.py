"""Hostile input at every route of the all-in-one app: never a 5xx, never a traceback (issue 10).

The routes come from the url_maps of the Flask apps the composition root mounts (the service,
the bridge, demo-app), so a new route is fuzzed without touching this file. Each route gets
GETs with a hostile query string and POSTs with hostile form fields (unicode, huge, NUL,
negative and huge numbers, dates at the ends of the calendar), its path arguments filled with
real ids and codes or hostile ones, sent by a local administrator, a central administrator or
an anonymous browser. The field names are those of the admin UI's forms, of the pages
themselves and of the SAML bindings. POSTs carry the session's CSRF token, so the forms get
past it to the code behind.

The example count per route is modest (FUZZ_EXAMPLES, default 6) so that the whole sweep takes
well under a minute per database; raise it for a longer hunt:
`IDBEHEER_FUZZ_EXAMPLES=100 pytest tests/idbeheer/test_fuzz_routes.py`.
"""
from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlsplit

import lxml.html
import pytest
from admin_support import CSRF
from bridge_support import form_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from support import AN, BART, DINA, EMIL, MERELBEKE, seeded
from werkzeug.routing import IntegerConverter, Rule

from admin_ui import forms as admin_forms
from attribute_authority.models import BulkSelection, Grant, Person, Relation, UploadJob
from idbeheer.app import create_app
from idbeheer.settings import RATE_LIMITS, from_env

EXAMPLES = int(os.environ.get("IDBEHEER_FUZZ_EXAMPLES", "6"))
TRACEBACK = b"Traceback (most recent call last)"

# -- hostile values ---------------------------------------------------------------------------

EDGES = [
    "", " ", "\x00", "a\x00b", "²", "٣", "𝟙𝟚", "-1", "0", "-0", "1e309", "NaN", "inf",
    str(2**31), str(2**63 - 1), str(2**63), str(2**64), "-" + str(2**63 + 1), "9" * 40,
    "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "1899-12-31", "3000-01-01",
    "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "\u202e", "😀" * 3,
    "x" * 5000, "é" * 70_000,
]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)  # UTF-8 only
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)
hostile = st.one_of(st.sampled_from(EDGES), text, numbers, days)

# Names no page shows but the bindings and views read.
PROTOCOL_FIELDS = {"SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature", "page",
                   "goto", "action", "shown", "relations", "started", "next", "language",
                   "capacity", "rrn", "method", "government", "step", "right", "q"}


def _form_field_names() -> set[str]:
    """Every field of every form class of the admin UI."""
    names: set[str] = set()
    for value in vars(admin_forms).values():
        if isinstance(value, type) and issubclass(value, admin_forms.FlaskForm):
            names.update(n for n in dir(value) if not n.startswith("_")
                         and type(getattr(value, n)).__name__ == "UnboundField")
    return names


# -- the site: the app, its routes, its signed-in browsers -------------------------------------


@dataclass(frozen=True)
class Route:
    prefix: str
    rule: Rule
    method: str

    @property
    def name(self) -> str:
        return f"{self.method} {self.prefix}{self.rule.rule}"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def sign_in(client, rrn: str, capacity: str) -> None:
    """Through the real bridge and dev_eid, as a browser without JavaScript would."""
    to_bridge = client.get("/admin/sign-in")
    to_dev_eid = client.get(_path(to_bridge.location))
    page = client.get(_path(to_dev_eid.location))
    action, fields = form_of(page.data)
    autopost = client.post(_path(action), data={**fields, "rrn": rrn, "method": "eid"})
    action, fields = form_of(autopost.data)
    assert client.post(_path(action), data=fields).status_code == 303
    action, fields = form_of(client.get("/idp/capacity").data)
    assert client.post(_path(action), data={**fields, "capacity": capacity}).status_code == 303
    action, fields = form_of(client.get("/idp/capacity").data)
    landed = client.post(_path(action), data=fields)
    assert landed.status_code == 303, landed.get_data(as_text=True)[:500]


class Browser:
    """A test client that stays signed in as `rrn` (a fuzzed POST may sign it out)."""

    def __init__(self, app, rrn: str | None = None, capacity: str | None = None) -> None:
        self.client, self.rrn, self.capacity = app.test_client(), rrn, capacity
        self.refresh()

    def refresh(self) -> None:
        if self.rrn is None:
            return
        if self.client.get("/admin/").status_code != 200:
            self.client = self.client.application.test_client()
            sign_in(self.client, self.rrn, self.capacity)

    def csrf(self) -> str:
        found = CSRF.search(self.client.get("/admin/signed-out").get_data(as_text=True))
        assert found
        return found.group(1)


@dataclass
class Site:
    app: object
    routes: list[Route]
    browsers: dict[str, Browser]
    path_values: dict[str, list[str]]
    field_names: list[str]


def _routes(app) -> list[Route]:
    routes = []
    for prefix, part in app.extensions["idbeheer.mounted"]:
        for rule in part.url_map.iter_rules():
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append(Route(prefix, rule, method))
    return sorted(routes, key=lambda r: r.name)


def _real_ids(app) -> dict[str, list[str]]:
    """Ids and codes that exist; none of the fuzzing administrators' own (a revoked admin
    right would end the sweep's sign-ins)."""
    with app.extensions["idbeheer.db"]() as s:
        relation = s.scalar(select(Relation.id).join(Person).where(Person.rrn == BART))
        grants = s.scalars(select(Grant.id).where(Grant.relation_id == relation)).all()
        selection = s.scalar(select(BulkSelection.id))
        job = s.scalar(select(UploadJob.id))
    return {"relation_id": [str(relation)], "grant_id": [str(i) for i in grants],
            "selection_id": [str(selection)], "job_id": [str(job)],
            "rrn": [BART, AN, EMIL], "code": [MERELBEKE, "vlaanderen", "demo-app-reader"],
            "filename": ["admin.css", "x.css"]}


def _names_on_pages(app, browser: Browser) -> set[str]:
    """Field names of the forms on every page a GET without path arguments reaches."""
    names: set[str] = set()
    for route in _routes(app):
        if route.method == "GET" and not route.rule.arguments:
            page = browser.client.get(route.prefix + route.rule.rule)
            if page.mimetype == "text/html" and page.data:
                names.update(e.get("name") for e in lxml.html.fromstring(page.data).iter()
                             if e.get("name") and e.tag in ("input", "select", "textarea", "button"))
    return names


@pytest.fixture(scope="module")
def site(databases, register, tmp_path_factory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("fuzz")
    url = seeded(databases.new(), register)
    app = create_app(from_env({
        "IDBEHEER_HOME": str(tmp / "var"), "IDBEHEER_DATABASE_URL": url,
        "IDBEHEER_BASE_URL": "http://localhost", "IDBEHEER_METADATA_DIR": str(tmp / "metadata"),
        "IDBEHEER_CERTS_DIR": str(tmp / "certs"),
        # counted, as always, but never reached: a 429 would hide the code behind the door
        **{f"IDBEHEER_RATE_LIMIT_{name.upper()}": "100000/minute" for name in RATE_LIMITS}}))
    an = Browser(app, AN, MERELBEKE)
    # A bulk selection and an upload job, so their pages are reached with a real id too.
    with app.extensions["idbeheer.db"]() as s:
        bart = str(s.scalar(select(Relation.id).join(Person).where(Person.rrn == BART)))
    chosen = an.client.post("/admin/bulk/grant", data={
        "csrf_token": an.csrf(), "right": "demo-app-admin", "shown": bart, "relations": bart})
    assert chosen.status_code == 302, chosen.get_data(as_text=True)[:500]
    csv_file = f"rrn,category,type,email\n{EMIL},employee,standard,emil@example.be\n".encode()
    an.client.post("/admin/bulk/upload", data={"csrf_token": an.csrf(),
                                                "file": (io.BytesIO(csv_file), "people.csv")})
    browsers = {"local": an, "central": Browser(app, DINA, "vlaanderen"),
                "anonymous": Browser(app)}
    names = PROTOCOL_FIELDS | _form_field_names() | _names_on_pages(app, an)
    yield Site(app, _routes(app), browsers, _real_ids(app), sorted(names - {"csrf_token"}))


# -- the attack cases of issue 10, each a clear answer --------------------------------------

OUT_OF_RANGE = "ligt buiten het aanvaarde bereik"


def _ok(response, status: int, *words: str) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:800]
    assert TRACEBACK.decode() not in body
    for word in words:
        assert word in body
    return body


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_dates_at_the_ends_of_the_calendar_are_field_errors(site, day):
    an, dina = site.browsers["local"], site.browsers["central"]
    relation, grant = site.path_values["relation_id"][0], site.path_values["grant_id"][0]
    selection = site.path_values["selection_id"][0]
    for field in ("start", "end"):
        _ok(an.client.post(f"/admin/relations/{relation}/grants/new", data={
            "csrf_token": an.csrf(), "step": "period", "right": "demo-app-admin", field: day}),
            422, OUT_OF_RANGE)
        _ok(an.client.post(f"/admin/grants/{grant}/extend", data={
            "csrf_token": an.csrf(), "step": "check", "start": "2026-01-01", "end": "2026-02-01",
            field: day}), 422, OUT_OF_RANGE)
        _ok(an.client.post(f"/admin/bulk/grant/{selection}/review", data={
            "csrf_token": an.csrf(), "step": "check", "count": "1", field: day}), 422, OUT_OF_RANGE)
    _ok(dina.client.get("/admin/helpdesk/sign-ins", query_string={
        "rrn": BART, "first": day, "last": "2026-01-01"}), 200, OUT_OF_RANGE)


def test_path_ids_past_what_the_database_holds_are_404(site):
    an = site.browsers["local"]
    for big in (2**63, 2**64, 10**30):
        for path in (f"/admin/grants/{big}/extend", f"/admin/relations/{big}/grants/new",
                     f"/admin/bulk/grant/{big}", f"/admin/bulk/upload/{big}"):
            _ok(an.client.get(path), 404)
    _ok(an.client.get(f"/admin/grants/{2**63 - 1}/extend"), 404)  # the largest id: not ours


def test_a_bulk_selection_of_non_ascii_digits_is_refused(site):
    an = site.browsers["local"]
    for odd in ("²", "٣", str(2**63), "9" * 5000):
        _ok(an.client.post("/admin/bulk/grant", data={
            "csrf_token": an.csrf(), "right": "demo-app-reader", "shown": odd, "relations": odd}),
            422, "een selectie bestaat uit relatienummers")


def test_a_csv_upload_with_a_200_kb_field_is_refused_clearly(site):
    an = site.browsers["local"]
    content = f"rrn,category,type,email,phone,note\n{EMIL},employee,standard,e@x.be,,{'x' * 200_000}\n"
    _ok(an.client.post("/admin/bulk/upload", data={
        "csrf_token": an.csrf(), "file": (io.BytesIO(content.encode()), "people.csv")}),
        422, "regel 2 heeft een veld van meer dan 1000 tekens")


def test_demo_app_refuses_a_number_that_is_not_11_digits(site):
    anonymous = site.browsers["anonymous"].client
    for rrn in ("\x00", "8507300332\x00", "²" * 11):
        _ok(anonymous.post("/demo-app/", data={"rrn": rrn}), 400, "11 cijfers")
    _ok(anonymous.post("/demo-app/", data={"rrn": BART, "government": "44088\x00"}), 400,
        "bestuurscode")


# -- requests ---------------------------------------------------------------------------------


def _path_value(site: Site, rule: Rule, name: str):
    converter = rule._converters[name]
    real = st.sampled_from(site.path_values.get(name, ["1"]))
    if isinstance(converter, IntegerConverter):  # no small ids: they are real rows
        odd = st.one_of(st.sampled_from(["0", str(2**63 - 1), str(2**63), str(2**64), "9" * 30]),
                        st.integers(min_value=10**9, max_value=2**80).map(str))
    else:
        odd = hostile.filter(lambda v: v and "/" not in v)
    return st.one_of(real, odd)


@st.composite
def requests_for(draw, site: Site, route: Route):
    args = {name: draw(_path_value(site, route.rule, name)) for name in route.rule.arguments}
    path = route.rule.rule
    for name, value in args.items():
        path = re.sub(rf"<(?:[^:>]+:)?{re.escape(name)}(?:\([^)]*\))?>", quote(value, safe=""), path)
    fields = draw(st.dictionaries(st.sampled_from(site.field_names) | text, hostile, max_size=6))
    who = draw(st.sampled_from(["local", "central", "anonymous"]))
    csrf = route.method == "POST" and draw(st.booleans())
    upload = route.method == "POST" and "upload" in path and draw(st.booleans())
    csv_cells = draw(st.lists(hostile, min_size=4, max_size=6)) if upload else []
    return route.prefix + path, fields, who, csrf, csv_cells


def _send(site: Site, route: Route, request) -> object:
    path, fields, who, csrf, csv_cells = request
    browser = site.browsers[who]
    if route.method == "GET":
        return browser.client.get(path, query_string=fields)
    data: dict = dict(fields)
    if csrf and who != "anonymous":
        data["csrf_token"] = browser.csrf()
    if csv_cells:
        content = "rrn,category,type,email,phone,note\n" + ",".join(csv_cells) + "\n"
        data["file"] = (io.BytesIO(content.encode()), "people.csv")
    if path == "/aa/soap":
        body = "".join(str(v) for v in fields.values()).encode()
        return browser.client.post(path, data=body, content_type="text/xml")
    return browser.client.post(path, data=data)


def test_every_route_is_enumerated(site):
    """The sweep reaches the service, the bridge, dev_eid, demo-app and the AA."""
    names = {r.name for r in site.routes}
    for expected in ("GET /admin/people/<rrn>", "POST /admin/bulk/upload", "GET /idp/sso",
                     "POST /sp/acs", "POST /dev-eid/sso", "POST /demo-app/", "POST /aa/soap",
                     "GET /healthz"):
        assert expected in names
    assert {"start", "end", "relations", "SAMLRequest", "capacity"} <= set(site.field_names)


def _fuzzer(site: Site, route: Route):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(request=requests_for(site, route))
    def fuzz(request):
        response = _send(site, route, request)
        assert response.status_code < 500 and TRACEBACK not in response.data, (
            f"{route.name} answered {response.status_code} to {request!r}")
        site.browsers[request[2]].refresh()

    return fuzz


def test_no_route_answers_hostile_input_with_a_5xx_or_a_traceback(site):
    failures = []
    for route in site.routes:
        try:
            _fuzzer(site, route)()
        except ExceptionGroup as found:  # hypothesis found several distinct failures
            failures.extend(_first_line(f) for f in found.exceptions)
        except Exception as failure:
            failures.append(_first_line(failure))
    assert not failures, "\n".join(failures)


def _first_line(failure: BaseException) -> str:
    return f"{type(failure).__name__}: {(str(failure) or repr(failure)).splitlines()[0]}"
