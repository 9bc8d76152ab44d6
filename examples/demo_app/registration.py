"""demo-app's key and its registration file, metadata/sp/demo-app.xml (demo mode only)."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from samlkit.bindings import BINDING_HTTP_REDIRECT
from samlkit.keys import KeyPair, ensure_dev_keypair
from samlkit.sp_client import sp_metadata as _sp_metadata
from samlkit.spmetadata import write_if_changed

APP_CODE = "demo-app"


def entity_id(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{APP_CODE}/metadata"


def demo_keypair(certs_dir: str | os.PathLike[str]) -> KeyPair:
    """demo-app's signing key, generated into the certs folder on first use (never committed)."""
    return ensure_dev_keypair(certs_dir, APP_CODE, "lb-idbeheer demo-app")


def sp_metadata(base_url: str, keypair: KeyPair, now: dt.datetime | None = None) -> bytes:
    """`now` for the copy served at its entityID (validUntil); the registered file has none."""
    base = base_url.rstrip("/")
    # The single-logout endpoint: the bridge signs demo-app out when the person signs out
    # elsewhere, and answers demo-app's own LogoutRequest there.
    return _sp_metadata(entity_id(base), f"{base}/{APP_CODE}/acs", [keypair],
                        slo_url=f"{base}/{APP_CODE}/slo", slo_binding=BINDING_HTTP_REDIRECT,
                        now=now)


def ensure_demo_app(metadata_dir: str | os.PathLike[str], certs_dir: str | os.PathLike[str],
                    base_url: str) -> KeyPair:
    """Generate demo-app's key if needed and (re)write metadata/sp/demo-app.xml when its
    content changed (a new key or base URL); an unchanged file is left alone, so the
    attribute authority's registry has nothing to reload."""
    keypair = demo_keypair(certs_dir)
    write_if_changed(Path(metadata_dir) / "sp" / f"{APP_CODE}.xml", sp_metadata(base_url, keypair))
    return keypair


# -- OpenID Connect mode (BASE/demo-app-oidc, client_id demo-app) ---------------------------

OIDC_MOUNT = "/demo-app-oidc"


def demo_oidc_keypair(certs_dir: str | os.PathLike[str]) -> KeyPair:
    """demo-app's private_key_jwt key (OIDC mode), generated on first use, never committed."""
    return ensure_dev_keypair(certs_dir, "demo-app-oidc", "lb-idbeheer demo-app (OIDC)")


def oidc_registration(base_url: str, certs_dir: str | os.PathLike[str]) -> dict:
    """What `idbeheer app oidc demo-app …` would register for the OIDC mode: exact URIs under
    BASE/demo-app-oidc, the public JWKS of its key, the scopes it asks."""
    from .oidc_client import public_jwks

    here = base_url.rstrip("/") + OIDC_MOUNT
    return {"redirect_uris": [here + "/callback"], "post_logout_redirect_uris": [here + "/signed-out"],
            "backchannel_logout_uri": here + "/backchannel-logout",
            "jwks": public_jwks(demo_oidc_keypair(certs_dir)),
            "scopes": ["openid", "profile", "capacity", "rights"]}
