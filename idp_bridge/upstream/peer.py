"""Which upstream IdP the bridge trusts: the metadata file(s) in metadata/upstream/.

Re-read when a file changes (a key rollover at the federal service is a metadata change), so a
running bridge follows without restart. With several files, `entity_id` picks the IdP.
A file that cannot be read, an ambiguous folder or metadata past its validUntil leaves the
bridge without an upstream: every sign-in gets the 503 page, and the log says why (once per
change of the folder, for a broken file; at each refusal, for expired metadata).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from samlkit.errors import SamlSecurityError
from samlkit.spmetadata import IdpMetadata, read_idp_metadata
from samlkit.watched import Reloading, WatchedFiles

from ..errors import BridgeRefusal
from ..i18n import lazy_gettext as _l

log = logging.getLogger(__name__)


class UpstreamUnavailable(BridgeRefusal):
    status = 503
    message = _l("De federale aanmeldingsdienst is op dit moment niet ingesteld. "
                 "Probeer het later opnieuw of contacteer de helpdesk.")


class UpstreamPeer:
    def __init__(self, upstream_dir: Path, entity_id: str | None = None, *,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.upstream_dir = Path(upstream_dir)
        self.entity_id = entity_id
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._files = WatchedFiles(self.upstream_dir)
        self._metadata: Reloading[IdpMetadata | str] = Reloading(
            lambda _stamp: self._load(), self._files.fingerprint)

    def current(self) -> IdpMetadata:
        """The upstream IdP's metadata, or UpstreamUnavailable (never a 500)."""
        current = self._metadata.get()
        if isinstance(current, str):
            raise UpstreamUnavailable("no_upstream", current)
        try:
            current.check_current(self._clock())
        except SamlSecurityError as exc:
            log.error("upstream IdP metadata refused: %s; sign-ins are refused until "
                      "metadata/upstream/ holds a current copy", exc.message)
            raise UpstreamUnavailable(exc.reason, exc.message) from None
        return current

    def _load(self) -> IdpMetadata | str:
        """The IdP's metadata, or why there is none (logged)."""
        found: list[IdpMetadata] = []
        for path in sorted(self.upstream_dir.glob("*.xml")):
            try:
                found.append(read_idp_metadata(path, self.entity_id))
            except (SamlSecurityError, OSError) as exc:
                log.error("upstream IdP metadata %s not usable: %s", path, exc)
        problem = None
        if self.entity_id is None and len(found) > 1:
            problem = f"{len(found)} IdPs in {self.upstream_dir}; set the upstream entityID"
        elif not found:
            problem = f"no usable IdP metadata in {self.upstream_dir}"
        if problem:
            log.error("upstream IdP: %s", problem)
            return problem
        return found[0]
