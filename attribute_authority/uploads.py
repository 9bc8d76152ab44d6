"""Bulk upload of people with their relation to one government, from CSV.

First a dry run: every line is checked (number, register, category, type, e-mail, an open
relation already present, a number twice in the file) and the administrator sees each line's
problem. Only a file without problems becomes a job, which runs server-side in chunks, each
chunk one unit of work that also moves the progress counter, so any worker can show it.
A line refused at run time (someone else was faster) is reported and the rest continues.

CSV columns (header required, comma or semicolon): rrn, category, type, email, phone, note.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from . import authz, clock, governments, people, relations
from . import rrn as rrn_rules
from .errors import DomainError, InvalidInput, NotFound, RelationExists, UnknownInNationalRegister
from .models import UploadJob
from .national_register import NationalRegister

COLUMNS = ("rrn", "category", "type", "email", "phone", "note")
MAX_LINES = 10_000
CHUNK = 50


@dataclass(frozen=True)
class Line:
    number: int
    """The line in the file, the header being line 1."""
    values: dict[str, str]

    @property
    def rrn(self) -> str:
        return self.values.get("rrn", "")


@dataclass(frozen=True)
class LineCheck:
    line: Line
    name: str | None
    problem: DomainError | None


class UploadHasProblems(DomainError):
    code = "upload_has_problems"
    nl = ("{count} regel(s) van het bestand hebben een probleem. Verbeter het bestand en laad "
          "het opnieuw op; er is niets toegevoegd.")
    en = "{count} line(s) of the file have a problem. Fix the file and upload it again; nothing was added."


def parse(text: str) -> list[Line]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InvalidInput(detail="het bestand is leeg")
    dialect = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("rrn", "category", "type", "email") if c not in header]
    if missing:
        raise InvalidInput(detail=f"de kopregel mist de kolom(men) {', '.join(missing)}; "
                                  f"verwacht: {', '.join(COLUMNS)}")
    reader.fieldnames = header
    lines = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
        if any(values.values()):
            lines.append(Line(reader.line_num, values))
        if len(lines) > MAX_LINES:
            raise InvalidInput(detail=f"een bestand heeft hoogstens {MAX_LINES} regels")
    if not lines:
        raise InvalidInput(detail="het bestand heeft geen regels onder de kopregel")
    return lines


def _check_line(session: Session, register: NationalRegister, government_id: int,
                line: Line, seen: set[str]) -> LineCheck:
    v = line.values
    try:
        rrn = rrn_rules.parse(line.rrn).rrn
        if rrn in seen:
            raise InvalidInput(detail=f"{rrn} staat meer dan eens in het bestand")
        seen.add(rrn)
        person = people.find(session, rrn)
        record = None if person else register.lookup(rrn)
        if person is None and record is None:
            raise UnknownInNationalRegister(rrn=rrn)
        name = person.full_name if person else f"{record.given_name} {record.surname}"
        relations.validate(v.get("category", ""), v.get("type", ""), v.get("email", ""),
                           v.get("phone") or None)
        if person and relations.open_relation(session, person.id, government_id):
            raise RelationExists(person=name, government="dit bestuur")
        return LineCheck(line, name, None)
    except DomainError as problem:
        return LineCheck(line, None, problem)


def check(session: Session, actor: authz.Actor, register: NationalRegister,
          government_code: str, text: str, on: date | None = None) -> list[LineCheck]:
    """The dry run: changes nothing."""
    on = on or clock.today()
    government = governments.administered(session, actor, government_code, on)
    seen: set[str] = set()
    return [_check_line(session, register, government.id, line, seen) for line in parse(text)]


def start(session: Session, actor: authz.Actor, register: NationalRegister,
          government_code: str, text: str, on: date | None = None) -> UploadJob:
    """Check again and, when every line is fine, record the job (run it with `run`)."""
    checks = check(session, actor, register, government_code, text, on)
    bad = [c for c in checks if c.problem]
    if bad:
        raise UploadHasProblems(count=len(bad))
    job = UploadJob(government_id=governments.by_code(session, government_code).id,
                    actor_rrn=actor.rrn, created_at=clock.now(), status="ready",
                    content=text, total=len(checks), done=0, created=0, problems=[])
    session.add(job)
    session.flush()
    return job


def get(session: Session, actor: authz.Actor, job_id: int, on: date | None = None) -> UploadJob:
    job = session.get(UploadJob, job_id)
    if job is None or not authz.scope_of(session, actor, on or clock.today()).covers(job.government_id):
        raise NotFound(what="Opladen", key=str(job_id))
    return job


def run(factory: sessionmaker[Session], register: NationalRegister, job_id: int,
        chunk: int = CHUNK) -> None:
    """Run a recorded job to its end. The actor's authorization is checked again for each
    chunk, as the actor acting for the job's government."""
    with factory() as session, session.begin():
        job = session.get(UploadJob, job_id)
        if job is None or job.status != "ready":
            return
        job.status = "running"
        lines = parse(job.content)
    try:
        for first in range(0, len(lines), chunk):
            with factory() as session, session.begin():
                _run_chunk(session, register, session.get(UploadJob, job_id),
                           lines[first:first + chunk])
    except Exception:
        with factory() as session, session.begin():
            session.get(UploadJob, job_id).status = "failed"
        raise
    with factory() as session, session.begin():
        session.get(UploadJob, job_id).status = "done"


def _run_chunk(session: Session, register: NationalRegister, job: UploadJob,
               lines: list[Line]) -> None:
    government = session.get(governments.Government, job.government_id)
    actor = authz.acting_actor(session, job.actor_rrn, government.code)
    problems = list(job.problems or [])
    for line in lines:
        v = line.values
        try:
            with session.begin_nested():
                person, _ = people.add(session, actor, register, line.rrn)
                relations.add(session, actor, person.rrn, government.code,
                              category=v["category"], type=v["type"], email=v["email"],
                              phone=v.get("phone") or None, note=v.get("note") or None)
            job.created += 1
        except DomainError as refused:
            problems.append({"line": line.number, "rrn": line.rrn, "code": refused.code,
                             "nl": refused.message("nl"), "en": refused.message("en")})
        job.done += 1
    job.problems = problems
