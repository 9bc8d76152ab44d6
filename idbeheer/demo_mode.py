"""What demo mode registers beside the demo data: demo-app's OIDC mode as an OIDC client of
the bridge (its URIs follow the base URL actually served, its key is generated into certs/).
Run by `idbeheer run` and `idbeheer seed-demo`, never in production."""
from __future__ import annotations

from sqlalchemy.orm import Session

from attribute_authority import oidc_clients

from .settings import Settings


def register_demo_clients(session: Session, settings: Settings) -> bool:
    """demo-app's OIDC registration, up to date; True when it had to be (re)written."""
    from examples.demo_app.registration import APP_CODE, oidc_registration

    return oidc_clients.seed_client(session, APP_CODE,
                                    **oidc_registration(settings.base_url, settings.certs_dir))
