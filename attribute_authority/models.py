"""The schema of the rights store, as typed SQLAlchemy 2 models.

Indexes sit next to the columns they serve. The hot read (AttributeQuery: the rights of one
person for one application in one government on a day) walks
person.rrn -> relation(person_id, government_id) -> grant(relation_id) -> right(application_id).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.naming import conv

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Person(Base):
    """Someone known to the national register (R1). Never deleted."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    rrn: Mapped[str] = mapped_column(String(11), unique=True)
    surname: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    is_bis: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(2))
    aligned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    relations: Mapped[list[Relation]] = relationship(back_populates="person")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.surname}"


class Government(Base):
    """A local government (municipality, OCMW, province, …) or the central organisation.

    code is the contract's government code: the NIS code, 'ocmw-' + NIS code, or 'vlaanderen'.
    The registration record (R9) is what a central administrator needs before appointing the
    first local administrator.
    """

    __tablename__ = "government"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    nis_code: Mapped[str | None] = mapped_column(String(5))
    kbo_number: Mapped[str | None] = mapped_column(String(10))
    province_code: Mapped[str | None] = mapped_column(String(5))
    secretary_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    form_signed_on: Mapped[date | None] = mapped_column(Date)
    terms_accepted_on: Mapped[date | None] = mapped_column(Date)
    acting_secretary: Mapped[bool] = mapped_column(Boolean, default=False)
    council_minutes_ref: Mapped[str | None] = mapped_column(String(200))

    secretary: Mapped[Person | None] = relationship()

    __table_args__ = (
        CheckConstraint("kind in ('municipality','ocmw','province','police','central','other')",
                        name="kind"),
    )


class Relation(Base):
    """A person's relation with one government (R2). At most one open per pair."""

    __tablename__ = "relation"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    government_id: Mapped[int] = mapped_column(ForeignKey("government.id"))
    category: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(10))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship(back_populates="relations")
    government: Mapped[Government] = relationship()
    grants: Mapped[list[Grant]] = relationship(back_populates="relation",
                                               foreign_keys="Grant.relation_id")

    __table_args__ = (
        CheckConstraint("category in ('employee','external')", name="category"),
        CheckConstraint("type in ('standard','secretary')", name="type"),
        Index("ix_relation_person_government", "person_id", "government_id"),
        Index("ix_relation_government_open", "government_id", "ended_on"),
        Index("uq_relation_open", "person_id", "government_id", unique=True,
              sqlite_where=text("ended_on IS NULL"), postgresql_where=text("ended_on IS NULL")),
        # The parent key of grant's (relation_id, government_id) foreign key.
        Index("uq_relation_id_government", "id", "government_id", unique=True),
    )

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


class Application(Base):
    """A target application, registered by metadata/sp/<code>.xml and this catalog row."""

    __tablename__ = "application"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str] = mapped_column(String(10), default="employee")

    rights: Mapped[list[Right]] = relationship(back_populates="application")

    __table_args__ = (
        CheckConstraint("capacity in ('employee','citizen','any')", name="capacity"),
    )


class OidcClient(Base):
    """An application's registration as an OpenID Connect client (`client_id` = its code).

    Redirect URIs match exactly (no prefix, no pattern). The client authenticates with a key of
    its JWKS (`private_key_jwt`, inline or at `jwks_uri`) or with a generated secret, kept only
    as a hash. `scopes` are the scopes it may be granted (`rrn` only when allowed)."""

    __tablename__ = "oidc_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    jwks: Mapped[dict | None] = mapped_column(JSON)
    jwks_uri: Mapped[str | None] = mapped_column(String(500))
    secret_hash: Mapped[str | None] = mapped_column(String(100))
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    application: Mapped[Application] = relationship()


class ApplicationMetadata(Base):
    """A target application's SAML metadata as registered: the SP registry's source of truth.

    `app register`, the catalog pages and the import of metadata/sp/<code>.xml write it
    (attribute_authority.sp_metadata), each bumping `RegistryVersion`. Keyed by application
    code like the files, with the entityID unique; a file may arrive before its catalog row,
    so there is no foreign key (the AA answers only applications with one)."""

    __tablename__ = "application_metadata"
    app_code: Mapped[str] = mapped_column(String(60), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(1024), unique=True)
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(10))  # "register" (CLI, admin UI) or "file"


class RegistryVersion(Base):
    """One row (id 1): bumped in the transaction of every metadata change, read by each
    worker's SP registry to know, with one indexed read, whether its copy is current."""

    __tablename__ = "registry_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class Right(Base):
    """A right of one application with its maximum validity in days (R4)."""

    __tablename__ = "right"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    max_days: Mapped[int] = mapped_column(Integer)

    application: Mapped[Application] = relationship(back_populates="rights")

    __table_args__ = (CheckConstraint("max_days > 0", name="max_days_positive"),)


def _relation_government(context) -> int | None:
    """grant.government_id when an insert leaves it out: the relation's (one lookup)."""
    relation_id = context.get_current_parameters().get("relation_id")
    return context.connection.scalar(
        select(Relation.government_id).where(Relation.id == relation_id))


class Grant(Base):
    """A right given to a relation for [start, end], both days included (R4–R7).

    Revocation is recorded, never deleted: revoked_on is the Brussels day it took effect.

    government_id repeats the relation's government (a relation never changes government; the
    composite foreign key keeps the copy true) so that a government's grants can be read in
    `end` order from one index: the administrators' search (R5) pages through them latest end
    first, and without it had to join and sort every grant of a large government.
    """

    __tablename__ = "grant"
    id: Mapped[int] = mapped_column(primary_key=True)
    relation_id: Mapped[int] = mapped_column(ForeignKey("relation.id"))
    government_id: Mapped[int] = mapped_column(Integer, default=_relation_government)
    right_id: Mapped[int] = mapped_column(ForeignKey("right.id"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    relation: Mapped[Relation] = relationship(back_populates="grants", foreign_keys=[relation_id])
    right: Mapped[Right] = relationship()
    periods: Mapped[list[GrantPeriod]] = relationship(
        back_populates="grant", lazy="selectin", order_by="GrantPeriod.start",
        cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint('"end" >= start', name="period"),
        ForeignKeyConstraint(["relation_id", "government_id"],
                             ["relation.id", "relation.government_id"],
                             name=conv("fk_grant_relation_government_relation")),
        Index("ix_grant_relation_end", "relation_id", "end"),
        # start and revoked_on ride along so the state conditions (R5) are checked in the
        # index, and only the page's rows are read from the table.
        Index("ix_grant_government_end", "government_id", "end", "id", "start", "revoked_on"),
        Index("ix_grant_end", "end"),
        Index("ix_grant_right", "right_id"),
    )


class GrantPeriod(Base):
    """The days a grant is in force: the truth a reference date is read against (R5).

    A grant's own start/end is its latest plan, as the administrator typed it. An extension
    (R6) made on day X leaves every day before X as it was: earlier periods are cut at X - 1
    and the new period starts on X at the earliest. So a search on a past reference date, the
    AttributeQuery, the expiry notices and the history all read what held on that day, and
    the latest period's end is always the grant's end."""

    __tablename__ = "grant_period"
    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant.id"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)

    grant: Mapped[Grant] = relationship(back_populates="periods")

    __table_args__ = (
        CheckConstraint('"end" >= start', name="period"),
        # The AttributeQuery and the state conditions look up "the period of this grant that
        # holds day D": grant_id then start, with end riding along.
        Index("ix_grant_period_grant_start", "grant_id", "start", "end"),
    )


class AuditEvent(Base):
    """One recorded change (R7): who, when, what, before/after, why. Append-only; each row's
    hash covers its content and the previous row's hash, so an edit anywhere breaks the chain."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_rrn: Mapped[str | None] = mapped_column(String(11))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer)
    government_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_event_person_at", "person_id", "at"),
        Index("ix_audit_event_government_at", "government_id", "at"),
    )


class AuditHead(Base):
    """The chain's last hash, one row; locked while appending so writers queue up."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class SignInEvent(Base):
    """One sign-in attempt (R14), written by the bridge, read by the helpdesk."""

    __tablename__ = "sign_in_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    rrn: Mapped[str | None] = mapped_column(String(11))
    method: Mapped[str | None] = mapped_column(String(10))
    application: Mapped[str | None] = mapped_column(String(60))
    capacity: Mapped[str | None] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(String(500))
    # One browser's attempts share it (a random id the bridge keeps in a cookie), so an
    # attempt that failed before the person was identified is read with the RRN that browser
    # signed in with later.
    flow_id: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_sign_in_event_rrn_at", "rrn", "at"),
        Index("ix_sign_in_event_at", "at"),
        Index("ix_sign_in_event_flow_id", "flow_id"),
    )


class Notice(Base):
    """An e-mail of the expiry job (R11), recorded before it is sent so that no run sends it
    twice. status: pending -> sending -> sent, or failed (retried by the next run). A row
    left in 'sending' means a run died mid-send: it is reported, never sent again."""

    __tablename__ = "notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    government_id: Mapped[int] = mapped_column(ForeignKey("government.id"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grant.id"))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint("kind in ('holder','digest','request','review')", name="kind"),
        CheckConstraint("status in ('pending','sending','sent','failed')", name="status"),
        Index("ix_notice_status", "status"),
    )


class UploadJob(Base):
    """A bulk upload of people and their relations from CSV, checked line by line first and
    then run server-side in chunks; `done` is the progress the administrator watches.
    status: ready -> running -> done (or failed when the run stopped).

    Every chunk commit also moves `updated_at` (the heartbeat): a running job whose heartbeat
    is older than uploads.STALE_AFTER is shown as interrupted (its process died) and can be
    resumed. `run_token` names the run that owns the job; a run that finds another token
    stops, so a resumed job never has two runners applying the same lines."""

    __tablename__ = "upload_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(ForeignKey("government.id"), index=True)
    actor_rrn: Mapped[str] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default="ready")
    content: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list | None] = mapped_column(JSON)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    run_token: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        CheckConstraint("status in ('ready','running','done','failed')", name="status"),
    )


class BulkSelection(Base):
    """The people an administrator picked, page by page, for one bulk grant (R10): kept
    server-side so that the candidate list can be paged without JavaScript. Either explicit
    relation IDs (at most bulk.MAX_SELECTED) or `all_matching`: every candidate of the
    filter, resolved again when the grant is confirmed. Personal: only its actor, acting for
    its government, sees it; deleted once the grant is made."""

    __tablename__ = "bulk_selection"
    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(ForeignKey("government.id"), index=True)
    actor_rrn: Mapped[str] = mapped_column(String(11))
    right_code: Mapped[str] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(10))
    type: Mapped[str | None] = mapped_column(String(10))
    all_matching: Mapped[bool] = mapped_column(Boolean, default=False)
    relation_ids: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccessRequest(Base):
    """A person's request for a right of an application in a government (R15): a new grant,
    the extension of a live one, or, without an open relation, to be added with that right.
    status: open -> approved | refused | expired. At most one open request per person,
    government and right."""

    __tablename__ = "access_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    government_id: Mapped[int] = mapped_column(ForeignKey("government.id"))
    right_id: Mapped[int] = mapped_column(ForeignKey("right.id"))
    kind: Mapped[str] = mapped_column(String(10))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grant.id"))
    motivation: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_rrn: Mapped[str | None] = mapped_column(String(11))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    result_grant_id: Mapped[int | None] = mapped_column(ForeignKey("grant.id"))

    person: Mapped[Person] = relationship()
    government: Mapped[Government] = relationship()
    right: Mapped[Right] = relationship()
    grant: Mapped[Grant | None] = relationship(foreign_keys=[grant_id])
    result_grant: Mapped[Grant | None] = relationship(foreign_keys=[result_grant_id])

    __table_args__ = (
        CheckConstraint("kind in ('grant','extension','relation')", name="kind"),
        CheckConstraint("status in ('open','approved','refused','expired')", name="status"),
        Index("ix_access_request_government_status", "government_id", "status", "created_at"),
        Index("ix_access_request_person", "person_id", "created_at"),
        Index("ix_access_request_expiry", "status", "expires_on"),
        Index("uq_access_request_open", "person_id", "government_id", "right_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )


class AccessReview(Base):
    """An access review of one government (R16): every grant active at its start is confirmed
    or revoked by the deadline; at the deadline the rest is reported, and revoked when
    auto_revoke says so. status: open -> closed."""

    __tablename__ = "access_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(ForeignKey("government.id"))
    started_by_rrn: Mapped[str] = mapped_column(String(11))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[date] = mapped_column(Date)
    auto_revoke: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unreviewed: Mapped[int | None] = mapped_column(Integer)

    government: Mapped[Government] = relationship()

    __table_args__ = (
        CheckConstraint("status in ('open','closed')", name="status"),
        Index("ix_access_review_government", "government_id", "status"),
        Index("ix_access_review_deadline", "status", "deadline"),
        Index("uq_access_review_open", "government_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )


class ReviewItem(Base):
    """One grant under review; decision is None until confirmed or revoked."""

    __tablename__ = "review_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("access_review.id"))
    grant_id: Mapped[int] = mapped_column(ForeignKey("grant.id"))
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_by_rrn: Mapped[str | None] = mapped_column(String(11))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    review: Mapped[AccessReview] = relationship()
    grant: Mapped[Grant] = relationship()

    __table_args__ = (
        CheckConstraint("decision in ('confirmed','revoked','unreviewed')", name="decision"),
        Index("uq_review_item_review_grant", "review_id", "grant_id", unique=True),
        Index("ix_review_item_review_decision", "review_id", "decision"),
    )
