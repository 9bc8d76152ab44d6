"""Key rollover: a staged `<name>-next` key is published in every metadata beside the current
one, while the current key keeps signing (deploy/README.md, step 2)."""
from lxml import etree

from idbeheer.app import create_app
from idbeheer.settings import from_env
from samlkit.keys import cert_der_b64, ensure_dev_keypair

DS = "{http://www.w3.org/2000/09/xmldsig#}X509Certificate"


def test_staged_keys_are_published_next_to_the_current_ones(fresh_url, tmp_path):
    certs = tmp_path / "certs"
    staged = {name: ensure_dev_keypair(certs, f"{name}-next", f"next {name}")
              for name in ("idp", "sp", "sp-encryption", "aa")}
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url,
                         "IDBEHEER_CERTS_DIR": str(certs),
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    client = create_app(settings).test_client()
    for name, path in (("idp", "/idp/metadata"), ("sp", "/sp/metadata"),
                       ("sp-encryption", "/sp/metadata"), ("aa", "/aa/metadata")):
        root = etree.fromstring(client.get(path).data)
        published = [c.text.strip() for c in root.iter(DS)]
        current = cert_der_b64(ensure_dev_keypair(certs, name, name).certificate)
        assert current in published and cert_der_b64(staged[name].certificate) in published, path
