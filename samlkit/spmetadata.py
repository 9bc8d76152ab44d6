"""SAML metadata of our peers: target applications and the upstream IdP
(`metadata/upstream/`).

`SpRegistry` holds the target applications in each worker's memory and follows its source
without restarts: the server's source is the database (attribute_authority.sp_metadata, into
which `metadata/sp/<app-code>.xml` files are imported), tools and tests may read the folder
itself (`FolderSource`). A broken document is reported and skipped; it never takes the other
applications down with it. Metadata is read as real SPs publish it: KeyDescriptors without
`use`, md:Extensions, bindings we do not speak."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from cryptography import x509
from lxml import etree

from .errors import MetadataRefused, SamlSecurityError
from .keys import certificate_from_b64
from .samlxml import DS, MD, SAML, SAMLP, instant, parse_instant
from .watched import Fingerprint, Reloading, WatchedFiles
from .xmlparse import parse_xml

__all__ = [
    "BINDING_HTTP_POST",
    "BINDING_HTTP_REDIRECT",
    "BINDING_SOAP",
    "Endpoint",
    "FolderSource",
    "IdpMetadata",
    "PAIRWISE_ID",
    "SUBJECT_ID",
    "SpMetadata",
    "RegistrySource",
    "SpRegistry",
    "parse_idp_metadata",
    "parse_sp_metadata",
    "read_idp_metadata",
    "write_if_changed",
]

log = logging.getLogger(__name__)

SAML2_PROTOCOL = SAMLP
BINDING_HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"

MAX_METADATA_BYTES = 1 << 20
MDATTR = "urn:oasis:names:tc:SAML:metadata:attribute"
SUBJECT_ID = "urn:oasis:names:tc:SAML:attribute:subject-id"
PAIRWISE_ID = "urn:oasis:names:tc:SAML:attribute:pairwise-id"
SUBJECT_ID_REQ = "urn:oasis:names:tc:SAML:profiles:subject-id:req"
_APP_CODE = re.compile(r"[a-z0-9-]+")


@dataclass(frozen=True)
class Endpoint:
    binding: str
    location: str
    index: int | None = None
    is_default: bool | None = None
    response_location: str | None = None


@dataclass(frozen=True)
class SpMetadata:
    """What we use of one target application's SPSSODescriptor."""

    app_code: str
    entity_id: str
    signing_certs: tuple[x509.Certificate, ...]
    encryption_certs: tuple[x509.Certificate, ...]
    assertion_consumer_services: tuple[Endpoint, ...]
    single_logout_services: tuple[Endpoint, ...]
    authn_requests_signed: bool
    want_assertions_signed: bool
    name_id_formats: tuple[str, ...] = ()
    path: Path | None = None
    valid_until: dt.datetime | None = None
    # subject-id asked for: a RequestedAttribute, or the subject-id:req entity attribute
    wants_subject_id: bool = False

    def check_current(self, now: dt.datetime) -> None:
        """Refuse metadata whose validUntil has passed (SAML2Int: never trust a stale copy)."""
        _check_current(self.entity_id, self.valid_until, now)

    def acs(
        self,
        bindings: Collection[str] = (BINDING_HTTP_POST,),
        *,
        index: int | None = None,
        url: str | None = None,
    ) -> Endpoint | None:
        """The ACS to answer at: by index, by exact URL, or the metadata's default.

        Only endpoints with a binding in `bindings` (those the caller speaks) count. The
        default follows SAML metadata §2.2.3: isDefault="true", else the first not marked
        false, else the first.
        """
        usable = [e for e in self.assertion_consumer_services if e.binding in bindings]
        if index is not None:
            return next((e for e in usable if e.index == index), None)
        if url is not None:
            return next((e for e in usable if e.location == url), None)
        return _default_endpoint(usable)

    def slo(self, bindings: Collection[str]) -> Endpoint | None:
        """The first single logout endpoint with a binding in `bindings`."""
        return next((e for e in self.single_logout_services if e.binding in bindings), None)


@dataclass(frozen=True)
class IdpMetadata:
    """What the bridge uses of the upstream IdP's IDPSSODescriptor; endpoints by binding."""

    entity_id: str
    single_sign_on_services: Mapping[str, Endpoint]
    single_logout_services: Mapping[str, Endpoint]
    signing_certs: tuple[x509.Certificate, ...]
    want_authn_requests_signed: bool
    valid_until: dt.datetime | None = None

    def check_current(self, now: dt.datetime) -> None:
        _check_current(self.entity_id, self.valid_until, now)


def _check_current(entity_id: str, valid_until: dt.datetime | None, now: dt.datetime) -> None:
    if valid_until is not None and now >= valid_until:
        raise MetadataRefused("metadata_expired",
                              f"the metadata of {entity_id} expired at {instant(valid_until)}")


@dataclass(frozen=True)
class _Snapshot:
    by_code: Mapping[str, SpMetadata] = field(default_factory=dict)
    by_entity_id: Mapping[str, SpMetadata] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


class RegistrySource(Protocol):
    """Where the registry's metadata documents come from, and their version."""

    def version(self) -> Hashable:
        """Cheap (one indexed read): asked on every entity the registry does not know."""

    def poll(self) -> Hashable:
        """The version, after looking for outside changes (files): at most every interval."""

    def documents(self) -> Iterable[tuple[str, str, bytes, Path | None]]:
        """(label for errors, application code, metadata XML, file or None) of every SP."""


class FolderSource:
    """The files `<metadata_dir>/sp/<app-code>.xml` themselves (tools and tests; the server
    reads the database, into which it imports these files)."""

    def __init__(self, metadata_dir: str | Path) -> None:
        self.files = WatchedFiles(Path(metadata_dir) / "sp")

    def version(self) -> Fingerprint:
        return self.files.fingerprint()

    poll = version

    def documents(self) -> Iterator[tuple[str, str, bytes, Path | None]]:
        for path in self.files.paths(self.files.fingerprint()):
            try:
                yield path.name, path.stem, path.read_bytes(), path
            except OSError:
                continue  # removed while we looked


class SpRegistry:
    """The target applications, kept current without restarts, in each worker's memory.

    Known entities are served from memory; the source's version is polled at most every
    `check_interval` seconds. An unknown entity costs one `source.version()` (for the database:
    one indexed one-row read, no lock, no folder scan) and a reload only when that version
    moved, so a registration is served on the very next request while junk with made-up
    issuers reloads nothing.
    """

    def __init__(
        self,
        source: RegistrySource | str | Path,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source: RegistrySource = (
            FolderSource(source) if isinstance(source, (str, Path)) else source
        )
        self._last = _Snapshot()
        self._snapshot = Reloading(self._load, self.source.poll, every=check_interval,
                                   clock=clock)
        if isinstance(source, (str, Path)):
            self._current()  # a folder is read at once; a database at the first request

    @property
    def check_interval(self) -> float:
        """Seconds between two polls of the source while every entity asked for is known."""
        return self._snapshot.every

    @check_interval.setter
    def check_interval(self, seconds: float) -> None:
        self._snapshot.every = seconds

    @property
    def loads(self) -> int:
        """How often the metadata was (re)loaded."""
        return self._snapshot.builds

    def by_entity_id(self, entity_id: str) -> SpMetadata | None:
        sp = self._current().by_entity_id.get(entity_id)
        return sp if sp is not None else self.refresh().by_entity_id.get(entity_id)

    def by_app_code(self, app_code: str) -> SpMetadata | None:
        return self._current().by_code.get(app_code)

    def all(self) -> list[SpMetadata]:
        """Every usable application, ordered by application code."""
        return sorted(self._current().by_code.values(), key=lambda sp: sp.app_code)

    @property
    def errors(self) -> Mapping[str, str]:
        """Document (file) name -> `reason: message` for each one that was skipped."""
        return self._current().errors

    def reload(self) -> None:
        """Poll the source and read everything again now (an explicit admin action)."""
        self._snapshot.forget()
        self._current()

    def refresh(self) -> _Snapshot:
        """Compare the source's version now and reload only if it moved: for a caller that
        meets an entity or a key it does not know."""
        try:
            stamp = self.source.version()
            if self._snapshot.is_current(stamp):
                return self._last
            return self._snapshot.check(stamp)
        except Exception:  # a source that is down leaves the applications we know served
            log.exception("SP metadata: source not readable, serving what was loaded")
            return self._last

    def valid(self, sp: SpMetadata, now: dt.datetime) -> SpMetadata:
        """`sp` while its validUntil has not passed, else a copy registered since (one version
        read); MetadataRefused `metadata_expired` when there is none."""
        try:
            sp.check_current(now)
            return sp
        except MetadataRefused:
            fresh = self.renewed(sp)
            if fresh is None:
                raise
            fresh.check_current(now)
            return fresh

    def renewed(self, sp: SpMetadata) -> SpMetadata | None:
        """The SP's metadata if it changed since `sp` was read (a just replaced key), else None:
        one version read, for a caller whose signature check failed."""
        fresh = self.refresh().by_entity_id.get(sp.entity_id)
        return fresh if fresh is not None and fresh is not sp else None

    def _current(self) -> _Snapshot:
        try:
            return self._snapshot.get()
        except Exception:
            log.exception("SP metadata: source not readable, serving what was loaded")
            return self._last

    def _load(self, _stamp: object) -> _Snapshot:
        parsed: list[SpMetadata] = []
        errors: dict[str, str] = {}
        for label, app_code, data, path in self.source.documents():
            try:
                parsed.append(parse_sp_metadata(data, app_code, path=path))
            except SamlSecurityError as exc:
                errors[label] = str(exc)
        by_code: dict[str, SpMetadata] = {}
        by_entity_id: dict[str, SpMetadata] = {}
        for sp in parsed:
            claimants = [other for other in parsed if other.entity_id == sp.entity_id]
            if len(claimants) > 1 and not self._keeps_entity_id(sp):
                others = ", ".join(f"{o.app_code}.xml" for o in claimants if o is not sp)
                errors[f"{sp.app_code}.xml"] = str(
                    MetadataRefused("duplicate_entity_id", f"{sp.entity_id} is also in {others}")
                )
                continue
            by_code[sp.app_code] = by_entity_id[sp.entity_id] = sp
        for name, message in errors.items():
            log.warning("SP metadata %s skipped: %s", name, message)
        log.info("SP metadata loaded: %d applications, %d refused", len(by_code), len(errors))
        self._last = _Snapshot(
            MappingProxyType(by_code),
            MappingProxyType(by_entity_id),
            MappingProxyType(errors),
        )
        return self._last

    def _keeps_entity_id(self, sp: SpMetadata) -> bool:
        """Of several files claiming one entityID, only the one already serving it stays.

        Otherwise a new file could take over an application's identity; when none served
        it before, all claimants are refused.
        """
        current = self._last.by_entity_id.get(sp.entity_id)
        return current is not None and current.app_code == sp.app_code


def parse_sp_metadata(data: bytes, app_code: str, *, path: Path | None = None,
                      now: dt.datetime | None = None) -> SpMetadata:
    """Read one SP's metadata (also to check a file before it is registered: give `now`, and
    metadata past its validUntil is refused)."""
    if not _APP_CODE.fullmatch(app_code):
        raise MetadataRefused("bad_name", f"application code {app_code!r} is not [a-z0-9-]+")
    entity, descriptor = _single_role(parse_xml(data, MAX_METADATA_BYTES), "SPSSODescriptor")
    signing, encryption = _certificates(descriptor)
    valid_until = _valid_until(descriptor)
    entity_id = _entity_id(entity)
    if now is not None:
        _check_current(entity_id, valid_until, now)
    return SpMetadata(
        app_code=app_code,
        entity_id=entity_id,
        signing_certs=signing,
        encryption_certs=encryption,
        assertion_consumer_services=_endpoints(descriptor, "AssertionConsumerService"),
        single_logout_services=_endpoints(descriptor, "SingleLogoutService"),
        authn_requests_signed=_flag(descriptor, "AuthnRequestsSigned"),
        want_assertions_signed=_flag(descriptor, "WantAssertionsSigned"),
        name_id_formats=tuple(
            (e.text or "").strip() for e in descriptor.findall(f"{{{MD}}}NameIDFormat")
        ),
        path=path,
        valid_until=valid_until,
        wants_subject_id=_wants_subject_id(entity, descriptor),
    )


def read_idp_metadata(path: str | Path, entity_id: str | None = None) -> IdpMetadata:
    """Read an IdP's metadata file; `entity_id` picks one entity from an aggregate."""
    return parse_idp_metadata(Path(path).read_bytes(), entity_id)


def parse_idp_metadata(data: bytes, entity_id: str | None = None) -> IdpMetadata:
    """Read an IdP's metadata as fetched or read; `entity_id` picks one from an aggregate."""
    root = parse_xml(data, MAX_METADATA_BYTES)
    entity, descriptor = _single_role(root, "IDPSSODescriptor", entity_id)
    signing, _ = _certificates(descriptor)
    return IdpMetadata(
        entity_id=_entity_id(entity),
        single_sign_on_services=_by_binding(_endpoints(descriptor, "SingleSignOnService")),
        single_logout_services=_by_binding(_endpoints(descriptor, "SingleLogoutService")),
        signing_certs=signing,
        want_authn_requests_signed=_flag(descriptor, "WantAuthnRequestsSigned"),
        valid_until=_valid_until(descriptor),
    )


def _single_role(
    root: etree._Element, role: str, entity_id: str | None = None
) -> tuple[etree._Element, etree._Element]:
    """The one entity (optionally: with this entityID) having a SAML 2.0 `role` descriptor.

    An aggregate (EntitiesDescriptor) is accepted as long as that choice is unambiguous.
    """
    if root.tag == f"{{{MD}}}EntityDescriptor":
        entities = [root]
    elif root.tag == f"{{{MD}}}EntitiesDescriptor":
        entities = list(root.iter(f"{{{MD}}}EntityDescriptor"))
    else:
        raise MetadataRefused("no_entity_id", f"root element {root.tag} is not SAML metadata")
    if entity_id is not None:
        entities = [e for e in entities if e.get("entityID") == entity_id]
    found = [(e, d) for e in entities if (d := _saml2_role(e, role)) is not None]
    if not found:
        reason = "not_sp" if role == "SPSSODescriptor" else "not_idp"
        raise MetadataRefused(reason, f"no entity with a SAML 2.0 {role}")
    if len(found) > 1:
        raise MetadataRefused("ambiguous", f"{len(found)} entities with a {role}")
    return found[0]


def _valid_until(descriptor: etree._Element) -> dt.datetime | None:
    """The earliest validUntil of the role descriptor and its ancestors (entity, aggregate)."""
    moments = []
    node: etree._Element | None = descriptor
    while node is not None:
        text = node.get("validUntil")
        if text is not None:
            moment = parse_instant(text)
            if moment is None:
                raise MetadataRefused("bad_valid_until", f"validUntil {text[:40]!r} is not a date")
            moments.append(moment)
        node = node.getparent()
    return min(moments, default=None)


def _wants_subject_id(entity: etree._Element, descriptor: etree._Element) -> bool:
    """subject-id asked for, per the Subject Identifier Attributes Profile: the entity attribute
    subject-id:req = "subject-id", or a RequestedAttribute for it ("any" and "pairwise-id" are
    served by the pairwise-id we always release)."""
    for attribute in entity.iterfind(
            f"{{{MD}}}Extensions/{{{MDATTR}}}EntityAttributes/{{{SAML}}}Attribute"):
        if attribute.get("Name") == SUBJECT_ID_REQ:
            values = {(v.text or "").strip() for v in attribute.iterfind(f"{{{SAML}}}AttributeValue")}
            if "subject-id" in values:
                return True
    return any(requested.get("Name") == SUBJECT_ID for requested in descriptor.iterfind(
        f"{{{MD}}}AttributeConsumingService/{{{MD}}}RequestedAttribute"))


def _entity_id(entity: etree._Element) -> str:
    entity_id = (entity.get("entityID") or "").strip()
    if not entity_id:
        raise MetadataRefused("no_entity_id", "EntityDescriptor has no entityID")
    return entity_id


def _saml2_role(entity: etree._Element, role: str) -> etree._Element | None:
    for descriptor in entity.findall(f"{{{MD}}}{role}"):
        if SAML2_PROTOCOL in (descriptor.get("protocolSupportEnumeration") or "").split():
            return descriptor
    return None


def _certificates(
    descriptor: etree._Element,
) -> tuple[tuple[x509.Certificate, ...], tuple[x509.Certificate, ...]]:
    """(signing, encryption) certificates; a KeyDescriptor without `use` serves both."""
    signing: list[x509.Certificate] = []
    encryption: list[x509.Certificate] = []
    for key_descriptor in descriptor.findall(f"{{{MD}}}KeyDescriptor"):
        use = key_descriptor.get("use")
        for text in key_descriptor.iterfind(
            f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"
        ):
            try:
                cert = certificate_from_b64(text.text or "")
            except ValueError as exc:
                raise MetadataRefused("bad_certificate", f"unreadable certificate: {exc}") from None
            if use in (None, "signing") and cert not in signing:
                signing.append(cert)
            if use in (None, "encryption") and cert not in encryption:
                encryption.append(cert)
    return tuple(signing), tuple(encryption)


def _endpoints(descriptor: etree._Element, name: str) -> tuple[Endpoint, ...]:
    endpoints = []
    for node in descriptor.findall(f"{{{MD}}}{name}"):
        binding, location = node.get("Binding"), node.get("Location")
        if not binding or not location:
            raise MetadataRefused("bad_endpoint", f"{name} without Binding or Location")
        index = node.get("index")
        try:
            parsed_index = int(index) if index is not None else None
        except ValueError:
            raise MetadataRefused("bad_endpoint", f"{name} index {index!r}") from None
        endpoints.append(
            Endpoint(
                binding=binding,
                location=location.strip(),
                index=parsed_index,
                is_default=_optional_flag(node, "isDefault"),
                response_location=node.get("ResponseLocation"),
            )
        )
    return tuple(endpoints)


def _by_binding(endpoints: tuple[Endpoint, ...]) -> Mapping[str, Endpoint]:
    chosen: dict[str, Endpoint] = {}
    for endpoint in endpoints:
        chosen.setdefault(endpoint.binding, endpoint)
    return MappingProxyType(chosen)


def _default_endpoint(endpoints: list[Endpoint]) -> Endpoint | None:
    for endpoint in endpoints:
        if endpoint.is_default:
            return endpoint
    for endpoint in endpoints:
        if endpoint.is_default is None:
            return endpoint
    return endpoints[0] if endpoints else None


def _flag(node: etree._Element, name: str) -> bool:
    return _optional_flag(node, name) is True


def _optional_flag(node: etree._Element, name: str) -> bool | None:
    value = node.get(name)
    if value is None:
        return None
    if value.strip() in ("true", "1"):
        return True
    if value.strip() in ("false", "0"):
        return False
    raise MetadataRefused("bad_flag", f"{name}={value!r} is not an xs:boolean")


def write_if_changed(path: str | Path, data: bytes) -> bool:
    """Write a metadata file atomically, and only when its content changes (several workers
    start at once and registries watch mtimes); True when it was written."""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True
