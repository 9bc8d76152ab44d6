"""Target applications' SAML metadata in the database: the SP registry's source of truth.

Every change goes through here and bumps the one-row `registry_version` in its own
transaction: `idbeheer app register` and the admin UI's catalog pages (`register_metadata`, a
central administrator), and a new or changed `metadata/sp/<code>.xml` file (`import_file`, at
start and on change, by each running server). Each worker's registry (`DatabaseSource` behind
`samlkit.spmetadata.SpRegistry`) compares that version with one indexed read, so a change is
served on the very next request by every worker of every node.

A file only overwrites a copy that is older than the file (by its modification time): the
folders of several nodes need not agree, and an old file left on one node never undoes a
registration made elsewhere. Removing a file unregisters nothing.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives.hashes import SHA256
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from samlkit.errors import SamlSecurityError
from samlkit.spmetadata import SpMetadata, parse_sp_metadata
from samlkit.watched import Fingerprint, WatchedFiles

from . import audit, authz, clock
from .audit import Change
from .catalog import MetadataRefused, application_by_code
from .errors import CatalogConflict
from .models import Application, ApplicationMetadata, RegistryVersion

__all__ = ["DatabaseSource", "import_file", "register_metadata", "registered", "registry_version"]

log = logging.getLogger(__name__)


def register_metadata(session: Session, actor: authz.Actor, app_code: str, xml: bytes, *,
                      reason: str | None = None, on: date | None = None) -> SpMetadata:
    """Register or replace an application's metadata (central administrators), checked with
    the reader the server uses; audited; the registry's version moves in this transaction."""
    authz.require_central(session, actor, on or clock.today())
    application = application_by_code(session, app_code)
    try:
        sp = parse_sp_metadata(xml, application.code, now=clock.now())
    except SamlSecurityError as refused:
        raise MetadataRefused(app=application.code, why=refused.message) from None
    _refuse_taken_entity_id(session, sp)
    _store(session, actor.rrn, sp, xml, "register", reason)
    return sp


def import_file(session: Session, path: Path, xml: bytes, modified_at: datetime) -> bool:
    """Import metadata/sp/<code>.xml when it differs from the registered copy and is newer
    than it; True when it changed the registry. Refused files are logged and left out."""
    try:
        sp = parse_sp_metadata(xml, path.stem, now=clock.now())
    except SamlSecurityError as refused:
        log.warning("SP metadata %s not imported: %s", path, refused)
        return False
    row = session.get(ApplicationMetadata, sp.app_code)
    if row is not None and row.xml == xml:
        return False
    if row is not None and _utc(row.updated_at) >= _utc(modified_at):
        log.warning("SP metadata %s not imported: the registered copy (%s, %s) is newer",
                    path, row.source, row.updated_at.isoformat())
        return False
    try:
        _refuse_taken_entity_id(session, sp)
    except CatalogConflict as taken:
        log.warning("SP metadata %s not imported: %s", path, taken.message("en"))
        return False
    _store(session, None, sp, xml, "file", f"{path.name} changed")
    return True


def registered(session: Session, app_codes: list[str]) -> dict[str, ApplicationMetadata]:
    """The registered metadata of these applications (those that have any), by code."""
    if not app_codes:
        return {}
    rows = session.scalars(select(ApplicationMetadata)
                           .where(ApplicationMetadata.app_code.in_(app_codes)))
    return {row.app_code: row for row in rows}


_VERSION = select(RegistryVersion.version).where(RegistryVersion.id == 1)


def registry_version(session: Session) -> int:
    return session.scalar(_VERSION) or 0


def _refuse_taken_entity_id(session: Session, sp: SpMetadata) -> None:
    owner = session.scalar(select(ApplicationMetadata.app_code)
                           .where(ApplicationMetadata.entity_id == sp.entity_id))
    if owner is not None and owner != sp.app_code:
        raise CatalogConflict(detail=f"entityID {sp.entity_id} is al van toepassing {owner}",
                              detail_en=f"entityID {sp.entity_id} already belongs to application {owner}")


def _store(session: Session, actor_rrn: str | None, sp: SpMetadata, xml: bytes, source: str,
           reason: str | None) -> None:
    row = session.get(ApplicationMetadata, sp.app_code)
    before = (_summary(row.app_code, row.entity_id, row.xml, row.source)
              if row is not None else None)
    if row is None:
        row = ApplicationMetadata(app_code=sp.app_code)
        session.add(row)
    row.entity_id, row.xml, row.source, row.updated_at = sp.entity_id, xml, source, clock.now()
    _bump(session)
    application = session.scalar(select(Application.id).where(Application.code == sp.app_code))
    audit.record(session, actor_rrn, Change(
        "application.metadata", "application", application, before=before,
        after=_summary(sp.app_code, sp.entity_id, xml, source), reason=reason))
    session.flush()


def _summary(app_code: str, entity_id: str, xml: bytes, source: str) -> dict[str, object]:
    """What the audit trail keeps of a metadata document: enough to tell versions apart and
    see a key change, not the whole XML."""
    try:
        certs = parse_sp_metadata(xml, app_code).signing_certs
    except SamlSecurityError:  # a copy stored by an older reader: its digest still tells
        certs = ()
    return {"entity_id": entity_id, "sha256": hashlib.sha256(xml).hexdigest(), "source": source,
            "signing_certs": [c.fingerprint(SHA256()).hex() for c in certs]}


def _bump(session: Session) -> None:
    bumped = session.execute(update(RegistryVersion).where(RegistryVersion.id == 1)
                             .values(version=RegistryVersion.version + 1))
    if bumped.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(RegistryVersion).values(id=1, version=1))


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


class DatabaseSource:
    """The SP registry's source in the server: the metadata rows and their version, plus the
    import of `<metadata_dir>/sp/*.xml` whenever the registry polls (at most once a second)."""

    def __init__(self, db: sessionmaker[Session], metadata_dir: Path | None = None) -> None:
        self._db = db
        self._engine = db.kw["bind"]
        self._files = WatchedFiles(Path(metadata_dir) / "sp") if metadata_dir else None
        self._imported: Fingerprint | None = None
        self._importing = threading.Lock()

    def version(self) -> int:
        # A pooled connection and a compiled statement, no ORM session: asked on every
        # unknown issuer, so it must cost about what a primary-key read costs.
        with self._engine.connect() as connection:
            return connection.execute(_VERSION).scalar() or 0

    def poll(self) -> int:
        self.import_files()
        return self.version()

    def import_files(self) -> int:
        """Import the files that changed since the last look; how many changed the registry."""
        if self._files is None:
            return 0
        # One thread of the worker imports; the others wait for it rather than read a version
        # that does not count the files yet (at start: every application unknown for a moment).
        with self._importing:
            return self._import_changed(self._files)

    def _import_changed(self, files: WatchedFiles) -> int:
        fingerprint = files.fingerprint()
        if fingerprint == self._imported:
            return 0
        changed = 0
        for name, mtime_ns, _size in fingerprint:
            path = files.folder / name
            try:
                xml = path.read_bytes()
            except OSError:
                continue  # removed since the look
            modified = datetime.fromtimestamp(mtime_ns / 1e9, timezone.utc)
            try:
                with self._db() as session, session.begin():
                    changed += import_file(session, path, xml, modified)
            except IntegrityError:  # another worker imported it at the same moment
                log.info("SP metadata %s: imported by another worker meanwhile", path)
        self._imported = fingerprint
        return changed

    def documents(self) -> Iterator[tuple[str, str, bytes, Path | None]]:
        with self._db() as session:
            rows = session.execute(select(ApplicationMetadata.app_code, ApplicationMetadata.xml)
                                   .order_by(ApplicationMetadata.app_code)).all()
        for code, xml in rows:
            yield f"{code} (database)", code, xml, None
