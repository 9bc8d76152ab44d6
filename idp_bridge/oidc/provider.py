"""The provider's collaborators in one place: its URLs, signing keys, client directory,
grants store, the bridge's read-only database and pairwise identifiers, and the clock."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from ..pairwise import PairwiseNameIds
from .clients import ClientDirectory
from .grants import Grants
from .signing import SigningKeys

ID_TOKEN_TTL = 300


@dataclass
class Provider:
    issuer: str
    keys: SigningKeys
    clients: ClientDirectory
    grants: Grants
    read_db: sessionmaker[Session]
    name_ids: PairwiseNameIds
    clock: object  # () -> aware datetime
    lifetime: dt.timedelta
    # Whether a core session still lives (`SignInCore.session_alive`), set when mounted.
    session_alive: Callable[[str | None], bool] = lambda _core_id: False

    def connect(self) -> Connection:
        """A bare read-only connection (one statement's reads, e.g. the live rights: no ORM
        session around it)."""
        return self.read_db.kw["bind"].connect()

    def url(self, path: str) -> str:
        return self.issuer + path

    def now(self) -> dt.datetime:
        return self.clock()  # type: ignore[operator]

    def epoch(self) -> int:
        return int(self.now().timestamp())
