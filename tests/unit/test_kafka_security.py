"""The Kafka security settings → the options every Kafka client of the code gets (no broker:
the local one speaks PLAINTEXT only, so a SASL handshake is not exercised here; the clients
are built, never started)."""

import ssl

import certifi
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from longweave.kafka_security import kafka_client_options, kafka_security
from longweave.mesh import build_broker, build_contexts
from longweave.settings import SERVICE_NAMES, Settings
from longweave.store import Store

SCRAM = {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_mechanism": "SCRAM-SHA-512",
         "kafka_sasl_username": "longweave-mesh", "kafka_sasl_password": "s3cret-Pa55"}
SECURITY_KEYS = {"security_protocol", "ssl_context", "sasl_mechanism", "sasl_plain_username",
                 "sasl_plain_password"}


def broker_of(settings: Settings):
    store = Store("mongodb://unused:27017", "unused")
    try:
        return build_broker(settings, build_contexts(settings, list(SERVICE_NAMES), store))
    finally:
        store.close()


def test_plaintext_by_default_adds_nothing():
    settings = Settings()
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert kafka_security(settings) is None
    assert kafka_client_options(settings) == {}
    # The services' broker connects exactly as before the settings existed.
    connection = broker_of(settings)._connection_kwargs
    assert SECURITY_KEYS.isdisjoint(connection)


def test_the_environment_names_of_the_settings(monkeypatch):
    monkeypatch.setenv("LONGWEAVE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("LONGWEAVE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("LONGWEAVE_KAFKA_SASL_USERNAME", "longweave-mesh")
    monkeypatch.setenv("LONGWEAVE_KAFKA_SASL_PASSWORD", "s3cret-Pa55")
    monkeypatch.setenv("LONGWEAVE_KAFKA_SSL_CAFILE", certifi.where())
    settings = Settings()
    assert settings.kafka_sasl_password.get_secret_value() == "s3cret-Pa55"
    assert "s3cret-Pa55" not in repr(settings) and "s3cret-Pa55" not in str(settings)
    monkeypatch.setenv("LONGWEAVE_KAFKA_SECURITY_PROTOCOL", "SASL_TLS")
    with pytest.raises(ValueError, match="kafka_security_protocol"):
        Settings()


def test_scram_over_a_plain_listener():
    options = kafka_client_options(Settings(**SCRAM))
    assert options == {"security_protocol": "SASL_PLAINTEXT", "ssl_context": None,
                       "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "longweave-mesh",
                       "sasl_plain_password": "s3cret-Pa55"}


def test_sasl_over_tls_trusts_the_given_ca_file():
    settings = Settings(**{**SCRAM, "kafka_security_protocol": "SASL_SSL",
                           "kafka_sasl_mechanism": "SCRAM-SHA-256",
                           "kafka_ssl_cafile": certifi.where()})
    options = kafka_client_options(settings)
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL",
                                                                         "SCRAM-SHA-256")
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    in_file = open(certifi.where()).read().count("BEGIN CERTIFICATE")  # noqa: SIM115
    assert context.cert_store_stats()["x509_ca"] == in_file  # those CAs, and only those


def test_tls_without_sasl():
    options = kafka_client_options(Settings(kafka_security_protocol="SSL",
                                            kafka_ssl_cafile=certifi.where()))
    assert options["security_protocol"] == "SSL"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in options


@pytest.mark.parametrize("missing", ["kafka_sasl_username", "kafka_sasl_password"])
def test_sasl_without_its_credentials_fails_at_start_and_says_which(missing):
    settings = Settings(**{**SCRAM, missing: None})
    with pytest.raises(ValueError) as error:
        kafka_client_options(settings)
    assert "LONGWEAVE_KAFKA_SASL_USERNAME and LONGWEAVE_KAFKA_SASL_PASSWORD" in str(error.value)
    assert "s3cret-Pa55" not in str(error.value)


def test_an_unreadable_ca_file_fails_at_start(tmp_path):
    with pytest.raises(FileNotFoundError):
        kafka_client_options(Settings(kafka_security_protocol="SSL",
                                      kafka_ssl_cafile=tmp_path / "missing.pem"))


async def test_every_kafka_client_takes_the_same_options():
    settings = Settings(**{**SCRAM, "kafka_security_protocol": "SASL_SSL",
                           "kafka_ssl_cafile": certifi.where()})
    options = kafka_client_options(settings)
    broker = broker_of(settings)
    consumer_builder = broker.config.broker_config.builder
    for built in (broker._connection_kwargs, consumer_builder.keywords):
        assert {k: built[k] for k in SECURITY_KEYS - {"ssl_context"}} == \
            {k: options[k] for k in SECURITY_KEYS - {"ssl_context"}}
        assert isinstance(built["ssl_context"], ssl.SSLContext)
    # aiokafka's own clients accept them (it checks protocol, mechanism and credentials
    # when a client is built).
    for client in (AIOKafkaProducer, AIOKafkaConsumer, AIOKafkaAdminClient):
        client(bootstrap_servers="127.0.0.1:1", **options)
    with pytest.raises(ValueError):  # it would refuse a TLS protocol without a context
        AIOKafkaProducer(bootstrap_servers="127.0.0.1:1", **{**options, "ssl_context": None})
