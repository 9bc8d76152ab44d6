"""Settings read from the environment."""
import pytest

from idbeheer.settings import from_env


@pytest.mark.parametrize(("value", "expected"), [
    (None, True), ("", True), ("true", True), ("1", True), ("False", False), ("0", False),
    ("no", False),
])
def test_aa_sign_response(tmp_path, value, expected):
    env = {"IDBEHEER_HOME": str(tmp_path)}
    if value is not None:
        env["IDBEHEER_AA_SIGN_RESPONSE"] = value
    assert from_env(env).aa_sign_response is expected


def test_aa_sign_response_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(SystemExit, match="IDBEHEER_AA_SIGN_RESPONSE"):
        from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_AA_SIGN_RESPONSE": "maybe"})
