"""Shibboleth SP 3 (Debian's shibboleth-sp-utils and libapache2-mod-shib) as a target
application of the bridge: an Apache of support.apache with mod_shib, and shibd beside it, both
from one temporary folder and as the same user (mod_shib talks to shibd over a Unix socket
there).

The configuration is Debian's own /etc/shibboleth/shibboleth2.xml (read, never written),
changed only where a test on plain http://127.0.0.1 needs it (`CHANGES`). Signing and
algorithms stay at Shibboleth's defaults: it signs its AuthnRequests (the bridge's metadata says
WantAuthnRequestsSigned) and its AttributeQueries, with RSA-SHA256, and encrypts the query's
NameID with what /aa/metadata names. Rights come from the attribute authority through Shibboleth's own
`SimpleAggregation` attribute resolver: an AttributeQuery to /aa/soap naming the NameID of the
sign-in, signed with the SP's key."""
from __future__ import annotations

import subprocess
from pathlib import Path

from lxml import etree

from samlkit.keys import ensure_dev_keypair
from support.apache import ENV_CGI, Apache, module, require
from support.processes import stop, tail, wait_for_path

SHIBD = Path("/usr/sbin/shibd")
ETC = Path("/etc/shibboleth")
PACKAGES = "apache2 shibboleth-sp-utils libapache2-mod-shib"
SHIB_MODULE = ("mod_shib", module("shib")[1])
CONF = "urn:mace:shibboleth:3.0:native:sp:config"
MAP = "urn:mace:shibboleth:2.0:attribute-map"
P = "urn:lb-idbeheer:attribute:"
# Our attributes as Shibboleth names them (attribute-map.xml ids, and so Apache variables).
ATTRIBUTES = {"rrn": "rrn", "surname": "sn", "givenName": "givenName", "authnMethod": "authnMethod",
              "capacity": "capacity", "government": "government", "right": "right"}

# What differs from Debian's shibboleth2.xml, and why: the closing note of issue #11 quotes it.
CHANGES = {
    "entityID, SSO entityID": "this SP's and the bridge's",
    "Sessions handlerSSL=false cookieProps=http": "plain http on 127.0.0.1 (TLS is assumed otherwise)",
    "ApplicationDefaults requireConfidentiality=false": "the AttributeQuery goes to http://127.0.0.1",
    "MetadataProvider x2": "the bridge's /idp/metadata and /aa/metadata, by URL",
    "AttributeResolver Chaining(Query, SimpleAggregation)": "rights from /aa/soap by the NameID",
    "attribute-map.xml": "Debian's, plus the urn:lb-idbeheer:attribute:* names",
    "absolute paths, UnixListener, loggers": "everything in the test's folder, nothing in /etc or /var",
    "no DiscoveryFeed handler": "it caches in /var/cache/shibboleth; one IdP, no discovery",
}


def _el(tag: str, **attrs: str) -> etree._Element:
    return etree.Element(f"{{{CONF}}}{tag}", attrs)


class ShibbolethSp:
    """Apache + mod_shib + shibd; /secure/env (a CGI printing the environment) needs a session."""

    def __init__(self, bridge_base: str) -> None:
        for path in (SHIBD, SHIB_MODULE[1], ETC / "shibboleth2.xml", ETC / "attribute-map.xml"):
            require(path, PACKAGES)
        self.apache = Apache("shibboleth")
        self.base = self.apache.base
        self.bridge_base = bridge_base
        self.entity_id = self.base + "/shibboleth"
        self.metadata_url = self.base + "/Shibboleth.sso/Metadata"
        self.state = self.apache.writable("shibd")  # socket, pid, metadata backing files, logs
        self.shibd: subprocess.Popen | None = None
        root = self.apache.root
        for use in ("signing", "encrypt"):
            ensure_dev_keypair(root, f"sp-{use}", f"Shibboleth SP interop {use}")
            for suffix in ("key", "crt"):
                (root / f"sp-{use}.{suffix}").chmod(0o644)  # a throwaway test key, read by shibd

    # -- configuration ----------------------------------------------------------------------

    def shibboleth2_xml(self) -> bytes:
        root, state = self.apache.root, self.state
        doc = etree.parse(str(ETC / "shibboleth2.xml"))
        config = doc.getroot()
        ns = {"c": CONF}
        out_of_process = config.find("c:OutOfProcess", ns)  # Debian's: tranLogFormat only
        if out_of_process is None:
            out_of_process = _el("OutOfProcess")
            config.insert(0, out_of_process)
        out_of_process.set("logger", str(self._logger("shibd")))
        out_of_process.addnext(_el("InProcess", logger=str(self._logger("native"))))
        out_of_process.getnext().addnext(_el("UnixListener", address=str(state / "shibd.sock")))
        app = config.find("c:ApplicationDefaults", ns)
        app.set("entityID", self.entity_id)
        app.set("requireConfidentiality", "false")
        sessions = app.find("c:Sessions", ns)
        sessions.set("handlerSSL", "false")
        sessions.set("cookieProps", "http")
        sso = sessions.find("c:SSO", ns)
        for name in ("discoveryProtocol", "discoveryURL"):
            sso.attrib.pop(name, None)
        sso.set("entityID", self.bridge_base + "/idp/metadata")
        for handler in sessions.findall("c:Handler[@type='DiscoveryFeed']", ns):
            sessions.remove(handler)  # it caches in /var/cache/shibboleth; no discovery here
        errors = app.find("c:Errors", ns)
        errors_at = list(app).index(errors)
        for offset, which in enumerate(("idp", "aa"), start=1):
            app.insert(errors_at + offset, _el(
                "MetadataProvider", type="XML", validate="true", url=f"{self.bridge_base}/{which}/metadata",
                backingFilePath=str(state / f"bridge-{which}.xml"), maxRefreshDelay="3600"))
        extractor = app.find("c:AttributeExtractor", ns)
        extractor.set("path", str(self._attribute_map()))
        resolver = etree.fromstring(f"""
            <AttributeResolver xmlns="{CONF}" type="Chaining">
              <AttributeResolver type="Query" subjectMatch="true"/>
              <AttributeResolver type="SimpleAggregation">
                <Entity>{self.bridge_base}/aa/metadata</Entity>
              </AttributeResolver>
            </AttributeResolver>""")
        extractor.addnext(resolver)
        app.find("c:AttributeFilter", ns).set("path", str(ETC / "attribute-policy.xml"))
        for credentials in app.findall("c:CredentialResolver", ns):
            use = "signing" if credentials.get("use") == "signing" else "encrypt"
            credentials.set("key", str(root / f"sp-{use}.key"))
            credentials.set("certificate", str(root / f"sp-{use}.crt"))
        for name in ("SecurityPolicyProvider", "ProtocolProvider"):
            element = config.find(f"c:{name}", ns)
            element.set("path", str(ETC / element.get("path")))
        return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")

    def _attribute_map(self) -> Path:
        doc = etree.parse(str(ETC / "attribute-map.xml"))
        for name, ident in ATTRIBUTES.items():
            doc.getroot().append(etree.Element(f"{{{MAP}}}Attribute", name=P + name, id=ident))
        return self.apache.write("attribute-map.xml", etree.tostring(doc, encoding="UTF-8"))

    def _logger(self, name: str) -> Path:
        log = self.state / f"{name}.log"
        return self.apache.write(f"{name}.logger", "\n".join([
            f"log4j.rootCategory={'DEBUG' if name == 'shibd' else 'INFO'}, out",
            "log4j.category.XMLTooling.XMLObject=INFO", "log4j.category.XMLTooling.XMLObjectBuilder=INFO",
            "log4j.category.XMLTooling.KeyInfoResolver=INFO", "log4j.category.Shibboleth.PropertySet=INFO",
            "log4j.category.Shibboleth.IPRange=INFO",
            "log4j.appender.out=org.apache.log4j.FileAppender", f"log4j.appender.out.fileName={log}",
            "log4j.appender.out.layout=org.apache.log4j.PatternLayout",
            "log4j.appender.out.layout.ConversionPattern=%d{%H:%M:%S} %p %c %x: %m%n", ""]))

    def apache_config(self) -> list[str]:
        cgi = self.apache.cgi("env.cgi", ENV_CGI)
        return [
            f"ShibConfig {self.apache.root / 'shibboleth2.xml'}",
            "ShibCompatValidUser Off",  # Debian's shib.conf
            "<Location /Shibboleth.sso>", "  AuthType None", "  Require all granted", "</Location>",
            f"ScriptAlias /secure/env {cgi}",
            "<Location /secure>", "  AuthType shibboleth", "  ShibRequestSetting requireSession 1",
            "  Require shib-session", "</Location>",
        ]

    # -- processes ---------------------------------------------------------------------------

    def start(self) -> ShibbolethSp:
        conf = self.apache.write("shibboleth2.xml", self.shibboleth2_xml())
        socket = self.state / "shibd.sock"
        self.shibd = subprocess.Popen(
            [str(SHIBD), "-F", "-f", "-c", str(conf), "-p", str(self.state / "shibd.pid")],
            stdout=(self.state / "shibd.out").open("ab"), stderr=subprocess.STDOUT,
            env={"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C"}, cwd=self.state,
            start_new_session=True, **self.apache.as_server_user())
        try:
            wait_for_path(socket, self.shibd, self.state / "shibd.out")
            self.apache.start(self.apache_config(), [SHIB_MODULE])
        except RuntimeError as failed:
            self.stop()
            raise RuntimeError(f"{failed}\n{self.errors()}") from None
        return self

    def stop(self) -> None:
        self.apache.stop()
        stop(self.shibd)

    def remove(self) -> None:
        self.apache.remove()

    def log(self) -> str:
        """shibd's log (DEBUG: the messages it sends and receives)."""
        return (self.state / "shibd.log").read_text(errors="replace")

    def errors(self) -> str:
        return "\n".join([f"--- apache ---\n{self.apache.errors()}",
                          f"--- shibd.out ---\n{tail(self.state / 'shibd.out')}",
                          f"--- shibd.log ---\n{tail(self.state / 'shibd.log', 6000)}",
                          f"--- native.log ---\n{tail(self.state / 'native.log')}"])
