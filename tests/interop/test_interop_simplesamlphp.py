"""Interop with a SAML SP that is not pysaml2: Debian's SimpleSAMLphp 1.19 as a target
application of the bridge.

The bridge is `idbeheer run` (support.interop); SimpleSAMLphp runs under PHP's built-in server
with a configuration written here: an authsource `default-sp` that signs its AuthnRequests
(RSA-SHA256, HTTP-Redirect) and trusts the bridge from its live /idp/metadata. SimpleSAMLphp is
registered with `idbeheer app register` by the metadata it publishes itself, as any integrator
would, while the bridge serves, and signed in through at once. A protected page calls
`requireAuth()` and prints what SimpleSAMLphp accepted; `requests` plays the browser.

CI needs: apt-get install -y simplesamlphp php-cli php-xml php-mbstring php-curl
"""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.etree
import pytest
import requests
from sqlalchemy import select
from support import AN, MERELBEKE, free_port
from support.aa import envelope, query, read, signed
from support.http_browser import HttpBrowser, walk
from support.interop import IdbeheerServer, hops, redirected_to, sign_out_at_bridge
from support.processes import stop, wait_for

from attribute_authority.db import make_engine, session_factory
from attribute_authority.models import SignInEvent
from samlkit.keys import KeyPair, ensure_dev_keypair

pytestmark = pytest.mark.interop

SSP_ROOT = Path("/usr/share/simplesamlphp")
APT = "apt-get install -y simplesamlphp php-cli php-xml php-mbstring php-curl"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
P = "urn:lb-idbeheer:attribute:"
TIMEOUT = 15


# -- what must be installed -------------------------------------------------------------------

def require_simplesamlphp() -> str:
    """The php binary; a clear failure (never a skip) naming the Debian packages otherwise."""
    php = shutil.which("php")
    if php is None:
        pytest.fail(f"php is not installed; this interop test needs: {APT}")
    if not (SSP_ROOT / "www" / "module.php").is_file() or not (SSP_ROOT / "lib" / "_autoload.php").is_file():
        pytest.fail(f"SimpleSAMLphp is not installed at {SSP_ROOT}; this interop test needs: {APT}")
    modules = subprocess.run([php, "-m"], capture_output=True, text=True, timeout=30).stdout.lower().split()
    missing = [m for m in ("dom", "openssl", "mbstring", "simplexml", "xml") if m not in modules]
    if missing:
        pytest.fail(f"PHP extensions {missing} are missing; this interop test needs: {APT}")
    return php


# -- PHP source written by the test ------------------------------------------------------------

class PhpCode(str):
    """PHP source written as is (a constant), not quoted."""


def php_literal(value) -> str:
    """A Python value (str, bool, None, int, list, dict) as a PHP literal."""
    if isinstance(value, PhpCode):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(php_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[\n" + "".join(f"    {php_literal(k)} => {php_literal(v)},\n" for k, v in value.items()) + "]"
    raise TypeError(type(value))


def idp_remote(metadata_xml: bytes) -> tuple[str, dict]:
    """The bridge's IdP metadata as a saml20-idp-remote entry (entityID, settings)."""
    root = lxml.etree.fromstring(metadata_xml)
    idp = root.find(f"{{{MD}}}IDPSSODescriptor")

    def endpoints(name: str) -> list[dict]:
        return [{"Binding": e.get("Binding"), "Location": e.get("Location")}
                for e in idp.findall(f"{{{MD}}}{name}")]

    keys = []
    for descriptor in idp.findall(f"{{{MD}}}KeyDescriptor"):
        use = descriptor.get("use")
        for cert in descriptor.iterfind(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"):
            keys.append({"type": "X509Certificate", "signing": use in (None, "signing"),
                         "encryption": use in (None, "encryption"),
                         "X509Certificate": "".join((cert.text or "").split())})
    signing = [k for k in keys if k["signing"]]
    assert signing, "the bridge's IdP metadata has no signing certificate"
    entity_id = root.get("entityID")
    return entity_id, {
        "entityid": entity_id,
        "SingleSignOnService": endpoints("SingleSignOnService"),
        "SingleLogoutService": endpoints("SingleLogoutService"),
        "NameIDFormat": [(e.text or "").strip() for e in idp.findall(f"{{{MD}}}NameIDFormat")][:1] or None,
        "certData": signing[0]["X509Certificate"],
        "keys": keys,
        "sign.authnrequest": idp.get("WantAuthnRequestsSigned") == "true",
        "sign.logout": True,
        "validate.logout": True,  # the bridge's LogoutRequest/Response must carry a valid signature
        "signature.algorithm": RSA_SHA256,
    }


ROUTER = r"""<?php
// PHP's built-in server as the web server of SimpleSAMLphp 1.19: the test's own pages under
// /app/, and every SimpleSAMLphp script (module.php/..., saml2/idp/..., admin/...) with the
// path after the script name in PATH_INFO, as Apache's AcceptPathInfo would set it.
$docroot = getenv('SSP_WWW');
$overlay = getenv('SSP_OVERLAY');
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (strpos($path, '..') !== false) {
    http_response_code(400);
    return true;
}
if (preg_match('#^/app/([a-z_]+\.php)$#', $path, $m)) {
    $script = $overlay . '/' . $m[1];
    $scriptName = '/app/' . $m[1];
    $pathInfo = null;
} elseif (preg_match('#^(/(?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_.-]+\.php)(/.*)?$#', $path, $m)
          && is_file($docroot . $m[1])) {
    $script = $docroot . $m[1];
    $scriptName = $m[1];
    $pathInfo = isset($m[2]) && $m[2] !== '' ? $m[2] : null;
} else {
    return false;  // static assets: served by the built-in server from the docroot
}
$_SERVER['SCRIPT_FILENAME'] = $script;
$_SERVER['SCRIPT_NAME'] = $scriptName;
$_SERVER['PHP_SELF'] = $scriptName . ($pathInfo ?? '');
if ($pathInfo !== null) {
    $_SERVER['PATH_INFO'] = $pathInfo;
} else {
    unset($_SERVER['PATH_INFO']);
}
chdir(dirname($script));
require $script;
return true;
"""

PROTECTED = r"""<?php
// A target application: this page needs a signed-in user (the integration guide's pattern).
require_once '/usr/share/simplesamlphp/lib/_autoload.php';
$as = new \SimpleSAML\Auth\Simple('default-sp');
$as->requireAuth();
$nameId = $as->getAuthData('saml:sp:NameID');
header('Content-Type: application/json');
echo json_encode([
    'authenticated' => $as->isAuthenticated(),
    'idp' => $as->getAuthData('saml:sp:IdP'),
    'nameid' => $nameId ? ['value' => $nameId->getValue(), 'format' => $nameId->getFormat()] : null,
    'session_index' => $as->getAuthData('saml:sp:SessionIndex'),
    'authn_context' => $as->getAuthData('saml:sp:AuthnContext'),
    'attributes' => $as->getAttributes(),
]);
"""

LOGOUT = r"""<?php
// Single logout started by the application.
require_once '/usr/share/simplesamlphp/lib/_autoload.php';
$as = new \SimpleSAML\Auth\Simple('default-sp');
$as->logout(\SimpleSAML\Utils\HTTP::getBaseURL() . 'app/status.php');
"""

STATUS = r"""<?php
require_once '/usr/share/simplesamlphp/lib/_autoload.php';
$as = new \SimpleSAML\Auth\Simple('default-sp');
header('Content-Type: application/json');
echo json_encode(['authenticated' => $as->isAuthenticated()]);
"""


@dataclass
class SimpleSamlPhp:
    base: str
    home: Path
    entity_id: str
    keypair: KeyPair

    @property
    def metadata_url(self) -> str:
        return self.base + "/module.php/saml/sp/metadata.php/default-sp"

    @property
    def log(self) -> str:
        """SimpleSAMLphp's own log, then PHP's (errors, deprecations, requests)."""
        parts = []
        for path in (self.home / "log" / "simplesamlphp.log", self.home / "php-server.log"):
            if path.exists():
                parts.append(f"--- {path.name} ---\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)


def write_config(home: Path, base: str, bridge_metadata: bytes, keypair: KeyPair) -> str:
    """A complete SimpleSAMLphp configuration in `home`; returns the SP's entityID."""
    for sub in ("config", "metadata", "cert", "log", "tmp", "sessions", "data", "app"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "cert" / "sp.key").write_bytes(keypair.key_pem)
    (home / "cert" / "sp.crt").write_bytes(keypair.cert_pem)
    entity_id = base + "/module.php/saml/sp/metadata.php/default-sp"
    config = {
        "baseurlpath": base + "/",
        "certdir": str(home / "cert") + "/",
        "loggingdir": str(home / "log") + "/",
        "datadir": str(home / "data") + "/",
        "tempdir": str(home / "tmp"),
        "metadatadir": str(home / "metadata") + "/",
        "metadata.sources": [{"type": "flatfile", "directory": str(home / "metadata")}],
        "secretsalt": secrets.token_hex(24),
        "auth.adminpassword": secrets.token_hex(12),
        "admin.protectindexpage": False,
        "admin.protectmetadata": False,
        "technicalcontact_name": "lb-idbeheer tests",
        "technicalcontact_email": "tests@example.test",
        "timezone": "Europe/Brussels",
        "logging.handler": "file",
        "logging.level": PhpCode("SimpleSAML\\Logger::DEBUG"),
        "logging.logfile": "simplesamlphp.log",
        "enable.saml20-idp": False,
        "enable.shib13-idp": False,
        "store.type": "phpsession",
        "session.phpsession.cookiename": "SimpleSAMLSessionID",
        "session.phpsession.savepath": str(home / "sessions"),
        "session.cookie.secure": False,
        "session.authtoken.cookiename": "SimpleSAMLAuthToken",
        "trusted.url.domains": [urlsplit(base).netloc],
        "module.enable": {"core": True, "saml": True, "admin": True, "exampleauth": False},
        "language.default": "en",
        "debug": {"saml": True, "backtraces": True, "validatexml": False},
        "showerrors": True,
        "errorreporting": False,
    }
    (home / "config" / "config.php").write_text("<?php\n$config = " + php_literal(config) + ";\n")
    bridge_id, remote = idp_remote(bridge_metadata)
    authsources = {
        "admin": ["core:AdminPassword"],
        "default-sp": {
            0: "saml:SP",  # the authsource's class: element 0 of its array
            "entityID": entity_id,
            "idp": bridge_id,
            "discoURL": None,
            "privatekey": "sp.key",
            "certificate": "sp.crt",
            "sign.authnrequest": True,
            "sign.logout": True,
            "redirect.sign": True,
            "signature.algorithm": RSA_SHA256,
            "name": {"en": "SimpleSAMLphp interop test"},
        },
    }
    (home / "config" / "authsources.php").write_text("<?php\n$config = " + php_literal(authsources) + ";\n")
    (home / "metadata" / "saml20-idp-remote.php").write_text(
        f"<?php\n$metadata[{php_literal(bridge_id)}] = {php_literal(remote)};\n")
    (home / "router.php").write_text(ROUTER)
    for name, source in (("protected.php", PROTECTED), ("logout.php", LOGOUT), ("status.php", STATUS)):
        (home / "app" / name).write_text(source)
    return entity_id


# -- the bridge and SimpleSAMLphp -------------------------------------------------------------

@pytest.fixture(scope="module")
def simplesamlphp(server, tmp_path_factory) -> Iterator[SimpleSamlPhp]:
    """SimpleSAMLphp under `php -S`, configured as an SP of the bridge; stopped by pid."""
    php = require_simplesamlphp()
    tmp = tmp_path_factory.mktemp("ssp")
    home = tmp / "simplesamlphp"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    keypair = ensure_dev_keypair(tmp / "ssp-keys", "ssp", "SimpleSAMLphp interop SP")
    entity_id = write_config(home, base, server.metadata("idp"), keypair)
    env = {"PATH": "/usr/bin:/bin", "SIMPLESAMLPHP_CONFIG_DIR": str(home / "config"),
           "SSP_WWW": str(SSP_ROOT / "www"), "SSP_OVERLAY": str(home / "app")}
    log = home / "php-server.log"
    process = subprocess.Popen(
        [php, "-d", "display_errors=0", "-d", "log_errors=1", "-d", "error_reporting=E_ALL & ~E_DEPRECATED",
         "-S", f"127.0.0.1:{port}", "-t", str(SSP_ROOT / "www"), str(home / "router.php")],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=home)
    try:
        wait_for(base + "/app/status.php", process, log, seconds=15)
        yield SimpleSamlPhp(base, home, entity_id, keypair)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def registered(server, simplesamlphp) -> SimpleSamlPhp:
    """SimpleSAMLphp registered as application `ssp` (capacity employee) from its own
    metadata, while the bridge serves, with right `ssp-user` granted to An in Merelbeke-Melle."""
    metadata = server.register_saml("ssp", "SimpleSAMLphp interop", simplesamlphp.metadata_url,
                                    right="ssp-user", holders=((AN, MERELBEKE),))
    assert lxml.etree.fromstring(metadata).get("entityID") == simplesamlphp.entity_id
    return simplesamlphp


def explain(response: requests.Response, ssp: SimpleSamlPhp) -> str:
    return (f"{response.status_code} at {response.url}\n{response.text[:3000]}\n"
            f"{ssp.log}")


def sign_in(ssp: SimpleSamlPhp, server: IdbeheerServer, rrn: str, capacity: str):
    """Protected page -> bridge -> dev_eid -> bridge -> capacity -> SimpleSAMLphp's ACS -> page.
    Returns the browser, SimpleSAMLphp's request to the bridge, and the page it ended on."""
    http = requests.Session()
    sso = redirected_to(http, ssp.base + "/app/protected.php", server.base + "/idp/sso")
    page = walk(HttpBrowser(http), sso, rrn, capacity)
    return http, sso, page


def test_simplesamlphp_signs_a_user_in_through_the_bridge(server, registered):
    ssp = registered
    _, sso, page = sign_in(ssp, server, AN, MERELBEKE)
    request_query = parse_qs(urlsplit(sso).query)
    assert "Signature" in request_query and "SigAlg" in request_query  # SimpleSAMLphp signed it
    assert page.url == ssp.base + "/app/protected.php", (page.url, page.text[:3000], ssp.log)
    shown = json.loads(page.text)
    assert shown["authenticated"] is True
    assert shown["idp"] == server.base + "/idp/metadata"
    attributes = shown["attributes"]
    assert attributes[P + "rrn"] == [AN]
    assert attributes[P + "surname"] == ["Peeters"] and attributes[P + "givenName"] == ["An"]
    assert attributes[P + "authnMethod"] == ["eid"]
    assert attributes[P + "capacity"] == ["employee"]
    assert attributes[P + "government"] == [MERELBEKE]
    assert attributes[P + "right"] == [f"ssp-user@{MERELBEKE}"]
    # SimpleSAMLphp asks for a transient NameID by default (NameIDPolicy); the bridge honours it
    # with a fresh value the attribute authority can still resolve for this application.
    assert shown["nameid"]["format"] == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    assert AN not in shown["nameid"]["value"]
    engine = make_engine(server.database_url)
    try:
        with session_factory(engine)() as session:
            last = session.scalars(select(SignInEvent).order_by(SignInEvent.id.desc())).first()
    finally:
        engine.dispose()
    assert (last.outcome, last.reason, last.application, last.rrn, last.capacity) == \
        ("success", "assertion_issued", "ssp", AN, MERELBEKE)
    # The application asks the attribute authority by that NameID (signed with SimpleSAMLphp's
    # key, from the same metadata file) and gets An's rights of this application.
    q = signed(query(ssp.entity_id, shown["nameid"]["value"], name_format=shown["nameid"]["format"]),
               ssp.keypair)
    answer = requests.post(server.base + "/aa/soap", data=envelope(q), timeout=TIMEOUT,
                           headers={"Content-Type": "text/xml; charset=utf-8"})
    assert answer.status_code == 200 and read(answer.content).rights == [f"ssp-user@{MERELBEKE}"], \
        answer.text[:2000]


def test_single_logout_started_by_simplesamlphp(server, registered):
    ssp = registered
    http, _, _ = sign_in(ssp, server, AN, MERELBEKE)
    done = http.get(ssp.base + "/app/logout.php", timeout=TIMEOUT)
    assert done.status_code == 200 and done.url == ssp.base + "/app/status.php", explain(done, ssp)
    assert json.loads(done.text) == {"authenticated": False}
    # SimpleSAMLphp's signed LogoutRequest -> the bridge -> dev_eid (upstream) -> the bridge ->
    # the bridge's signed LogoutResponse, which SimpleSAMLphp accepts -> its ReturnTo.
    assert hops(done) == ["/app/logout.php", "/idp/slo", "/dev-eid/slo", "/sp/slo",
                          "/module.php/saml/sp/saml2-logout.php/default-sp", "/app/status.php"], hops(done)
    # The bridge's session is gone too: the application's next request needs a new sign-in.
    again = http.get(ssp.base + "/app/protected.php", timeout=TIMEOUT)
    assert again.url.startswith(server.base + "/dev-eid/"), explain(again, ssp)


def test_single_logout_started_at_the_bridge_reaches_simplesamlphp(server, registered):
    """The bridge's "Afmelden": its signed LogoutRequest names the transient NameID as issued;
    SimpleSAMLphp verifies it, ends its session and answers with a signed LogoutResponse."""
    ssp = registered
    http, _, _ = sign_in(ssp, server, AN, MERELBEKE)
    done = sign_out_at_bridge(http, server)
    assert hops(done) == ["/idp/slo", "/module.php/saml/sp/saml2-logout.php/default-sp", "/idp/slo",
                          "/dev-eid/slo", "/sp/slo"], hops(done)
    assert done.status_code == 200 and "afgemeld bij alle toepassingen" in done.text, explain(done, ssp)
    status = http.get(ssp.base + "/app/status.php", timeout=TIMEOUT)
    assert json.loads(status.text) == {"authenticated": False}
