"""deploy/local.env spells out the defaults: it must stay true to the settings."""

from pathlib import Path

from longweave.settings import Settings

LOCAL_ENV = Path(__file__).resolve().parents[2] / "deploy" / "local.env"


def test_local_env_matches_the_built_in_defaults(monkeypatch):
    pairs = [line.split("=", 1) for line in LOCAL_ENV.read_text().splitlines()
             if line and not line.startswith("#")]
    for name, _ in pairs:
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    for name, value in pairs:
        monkeypatch.setenv(name, value)
    assert Settings().model_dump() == defaults.model_dump()
