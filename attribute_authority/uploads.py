"""Bulk upload of people with their relation to one government, from CSV.

First a dry run: every line is checked (number, register, category, type, e-mail, an open
relation already present, a number twice in the file) and the administrator sees each line's
problem. Only a file without problems becomes a job, which runs server-side in chunks, each
chunk one unit of work that also moves the progress counter, so any worker can show it.
A line refused at run time (someone else was faster) is reported and the rest continues.

A process can die mid-job (deploy, OOM, SIGKILL). Each chunk commit moves the job's heartbeat
(`updated_at`) together with `done` and the lines it applied, so a running job without a
heartbeat for STALE_AFTER is *interrupted* and `resume` continues it from line `done`: the
lines of a committed chunk are never applied again, and those of the chunk that died were
rolled back with it. A run owns the job through `run_token`, taken under the job's row lock;
a run that finds another token (it was presumed dead and resumed) stops before its next chunk.

CSV columns (header required, comma or semicolon): rrn, category, type, email, phone, note.
"""
from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from . import authz, clock, governments, people, relations
from . import rrn as rrn_rules
from .errors import (
    DomainError,
    InvalidInput,
    NotFound,
    RelationExists,
    UnknownInNationalRegister,
)
from .models import UploadJob
from .national_register import NationalRegister

COLUMNS = ("rrn", "category", "type", "email", "phone", "note")
MAX_LINES = 10_000
MAX_FIELD = 1000
"""Characters in one field: the longest a form takes (a note); the CSV reader gives up at 128 KiB."""
CHUNK = 50
STALE_AFTER = timedelta(minutes=5)
"""A running job without a chunk commit for this long is interrupted: a chunk of CHUNK lines
takes seconds, so its process is gone."""


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


class NotResumable(DomainError):
    code = "upload_not_resumable"
    nl = "Dit opladen loopt nog of is klaar; hervatten kan alleen als het onderbroken is."
    en = "This upload is still running or finished; only an interrupted upload can be resumed."


class UploadHasProblems(DomainError):
    code = "upload_has_problems"
    nl = ("{count} regel(s) van het bestand hebben een probleem. Verbeter het bestand en laad "
          "het opnieuw op; er is niets toegevoegd.")
    en = "{count} line(s) of the file have a problem. Fix the file and upload it again; nothing was added."


def parse(text: str) -> list[Line]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InvalidInput(detail="het bestand is leeg", detail_en="the file is empty")
    if "\x00" in text:  # PostgreSQL keeps no NUL in text; no CSV editor writes one
        raise InvalidInput(detail="het bestand bevat een NUL-teken; is het wel een CSV-bestand?",
                           detail_en="the file contains a NUL character; is it really a CSV file?")
    dialect = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    # newline=None: a file with old Mac line ends (CR only) reads as lines too
    reader = csv.DictReader(io.StringIO(text, newline=None), delimiter=dialect)
    try:
        lines = _lines(reader)
    except csv.Error:  # a field past the reader's own limit, on the line after the last read
        raise _field_too_long(reader.line_num + 1) from None
    if not lines:
        raise InvalidInput(detail="het bestand heeft geen regels onder de kopregel",
                           detail_en="the file has no lines below the header line")
    return lines


def _lines(reader: csv.DictReader) -> list[Line]:
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("rrn", "category", "type", "email") if c not in header]
    if missing:
        raise InvalidInput(detail=f"de kopregel mist de kolom(men) {', '.join(missing)}; "
                                  f"verwacht: {', '.join(COLUMNS)}",
                           detail_en=f"the header line lacks the column(s) {', '.join(missing)}; "
                                     f"expected: {', '.join(COLUMNS)}")
    reader.fieldnames = header
    lines = []
    for row in reader:
        values = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
        if any(len(v) > MAX_FIELD for v in values.values()):
            raise _field_too_long(reader.line_num)
        if any(values.values()):
            lines.append(Line(reader.line_num, values))
        if len(lines) > MAX_LINES:
            raise InvalidInput(detail=f"een bestand heeft hoogstens {MAX_LINES} regels",
                               detail_en=f"a file has at most {MAX_LINES} lines")
    return lines


def _field_too_long(line_number: int) -> InvalidInput:
    return InvalidInput(detail=f"regel {line_number} heeft een veld van meer dan {MAX_FIELD} "
                               "tekens; een bestand met zo'n regel wordt niet opgeladen",
                        detail_en=f"line {line_number} has a field of more than {MAX_FIELD} "
                                  "characters; a file with such a line is not uploaded")


def _check_line(session: Session, register: NationalRegister, government_id: int,
                line: Line, seen: set[str]) -> LineCheck:
    v = line.values
    try:
        rrn = rrn_rules.parse(line.rrn).rrn
        if rrn in seen:
            raise InvalidInput(detail=f"{rrn} staat meer dan eens in het bestand",
                               detail_en=f"{rrn} appears more than once in the file")
        seen.add(rrn)
        person = people.find(session, rrn)
        record = None if person else register.lookup(rrn)
        if person is not None:
            name = person.full_name
        elif record is not None:
            name = f"{record.given_name} {record.surname}"
        else:
            raise UnknownInNationalRegister(rrn=rrn)
        relations.validate(v.get("category", ""), v.get("type", ""), v.get("email", ""),
                           v.get("phone") or None)
        if person and relations.open_relation(session, person.id, government_id):
            raise RelationExists(person=name, government="dit bestuur", government_en="this government")
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


def state(job: UploadJob, now: datetime | None = None) -> str:
    """What the administrator sees: the job's status, or `interrupted` for a running job
    whose heartbeat stopped (or a failed one: both can be resumed)."""
    if job.status == "failed":
        return "interrupted"
    if job.status == "running":
        beat = job.updated_at or job.created_at
        if beat.tzinfo is None:  # SQLite keeps no offset; we store UTC
            beat = beat.replace(tzinfo=timezone.utc)
        if beat < (now or clock.now()) - STALE_AFTER:
            return "interrupted"
    return job.status


def get(session: Session, actor: authz.Actor, job_id: int, on: date | None = None) -> UploadJob:
    job = session.get(UploadJob, job_id)
    if job is None or not authz.scope_of(session, actor, on or clock.today()).covers(job.government_id):
        raise NotFound(what="Opladen", what_en="Upload", key=str(job_id))
    return job


def resume(session: Session, actor: authz.Actor, job_id: int, on: date | None = None,
           now: datetime | None = None) -> UploadJob:
    """Make an interrupted job ready again (run it with `run`): it continues at line `done`.
    The job row is locked, so a dying run's last chunk is either committed before (and not
    repeated) or not at all; the old run's token is dropped, so it cannot continue."""
    job = get(session, actor, job_id, on)
    session.refresh(job, with_for_update=True)
    if state(job, now) != "interrupted":
        raise NotResumable()
    authz.require_admin_of(session, actor, session.get_one(governments.Government, job.government_id),
                           on or clock.today())
    job.status, job.run_token, job.updated_at = "ready", None, now or clock.now()
    return job


def _locked(session: Session, job_id: int) -> UploadJob | None:
    return session.scalars(select(UploadJob).where(UploadJob.id == job_id)
                           .with_for_update()).one_or_none()


def run(factory: sessionmaker[Session], register: NationalRegister, job_id: int,
        chunk: int = CHUNK) -> None:
    """Run a recorded (or resumed) job to its end, from line `done`. The actor's
    authorization is checked again for each chunk, as the actor acting for the job's
    government. Each chunk is one transaction that takes the job's row lock and checks that
    this run still owns the job."""
    token = secrets.token_hex(16)
    with factory() as session, session.begin():
        job = _locked(session, job_id)
        if job is None or job.status != "ready":
            return
        job.status, job.run_token, job.updated_at = "running", token, clock.now()
        lines = parse(job.content)
    try:
        while True:
            with factory() as session, session.begin():
                job = _locked(session, job_id)
                if job is None or job.run_token != token or job.status != "running":
                    return  # presumed dead and resumed by another run: that run goes on
                todo = lines[job.done:job.done + chunk]
                if not todo:
                    job.status, job.updated_at = "done", clock.now()
                    return
                _run_chunk(session, register, job, todo)
                job.updated_at = clock.now()
    except Exception:
        with factory() as session, session.begin():
            job = _locked(session, job_id)
            if job is not None and job.run_token == token:
                job.status = "failed"
        raise


def _run_chunk(session: Session, register: NationalRegister, job: UploadJob,
               lines: list[Line]) -> None:
    government = session.get_one(governments.Government, job.government_id)
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
