"""contracts/ is generated from the models: fail when someone changed one without the other."""

from pathlib import Path

from longweave.contract_files import expected_files, stale_files

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def test_checked_in_contracts_match_the_models():
    assert stale_files(CONTRACTS) == [], "run `longweave contracts` and commit contracts/"


def test_asyncapi_documents_every_topic():
    import json

    doc = json.loads(expected_files()["asyncapi.json"])
    addresses = {channel["address"] for channel in doc["channels"].values()}
    from longweave.topics import Topics

    assert set(Topics.with_prefix("longweave").all()) <= addresses
