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
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from support import AN, BART, DINA, EMIL, MERELBEKE
from support.admin import CSRF
from support.bridge import form_of
from werkzeug.routing import IntegerConverter, Rule

from admin_ui import forms as admin_forms
from attribute_authority.db import MAX_ROW_ID
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
    baselines: dict[str, list[tuple[str, str, dict[str, str]]]] = field(default_factory=dict)
    """Forms seen on the pages, by route name: (browser, action path, fields as it sends them)."""
    known: dict[str, set[str]] = field(default_factory=dict)
    """Values seen on the pages, by field name (choices, hidden steps, defaults)."""


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
            "filename": ["look.css", "x.css"]}


# Forms that end something (a session, a grant, a relation): the crawl does not submit them,
# and the edge sweep sends them last, so the other forms still find what they work on.
_NOT_SUBMITTED = ("sign-out", "/slo", "/logout", "/revoke", "/end")


def _ends_something(route_name: str) -> bool:
    return any(word in route_name for word in _NOT_SUBMITTED)


def _forms(page_url: str, html: bytes) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(method, action path, fields) of each form, a radio group or select at its first
    choice when none is chosen: what a browser would send without a change."""
    for form in lxml.html.fromstring(html).forms:
        fields = dict(form.form_values())
        for element in form.inputs:
            name = element.get("name")
            if name and name not in fields and element.tag in ("input", "select"):
                options = element.xpath(".//option/@value") if element.tag == "select" else \
                    form.xpath(f'.//input[@name="{name}"]/@value')
                if options and element.get("type") not in ("submit", "button"):
                    fields[name] = options[0]
        action = urlsplit(urljoin(page_url, form.action or page_url)).path
        yield (form.method or "GET").upper(), action, fields


def _without_token(fields: dict[str, str]) -> tuple:
    return tuple(sorted((k, v) for k, v in fields.items() if k != "csrf_token"))


def crawl(site: "Site") -> None:
    """Each page a GET reaches with real path arguments, as each browser, and once more each
    POST form on it submitted unchanged (the next step of a wizard): every form seen is a
    baseline of its route, and every value seen a known value of its field."""
    adapters = [(prefix, part.url_map.bind("localhost", script_name=prefix or "/"))
                for prefix, part in site.app.extensions["idbeheer.mounted"]]

    def route_of(method: str, path: str) -> str | None:
        for prefix, adapter in adapters:
            if not path.startswith(prefix + "/") and path != prefix:
                continue
            try:
                rule, _args = adapter.match(path[len(prefix):] or "/", method, return_rule=True)
            except Exception:  # noqa: BLE001 - another part's path, a redirect, a 405
                continue
            return f"{method} {prefix}{rule.rule}"
        return None

    def learn(who: str, url: str, html: bytes, depth: int) -> None:
        browser = site.browsers[who]
        for method, action, fields in _forms(url, html):
            name = route_of(method, action)
            if name is None:
                continue
            seen = site.baselines.setdefault(name, [])
            if all((a, _without_token(f)) != (action, _without_token(fields)) for _w, a, f in seen):
                seen.append((who, action, fields))
            for key, value in fields.items():
                site.known.setdefault(key, set()).add(value)
            if depth and method == "POST" and not any(n in action for n in _NOT_SUBMITTED):
                answer = browser.client.post(action, data={**fields, "csrf_token": browser.csrf()}
                                             if "csrf_token" in fields else fields)
                if answer.mimetype == "text/html" and answer.data:
                    learn(who, action, answer.data, depth - 1)
                browser.refresh()

    for who, browser in site.browsers.items():
        for route in site.routes:
            if route.method != "GET":
                continue
            path = route.rule.rule
            for arg in route.rule.arguments:
                value = site.path_values.get(arg, ["1"])[0]
                path = re.sub(rf"<(?:[^:>]+:)?{re.escape(arg)}(?:\([^)]*\))?>", value, path)
            page = browser.client.get(route.prefix + path)
            if page.mimetype == "text/html" and page.data:
                learn(who, route.prefix + path, page.data, depth=1)
    site.field_names = sorted(set(site.field_names) | set(site.known) - {"csrf_token"})


@pytest.fixture(scope="module")
def site(databases, register, tmp_path_factory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("fuzz")
    url = databases.seeded(register)
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
    site = Site(app, _routes(app), browsers, _real_ids(app),
                sorted(PROTOCOL_FIELDS | _form_field_names()))
    crawl(site)
    yield site


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
    for browser in (an, dina):  # the crawl may have switched the language; the words are Dutch
        browser.client.post("/admin/language", data={"csrf_token": browser.csrf(), "language": "nl"})
    for date_field in ("start", "end"):
        _ok(an.client.post(f"/admin/relations/{relation}/grants/new", data={
            "csrf_token": an.csrf(), "step": "period", "right": "demo-app-admin", date_field: day}),
            422, OUT_OF_RANGE)
        _ok(an.client.post(f"/admin/grants/{grant}/extend", data={
            "csrf_token": an.csrf(), "step": "check", "start": "2026-01-01", "end": "2026-02-01",
            date_field: day}), 422, OUT_OF_RANGE)
        _ok(an.client.post(f"/admin/bulk/grant/{selection}/review", data={
            "csrf_token": an.csrf(), "step": "check", "count": "1", date_field: day}), 422, OUT_OF_RANGE)
    _ok(dina.client.get("/admin/helpdesk/sign-ins", query_string={
        "rrn": BART, "first": day, "last": "2026-01-01"}), 422, OUT_OF_RANGE)  # no results (#13.7)


def test_path_ids_past_what_the_database_holds_are_404(site):
    an = site.browsers["local"]
    for big in (2**31, 2**63, 2**64, 10**30):
        for path in (f"/admin/grants/{big}/extend", f"/admin/relations/{big}/grants/new",
                     f"/admin/bulk/grant/{big}", f"/admin/bulk/upload/{big}"):
            _ok(an.client.get(path), 404)
    _ok(an.client.get(f"/admin/grants/{MAX_ROW_ID}/extend"), 404)  # the largest id: not ours


def test_a_bulk_selection_of_non_ascii_digits_is_refused(site):
    an = site.browsers["local"]
    for odd in ("²", "٣", str(2**31), str(2**63), "9" * 5000):
        _ok(an.client.post("/admin/bulk/grant", data={
            "csrf_token": an.csrf(), "right": "demo-app-reader", "shown": odd, "relations": odd}),
            422, "een selectie bestaat uit relatienummers")


def test_a_nul_character_in_any_field_is_a_400(site):
    """PostgreSQL's text holds no NUL: the driver's error was a 500 on a search or a note."""
    an = site.browsers["local"]
    relation = site.path_values["relation_id"][0]
    _ok(an.client.get("/admin/people", query_string={"q": "Cla\x00es"}), 400, "NUL")
    _ok(an.client.post(f"/admin/relations/{relation}/edit", data={
        "csrf_token": an.csrf(), "category": "employee", "type": "standard",
        "email": "bart@example.be", "note": "a\x00b"}), 400, "NUL")


def test_a_csv_upload_with_a_200_kb_field_is_refused_clearly(site):
    an = site.browsers["local"]
    content = f"rrn,category,type,email,phone,note\n{EMIL},employee,standard,e@x.be,,{'x' * 200_000}\n"
    _ok(an.client.post("/admin/bulk/upload", data={
        "csrf_token": an.csrf(), "file": (io.BytesIO(content.encode()), "people.csv")}),
        422, "regel 2 heeft een veld van meer dan 1000 tekens")


def test_demo_app_asks_nothing_for_an_anonymous_visitor_whatever_the_form_says(site):
    """demo-app asks the AA only about the person signed in there (#10.15), so a hostile
    number or government code from an anonymous visitor is refused before it is read."""
    anonymous = site.browsers["anonymous"].client
    for rrn in ("\x00", "8507300332\x00", "²" * 11, BART):
        _ok(anonymous.post("/demo-app/", data={"rrn": rrn, "government": "44088\x00"}), 401,
            "Meld u eerst aan")


# -- requests ---------------------------------------------------------------------------------


def _path_value(site: Site, rule: Rule, name: str):
    converter = rule._converters[name]
    real = st.sampled_from(site.path_values.get(name, ["1"]))
    if isinstance(converter, IntegerConverter):  # no small ids: they are real rows
        odd = st.one_of(st.sampled_from(["0", str(2**31), str(2**63), str(2**64), "9" * 30]),
                        st.integers(min_value=10**9, max_value=2**80).map(str))
    else:
        odd = hostile.filter(lambda v: v and "/" not in v)
    return st.one_of(real, odd)


DATE_EDGES = ["9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01"]
NUMBER_EDGES = ["0", "-1", str(2**31), str(2**63), "9" * 40, "²"]
TEXT_EDGES = ["\x00", "²", "x" * 5000, "<script>alert(1)</script>", ""]


def _edges_for(current: str) -> list[str]:
    if re.fullmatch(r"\d{4}-\d\d-\d\d", current):
        return DATE_EDGES
    if re.fullmatch(r"-?\d+", current):
        return NUMBER_EDGES
    return TEXT_EDGES


def _value_for(site: Site, name: str, current: str):
    """A value seen for this field, or a hostile one of its kind: a date at the ends of the
    calendar for a date, a huge or negative number for a number, anything for the rest."""
    if re.fullmatch(r"\d{4}-\d\d-\d\d", current):
        kind = st.one_of(st.sampled_from(DATE_EDGES), days)
    elif re.fullmatch(r"-?\d+", current):
        kind = st.one_of(st.sampled_from(NUMBER_EDGES), numbers)
    else:
        kind = hostile
    seen = sorted(site.known.get(name, ()))
    return st.one_of(st.sampled_from(seen), kind) if seen else kind


@st.composite
def requests_for(draw, site: Site, route: Route):
    args = {name: draw(_path_value(site, route.rule, name)) for name in route.rule.arguments}
    path = route.rule.rule
    for name, value in args.items():
        path = re.sub(rf"<(?:[^:>]+:)?{re.escape(name)}(?:\([^)]*\))?>", quote(value, safe=""), path)
    baselines = [fields for _who, action, fields in site.baselines.get(route.name, [])
                 if not route.rule.arguments or action == route.prefix + path]
    fields = dict(draw(st.sampled_from(baselines))) if baselines and draw(st.booleans()) else {}
    changed = draw(st.lists(st.sampled_from(sorted(fields) or site.field_names)
                            | st.sampled_from(site.field_names) | text, max_size=4))
    for name in changed:
        fields[name] = draw(_value_for(site, name, fields.get(name, "")))
    fields.pop("csrf_token", None)  # the current one is added below, or none
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


def test_every_field_of_every_form_at_its_edges(site):
    """The systematic half: each form a page shows, sent as its browser would with one field
    at a time set to each edge of its kind (a date, a number, text), and a period's two dates
    together (without the date fix this finds the OverflowErrors of the wizard, the extension
    and the bulk review)."""
    failures = []
    for name, forms in sorted(site.baselines.items(), key=lambda i: (_ends_something(i[0]), i[0])):
        method = name.split(" ", 1)[0]
        for who, action, fields in forms:
            browser = site.browsers[who]
            dated = [k for k in fields if _edges_for(fields[k]) is DATE_EDGES]
            changes = [{key: edge} for key in sorted(set(fields) - {"csrf_token"})
                       for edge in _edges_for(fields[key])]
            if len(dated) > 1:  # a period: both ends at once (one end alone is "end before start")
                changes += [dict.fromkeys(dated, edge) for edge in DATE_EDGES]
            for change in changes:
                data = {**fields, **change}
                if "csrf_token" in fields:
                    data["csrf_token"] = browser.csrf()
                response = browser.client.get(action, query_string=data) if method == "GET" \
                    else browser.client.post(action, data=data)
                if response.status_code >= 500 or TRACEBACK in response.data:
                    failures.append(f"{name} ({who}) answered {response.status_code} "
                                    f"with {({k: v[:40] for k, v in change.items()})!r}")
                browser.refresh()
    assert not failures, "\n".join(failures)


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
    for route in sorted(site.routes, key=lambda r: (_ends_something(r.name), r.name)):
        try:
            _fuzzer(site, route)()
        except ExceptionGroup as found:  # hypothesis found several distinct failures
            failures.extend(_first_line(f) for f in found.exceptions)
        except Exception as failure:
            failures.append(_first_line(failure))
    assert not failures, "\n".join(failures)


def _first_line(failure: BaseException) -> str:
    return f"{type(failure).__name__}: {(str(failure) or repr(failure)).splitlines()[0]}"
