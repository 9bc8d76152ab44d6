"""Which upstream IdP the bridge trusts: the metadata file(s) in metadata/upstream/.

Re-read when a file changes (a key rollover at the federal service is a metadata change), so a
running bridge follows without restart. With several files, `entity_id` picks the IdP.
"""
from __future__ import annotations

from pathlib import Path

from samlkit.errors import MetadataRefused, SamlSecurityError
from samlkit.spmetadata import IdpMetadata, read_idp_metadata
from samlkit.watched import Reloading, WatchedFiles

from ..errors import BridgeRefusal
from ..i18n import lazy_gettext as _l


class UpstreamUnavailable(BridgeRefusal):
    status = 503
    message = _l("De federale aanmeldingsdienst is op dit moment niet ingesteld. "
                 "Probeer het later opnieuw of contacteer de helpdesk.")


class UpstreamPeer:
    def __init__(self, upstream_dir: Path, entity_id: str | None = None) -> None:
        self.upstream_dir = Path(upstream_dir)
        self.entity_id = entity_id
        self._files = WatchedFiles(self.upstream_dir)
        self._metadata: Reloading[IdpMetadata | None] = Reloading(
            lambda _stamp: self._load(), self._files.fingerprint)

    def current(self) -> IdpMetadata:
        current = self._metadata.get()
        if current is None:
            raise UpstreamUnavailable("no_upstream", f"no usable IdP metadata in {self.upstream_dir}")
        return current

    def _load(self) -> IdpMetadata | None:
        found: list[IdpMetadata] = []
        for path in sorted(self.upstream_dir.glob("*.xml")):
            try:
                idp = read_idp_metadata(path, self.entity_id)
            except (SamlSecurityError, OSError):
                continue
            found.append(idp)
        if self.entity_id is None and len(found) > 1:
            raise MetadataRefused("ambiguous", f"{len(found)} IdPs in {self.upstream_dir}; "
                                               "set the upstream entityID")
        return found[0] if found else None
