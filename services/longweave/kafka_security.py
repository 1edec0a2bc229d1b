"""How the mesh's Kafka clients authenticate and encrypt, decided in one place.

The settings (`LONGWEAVE_KAFKA_SECURITY_PROTOCOL`, `_SASL_MECHANISM`, `_SASL_USERNAME`,
`_SASL_PASSWORD`, `_SSL_CAFILE`) become FastStream's security object (`kafka_security`),
which the services' broker takes (mesh.build_broker: its producer, consumers and admin
client), and the aiokafka keyword arguments FastStream derives from that object
(`kafka_client_options`), which every aiokafka client the code creates itself takes:
topic creation (kafka_admin) and `longweave publish` (client). So all of them connect
alike. PLAINTEXT, the default, adds nothing: the clients connect exactly as they did
before these settings existed.

The password is a `SecretStr` in the settings; it leaves it only here, into the client
(FastStream and aiokafka need it in clear), and is never logged.
"""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)

from longweave.settings import Settings

_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def kafka_security(settings: Settings) -> BaseSecurity | None:
    """FastStream's security object for the settings; None for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    tls = protocol in ("SSL", "SASL_SSL")
    # aiokafka needs a context for TLS; without a CA file it trusts the system's CAs.
    ssl_context = create_ssl_context(cafile=settings.kafka_ssl_cafile) if tls else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context, use_ssl=True)
    username, password = settings.kafka_sasl_username, settings.kafka_sasl_password
    if not username or password is None or not password.get_secret_value():
        raise ValueError(f"LONGWEAVE_KAFKA_SECURITY_PROTOCOL={protocol} needs "
                         "LONGWEAVE_KAFKA_SASL_USERNAME and LONGWEAVE_KAFKA_SASL_PASSWORD")
    security: BaseSecurity = _SASL[settings.kafka_sasl_mechanism](
        username, password.get_secret_value(), ssl_context=ssl_context, use_ssl=tls)
    return security


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """The security keyword arguments of an aiokafka producer, consumer or admin client:
    the ones the services' FastStream broker passes to its own clients. Empty for
    PLAINTEXT."""
    return parse_security(kafka_security(settings))
