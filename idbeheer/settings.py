"""Settings from the environment (names fixed by DESIGN.md)."""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import limits

from attribute_authority.mail import Mailer, OutboxMailer, SmtpMailer


@dataclass(frozen=True)
class Settings:
    home: Path
    base_url: str
    database_url: str
    redis_url: str | None
    smtp_url: str | None
    metadata_dir: Path
    certs_dir: Path
    mode: str
    secret_key: str = field(repr=False)
    lang: str = "nl"
    secret_from_env: bool = False
    # How many reverse proxies in front of us set X-Forwarded-* headers (ProxyFix).
    trusted_proxies: int = 0
    session_idle_minutes: int = 30
    session_lifetime_minutes: int = 8 * 60
    # The AA signs its Assertion always (DESIGN.md); the Response around it too unless turned
    # off: pysaml2's client wants both by default, and the second signature halves throughput.
    aa_sign_response: bool = True
    # The bearer token /metrics asks for; in production without one /metrics is not served.
    metrics_token: str | None = field(default=None, repr=False)
    # The scope of the pairwise-id/subject-id the bridge releases (IDBEHEER_SCOPE): a DNS
    # domain of the service; empty: the base URL's host.
    scope: str = ""
    # Rate limits (idbeheer.rate_limits), "N/second|minute|hour" per key, "" for none. The
    # defaults stop floods and guessing runs, far above what one application or person does.
    rate_limit_aa_ip: str = "3000/minute"
    rate_limit_aa_issuer: str = "1200/minute"
    rate_limit_sso: str = "120/minute"
    rate_limit_acs: str = "60/minute"
    rate_limit_admin_sign_in: str = "30/minute"
    rate_limit_upload: str = "10/minute"

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    def mailer(self) -> Mailer:
        """SMTP in production (IDBEHEER_SMTP_URL), .eml files in the outbox otherwise."""
        return SmtpMailer(self.smtp_url) if self.smtp_url else OutboxMailer(self.outbox)


def _secret(home: Path, env: dict[str, str]) -> str:
    """IDBEHEER_SECRET_KEY, or in demo mode one generated once into the data folder."""
    if env.get("IDBEHEER_SECRET_KEY"):
        return env["IDBEHEER_SECRET_KEY"]
    path = home / "secret_key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    home = Path(env.get("IDBEHEER_HOME", "var")).resolve()
    mode = env.get("IDBEHEER_MODE", "demo")
    if mode not in ("demo", "production"):
        raise SystemExit(f"IDBEHEER_MODE must be 'demo' or 'production', not {mode!r}")
    return Settings(
        home=home,
        base_url=env.get("IDBEHEER_BASE_URL", "http://localhost:8000").rstrip("/"),
        database_url=env.get("IDBEHEER_DATABASE_URL", f"sqlite:///{home / 'idbeheer.db'}"),
        redis_url=env.get("IDBEHEER_REDIS_URL") or None,
        smtp_url=env.get("IDBEHEER_SMTP_URL") or None,
        metadata_dir=Path(env.get("IDBEHEER_METADATA_DIR", "metadata")).resolve(),
        certs_dir=Path(env.get("IDBEHEER_CERTS_DIR", "certs")).resolve(),
        mode=mode,
        secret_key=_secret(home, env),
        lang=env.get("IDBEHEER_LANG", "nl"),
        secret_from_env=bool(env.get("IDBEHEER_SECRET_KEY")),
        trusted_proxies=int(env.get("IDBEHEER_TRUSTED_PROXIES", "0")),
        session_idle_minutes=int(env.get("IDBEHEER_SESSION_IDLE_MINUTES", "30")),
        session_lifetime_minutes=int(env.get("IDBEHEER_SESSION_LIFETIME_MINUTES", str(8 * 60))),
        aa_sign_response=_flag(env, "IDBEHEER_AA_SIGN_RESPONSE", True),
        metrics_token=env.get("IDBEHEER_METRICS_TOKEN") or None,
        scope=_scope(env.get("IDBEHEER_SCOPE", "")),
        **{f"rate_limit_{name}": _rate(env, name) for name in RATE_LIMITS},
    )


RATE_LIMITS = ("aa_ip", "aa_issuer", "sso", "acs", "admin_sign_in", "upload")


def _scope(value: str) -> str:
    """A scope per the Subject Identifier Attributes Profile: a DNS domain, lower case."""
    scope = value.strip().lower()
    if scope and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,126}", scope):
        raise SystemExit(f"IDBEHEER_SCOPE must be a DNS domain (letters, digits, '.', '-'), not {value!r}")
    return scope


def _rate(env: dict[str, str], name: str) -> str:
    """IDBEHEER_RATE_LIMIT_<NAME>: a limit such as "60/minute", or "off"; unset: the default."""
    variable = f"IDBEHEER_RATE_LIMIT_{name.upper()}"
    value = env.get(variable, "").strip()
    if not value:
        return Settings.__dataclass_fields__[f"rate_limit_{name}"].default  # type: ignore[return-value]
    if value.lower() == "off":
        return ""
    try:
        limits.parse(value)
    except ValueError:
        raise SystemExit(f"{variable} must be a rate such as 60/minute or off, not {value!r}") from None
    return value


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    """A yes/no setting; anything but the usual spellings is refused rather than guessed."""
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{name} must be true or false, not {value!r}")


class ConfigurationRefused(RuntimeError):
    """The service refuses to start; the message says what to change."""


def production_problems(settings: Settings) -> list[str]:
    """What keeps these settings from running in production (IDBEHEER_MODE=production)."""
    if not settings.production:
        return []
    problems = []
    if not settings.base_url.startswith("https://"):
        problems.append("IDBEHEER_BASE_URL must be an https:// URL in production")
    if not settings.secret_from_env:
        problems.append("IDBEHEER_SECRET_KEY must be set in production (a generated default is refused)")
    elif len(settings.secret_key) < 32:
        problems.append("IDBEHEER_SECRET_KEY must be at least 32 characters")
    if not settings.redis_url:
        problems.append("IDBEHEER_REDIS_URL must be set in production (sessions, replay cache)")
    if not settings.smtp_url:
        problems.append("IDBEHEER_SMTP_URL must be set in production (expiry notices)")
    return problems


def refuse_unsafe(settings: Settings) -> None:
    problems = production_problems(settings)
    if problems:
        raise ConfigurationRefused("refusing to start in production mode:\n- " + "\n- ".join(problems))
