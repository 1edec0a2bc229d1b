"""k8s/ rendered offline (kubectl kustomize) for every overlay and checked with no cluster:
the Kubernetes API schemas of a pinned version (kubernetes-validate, strict), the pods'
hardening, and no drift between the manifests and what the code derives from its settings
(topics, consumer groups, ports, settings names)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from longweave.mesh import build_broker, build_contexts
from longweave.settings import SERVICE_NAMES, Settings
from longweave.store import Store
from longweave.topics import Topics
from support.tools import checkov, kubectl

K8S = Path(__file__).resolve().parents[2] / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.33.0"  # the oldest minor the manifests promise to work on
# Custom resources: the vendored CRD schemas of the operators' pinned versions check them.
CRD_SCHEMAS = {
    ("kafka.strimzi.io/v1", "Kafka"): "strimzi-1.2.0/kafka-kafka.strimzi.io-v1.json",
    ("kafka.strimzi.io/v1", "KafkaNodePool"):
        "strimzi-1.2.0/kafkanodepool-kafka.strimzi.io-v1.json",
    ("kafka.strimzi.io/v1", "KafkaTopic"): "strimzi-1.2.0/kafkatopic-kafka.strimzi.io-v1.json",
    ("kafka.strimzi.io/v1", "KafkaUser"): "strimzi-1.2.0/kafkauser-kafka.strimzi.io-v1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "keda-2.20.2/scaledobject-keda.sh-v1alpha1.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"):
        "keda-2.20.2/triggerauthentication-keda.sh-v1alpha1.json",
    ("monitoring.coreos.com/v1", "PodMonitor"):
        "prometheus-operator-0.93.0/podmonitor-monitoring.coreos.com-v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"):
        "prometheus-operator-0.93.0/prometheusrule-monitoring.coreos.com-v1.json",
}
CUSTOM_KINDS = {kind for _, kind in CRD_SCHEMAS}


def strict(schema: Any) -> Any:
    """The schema, with unlisted fields rejected where it lists properties and does not
    preserve unknown ones (the API server would prune them without a word)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


@cache
def crd_validator(api_version: str, kind: str) -> jsonschema.Validator:
    path = K8S / "crd-schemas" / CRD_SCHEMAS[(api_version, kind)]
    schema = strict(json.loads(path.read_text()))
    return jsonschema.Draft7Validator(schema)


def render(directory: Path) -> tuple[dict[str, Any], ...]:
    result = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@cache
def rendered(path: str) -> tuple[dict[str, Any], ...]:
    return render(K8S / path)


def readme_example(directory: Path) -> tuple[dict[str, Any], ...]:
    """k8s/README.md's example overlay over overlays/prod (SASL_SSL, a private CA), written
    into `directory` and rendered."""
    blocks = re.findall(r"```yaml\n(.*?)```", (K8S / "README.md").read_text(), re.DOTALL)
    [kustomization] = [yaml.safe_load(b) for b in blocks if "kind: Kustomization" in b]
    assert kustomization["resources"] == ["../prod"]  # as if in k8s/overlays/<yours>
    kustomization["resources"] = [os.path.relpath(K8S / "overlays" / "prod", directory)]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    return render(directory)


def of_kind(docs: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def settings_of(docs: tuple[dict[str, Any], ...]) -> dict[str, str]:
    [config] = [c for c in of_kind(docs, "ConfigMap")
                if c["metadata"]["name"].startswith("longweave-settings")]
    return config["data"]


def parsed_settings(docs: tuple[dict[str, Any], ...]) -> Settings:
    return Settings(**{k.removeprefix("LONGWEAVE_").lower(): v
                       for k, v in settings_of(docs).items()})


def setting_name(field: str) -> str:
    """The environment variable of a Settings field."""
    assert field in Settings.model_fields, field
    return f"{Settings.model_config['env_prefix']}{field}".upper()


@cache
def consumers(prefix: str) -> dict[str, set[tuple[str, str]]]:
    """(topic, consumer group) of each service's subscribers, as the code derives them."""
    settings = Settings(topic_prefix=prefix)
    broker = build_broker(settings, build_contexts(settings, list(SERVICE_NAMES),
                                                   Store("mongodb://unused:27017", "unused")))
    found: dict[str, set[tuple[str, str]]] = {}
    for subscriber in broker.subscribers:
        service = subscriber.group_id.split(".")[-2]
        found.setdefault(service, set()).update(
            (topic.name, subscriber.group_id) for topic in subscriber.topics)
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_core_object_validates_against_the_pinned_api_schemas(overlay):
    for doc in rendered(f"overlays/{overlay}"):
        if doc["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_validates_against_its_operators_crd_schema(overlay):
    custom = [d for d in rendered(f"overlays/{overlay}") if d["kind"] in CUSTOM_KINDS]
    assert custom
    for doc in custom:
        key = (doc["apiVersion"], doc["kind"])
        assert key in CRD_SCHEMAS, f"{key}: not a version the pinned operators serve"
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in crd_validator(*key).iter_errors(doc)]
        assert not errors, f"{doc['kind']} {doc['metadata']['name']}: {errors}"


def test_the_crd_check_rejects_what_the_operator_would_not_take():
    topic = next(d for d in rendered("overlays/dev") if d["kind"] == "KafkaTopic")
    validator = crd_validator(topic["apiVersion"], "KafkaTopic")
    assert not list(validator.iter_errors(topic))
    assert list(validator.iter_errors({**topic, "spec": {**topic["spec"], "partitons": 3}}))
    assert list(validator.iter_errors({**topic, "spec": {**topic["spec"], "partitions": "6"}}))
    [user] = of_kind(rendered("overlays/dev"), "KafkaUser")
    validator = crd_validator(user["apiVersion"], "KafkaUser")
    assert not list(validator.iter_errors(user))
    acl = user["spec"]["authorization"]["acls"][0]
    for wrong in ({**acl, "operations": ["Consume"]},
                  {**acl, "resource": {**acl["resource"], "type": "topics"}},
                  {**acl, "resource": {**acl["resource"], "patternType": "wildcard"}}):
        spec = {**user["spec"], "authorization": {"type": "simple", "acls": [wrong]}}
        assert list(validator.iter_errors({**user, "spec": spec})), wrong
    [auth] = of_kind(rendered("overlays/prod"), "TriggerAuthentication")
    validator = crd_validator(auth["apiVersion"], "TriggerAuthentication")
    assert not list(validator.iter_errors(auth))
    for wrong in ({**auth["spec"], "secretTargetRefs": []},  # a misspelt field
                  {**auth["spec"], "secretTargetRef": [{"parameter": "ca", "name": "x"}]},
                  {**auth["spec"], "env": [{"parameter": "password", "secretKeyRef": "x"}]}):
        assert list(validator.iter_errors({**auth, "spec": wrong})), wrong


def test_the_example_request_job_is_valid_and_hardened():
    [job] = yaml.safe_load_all((K8S / "examples" / "first-request.yaml").read_text())
    assert job["kind"] == "Job" and job["metadata"]["namespace"] == "longweave-dev"
    kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    [container] = pod["containers"]
    assert container["command"][:2] == ["longweave", "publish"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_hardened(overlay):
    docs = rendered(f"overlays/{overlay}")
    drain = float(settings_of(docs).get("LONGWEAVE_DRAIN_TIMEOUT_S",
                                        Settings().drain_timeout_s))
    workloads = of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet")
    assert len(of_kind(docs, "Deployment")) == len(SERVICE_NAMES)
    for workload in workloads:
        name, pod = workload["metadata"]["name"], workload["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert {"requests", "limits"} <= container["resources"].keys(), name
            assert {"livenessProbe", "readinessProbe"} <= container.keys(), name
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert pod["terminationGracePeriodSeconds"] > drain  # the drain ends before SIGKILL
        assert pod["topologySpreadConstraints"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_runs_its_own_deployment_on_its_own_port(overlay):
    docs = rendered(f"overlays/{overlay}")
    ports = Settings().ports
    deployments = {d["metadata"]["name"]: d for d in of_kind(docs, "Deployment")}
    assert set(deployments) == {f"longweave-{s}" for s in SERVICE_NAMES}
    for service in SERVICE_NAMES:
        [container] = deployments[f"longweave-{service}"]["spec"]["template"]["spec"][
            "containers"]
        assert container["args"] == [service]
        assert [p["containerPort"] for p in container["ports"]] == [ports.of(service)]
    budgets = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
               for b in of_kind(docs, "PodDisruptionBudget")}
    assert budgets == set(SERVICE_NAMES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_settings_are_settings_the_code_reads_and_hold_no_secret(overlay):
    data = settings_of(rendered(f"overlays/{overlay}"))
    names = {f"LONGWEAVE_{field.upper()}" for field in Settings.model_fields}
    assert set(data) <= names, sorted(set(data) - names)
    Settings(**{k.removeprefix("LONGWEAVE_").lower(): v for k, v in data.items()})
    secret_settings = {"LONGWEAVE_MONGODB_URI", "LONGWEAVE_LLM_API_KEY",
                       "LONGWEAVE_JUDGE_API_KEY", "LONGWEAVE_KAFKA_SASL_PASSWORD"}
    assert secret_settings.isdisjoint(data)
    for deployment in of_kind(rendered(f"overlays/{overlay}"), "Deployment"):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        from_secrets = {e["name"] for e in container["env"] if "secretKeyRef" in
                        e.get("valueFrom", {})}
        assert from_secrets == secret_settings


def test_the_kafka_topics_are_the_topics_the_code_uses():
    docs = rendered("overlays/dev")
    prefix = settings_of(docs)["LONGWEAVE_TOPIC_PREFIX"]
    topics = {t["spec"]["topicName"] for t in of_kind(docs, "KafkaTopic")}
    assert topics == set(Topics.with_prefix(prefix).all())
    retention = {t["spec"]["topicName"]: int(t["spec"]["config"]["retention.ms"])
                 for t in of_kind(docs, "KafkaTopic")}
    dead_letter = Topics.with_prefix(prefix).dead_letter
    assert retention[dead_letter] > max(v for k, v in retention.items() if k != dead_letter)


def test_keda_scales_each_service_on_the_consumer_groups_the_code_derives():
    docs = rendered("overlays/prod")
    settings = settings_of(docs)
    partitions = int(settings["LONGWEAVE_TOPIC_PARTITIONS"])
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(docs, "ScaledObject")}
    assert set(scaled) == {f"longweave-{s}" for s in SERVICE_NAMES}
    for service, pairs in consumers(settings["LONGWEAVE_TOPIC_PREFIX"]).items():
        spec = scaled[f"longweave-{service}"]["spec"]
        triggers = {(t["metadata"]["topic"], t["metadata"]["consumerGroup"])
                    for t in spec["triggers"]}
        assert triggers == pairs, service
        assert all(t["metadata"]["bootstrapServersFromEnv"] == "LONGWEAVE_KAFKA_BOOTSTRAP"
                   for t in spec["triggers"])
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= partitions
    assert scaled["longweave-sampler"]["spec"]["maxReplicaCount"] <= 2


# KEDA's apache-kafka scaler names the SASL mechanisms its own way.
KEDA_SASL = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256",
             "SCRAM-SHA-512": "scram_sha512"}


def keda_kafka_mode(settings: Settings) -> dict[str, str]:
    """The scaler's `sasl` and `tls` for the protocol the services' clients use."""
    protocol = settings.kafka_security_protocol
    return {"sasl": KEDA_SASL[settings.kafka_sasl_mechanism] if protocol.startswith("SASL_")
            else "none",
            "tls": "enable" if protocol in ("SSL", "SASL_SSL") else "disable"}


def secrets_the_readme_creates(namespace: str) -> dict[str, set[str]]:
    """Name → keys of the Secrets k8s/README.md tells the user to create in a namespace."""
    text = (K8S / "README.md").read_text().replace("\\\n", " ")
    created: dict[str, set[str]] = {}
    for name, options in re.findall(
            rf"kubectl -n {re.escape(namespace)} create secret generic (\S+)(.*)", text):
        keys = re.findall(r"--from-(?:literal|file)=([^=\s]+)=", options)
        assert keys, f"{name}: no key named"
        created.setdefault(name, set()).update(keys)
    return created


def secrets_read(docs: tuple[dict[str, Any], ...]) -> dict[str, set[str]]:
    """Name → keys of the Secrets a rendered overlay reads: its containers' secretKeyRefs
    and Secret volumes (the keys their file settings name), its TriggerAuthentications'
    secretTargetRefs."""
    read: dict[str, set[str]] = {}
    settings = parsed_settings(docs)
    for workload in of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet"):
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for env in container.get("env", []):
                if ref := env.get("valueFrom", {}).get("secretKeyRef"):
                    read.setdefault(ref["name"], set()).add(ref["key"])
            mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
            for volume in pod.get("volumes", []):
                if "secret" in volume and volume["name"] in mounts:
                    cafile = Path(settings.kafka_ssl_cafile or "/")
                    assert cafile.parent == Path(mounts[volume["name"]]), volume
                    read.setdefault(volume["secret"]["secretName"], set()).add(cafile.name)
    for auth in of_kind(docs, "TriggerAuthentication"):
        for ref in auth["spec"].get("secretTargetRef", []):
            read.setdefault(ref["name"], set()).add(ref["key"])
    return read


def check_keda_logs_in_as_the_services_do(docs: tuple[dict[str, Any], ...]) -> None:
    settings = parsed_settings(docs)
    configmaps = {c["metadata"]["name"]: c["data"] for c in of_kind(docs, "ConfigMap")}
    deployments = {d["metadata"]["name"]: d for d in of_kind(docs, "Deployment")}
    auths = {a["metadata"]["name"]: a["spec"] for a in of_kind(docs, "TriggerAuthentication")}
    named: set[str] = set()
    for scaled in of_kind(docs, "ScaledObject"):
        target = scaled["spec"]["scaleTargetRef"]["name"]
        # KEDA reads the env of the target's first container: its only one.
        [_] = deployments[target]["spec"]["template"]["spec"]["containers"]
        for trigger in scaled["spec"]["triggers"]:
            # In the trigger's metadata, sasl and tls would override the TriggerAuthentication.
            assert not {"sasl", "tls"} & trigger["metadata"].keys(), target
            ref = trigger["authenticationRef"]
            assert ref.get("kind", "TriggerAuthentication") == "TriggerAuthentication", target
            assert ref["name"] in auths, f"{target}: no TriggerAuthentication {ref['name']}"
            named.add(ref["name"])
    assert named and named == set(auths)  # each trigger names one, and none is left over
    # What the login reads from each scaled container: its password's Secret, its username.
    for deployment in deployments.values():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        [password] = [e for e in container["env"]
                      if e["name"] == setting_name("kafka_sasl_password")]
        assert password["valueFrom"]["secretKeyRef"]["name"] == "longweave-mesh"
        env_from = {key for source in container["envFrom"]
                    for key in configmaps[source["configMapRef"]["name"]]}
        if settings.kafka_security_protocol.startswith("SASL_"):
            assert setting_name("kafka_sasl_username") in env_from
    for name, auth in auths.items():
        # The login: the scaled container's own settings (no containerName: its only one).
        assert {e["parameter"]: e["name"] for e in auth["env"]} == {
            "username": setting_name("kafka_sasl_username"),
            "password": setting_name("kafka_sasl_password")}, name
        assert not any("containerName" in e for e in auth["env"]), name
        # The protocol, in KEDA's words, from a ConfigMap of the overlay: the settings' one.
        mode = {r["parameter"]: configmaps[r["name"]][r["key"]]
                for r in auth["configMapTargetRef"]}
        assert mode == keda_kafka_mode(settings), name
        # Secrets only for what no setting holds: the CA's PEM text.
        assert {r["parameter"] for r in auth.get("secretTargetRef", [])} <= {"ca"}, name
        assert auth.keys() <= {"env", "configMapTargetRef", "secretTargetRef"}, name
    # Every Secret key the overlay reads is one k8s/README.md tells the user to create.
    [namespace] = {d["metadata"]["namespace"] for d in deployments.values()}
    created = secrets_the_readme_creates(namespace)
    for secret, keys in secrets_read(docs).items():
        assert keys <= created.get(secret, set()), (secret, keys, created.get(secret))


def test_keda_logs_in_to_kafka_as_the_services_do():
    docs = rendered("overlays/prod")
    assert keda_kafka_mode(parsed_settings(docs)) == {"sasl": "none", "tls": "disable"}
    check_keda_logs_in_as_the_services_do(docs)


def test_the_readme_s_sasl_ssl_example_is_valid_and_consistent(tmp_path):
    docs = readme_example(tmp_path / "example")
    for doc in docs:
        key = (doc["apiVersion"], doc["kind"])
        if key in CRD_SCHEMAS:
            assert not list(crd_validator(*key).iter_errors(doc)), doc["metadata"]["name"]
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert set(settings_of(docs)) <= {setting_name(f) for f in Settings.model_fields}
    settings = parsed_settings(docs)
    assert settings.kafka_security_protocol == "SASL_SSL" and settings.kafka_ssl_cafile
    assert keda_kafka_mode(settings) == {"sasl": "scram_sha512", "tls": "enable"}
    check_keda_logs_in_as_the_services_do(docs)
    # KEDA reads the same CA as the pods: the Secret and key of their mounted file.
    [auth] = of_kind(docs, "TriggerAuthentication")
    [ca] = auth["spec"]["secretTargetRef"]
    assert ca["parameter"] == "ca" and ca["key"] == Path(settings.kafka_ssl_cafile).name
    for deployment in of_kind(docs, "Deployment"):
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        assert {"secretName": ca["name"]} in [v.get("secret") for v in volumes]


def acl_names(user: dict[str, Any], resource_type: str) -> dict[str, set[str]]:
    """The operations the user's ACLs allow on each resource of a type, by name."""
    allowed: dict[str, set[str]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        if resource["type"] == resource_type:
            assert acl.get("type", "allow") == "allow" and acl.get("host", "*") == "*"
            assert resource.get("patternType", "literal") == "literal", resource
            allowed.setdefault(resource["name"], set()).update(acl["operations"])
    return allowed


def test_the_kafka_user_may_use_the_mesh_s_topics_and_consumer_groups_and_nothing_else():
    docs = rendered("overlays/dev")
    settings = settings_of(docs)
    prefix = settings["LONGWEAVE_TOPIC_PREFIX"]
    [user] = of_kind(docs, "KafkaUser")
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    assert {a["resource"]["type"] for a in user["spec"]["authorization"]["acls"]} == {
        "topic", "group"}  # no cluster-wide rights
    topics = acl_names(user, "topic")
    mesh_topics = Topics.with_prefix(prefix)
    assert set(topics) == set(mesh_topics.all())
    # Create: the services and `longweave publish` create missing topics at start-up.
    # Delete (DeleteRecords), on the hops only: the services purge what they consumed.
    for topic, ops in topics.items():
        purged = {"Delete"} if topic in mesh_topics.hops() else set()
        assert ops == {"Read", "Write", "Describe", "Create", *purged}, topic
    groups = acl_names(user, "group")
    assert set(groups) == {group for pairs in consumers(prefix).values() for _, group in pairs}
    assert all(ops == {"Read", "Describe"} for ops in groups.values())


def test_the_services_log_in_to_the_dev_kafka_as_that_user():
    docs = rendered("overlays/dev")
    [user] = of_kind(docs, "KafkaUser")
    [kafka] = of_kind(docs, "Kafka")
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert "userOperator" in kafka["spec"]["entityOperator"]
    [listener] = [item for item in kafka["spec"]["kafka"]["listeners"]
                  if str(item["port"]) in settings_of(docs)["LONGWEAVE_KAFKA_BOOTSTRAP"]]
    assert listener["authentication"]["type"] == "scram-sha-512"
    settings = Settings(**{k.removeprefix("LONGWEAVE_").lower(): v
                           for k, v in settings_of(docs).items()})
    assert settings.kafka_security_protocol == ("SASL_SSL" if listener["tls"] else
                                                "SASL_PLAINTEXT")
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_sasl_username == user["metadata"]["name"]
    # The password: the key the User Operator writes into the Secret named after the user.
    for deployment in of_kind(docs, "Deployment"):
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        [password] = [e for e in container["env"] if e["name"] == "LONGWEAVE_KAFKA_SASL_PASSWORD"]
        assert password["valueFrom"]["secretKeyRef"] == {
            "name": user["metadata"]["name"], "key": "password", "optional": True}
    assert not of_kind(rendered("overlays/prod"), "KafkaUser")  # prod brings its own Kafka


def test_only_the_dev_overlay_carries_a_secret_and_it_holds_no_credential():
    assert not of_kind(rendered("overlays/prod"), "Secret")
    assert not of_kind(rendered("base"), "Secret")
    [secret] = of_kind(rendered("overlays/dev"), "Secret")
    import base64
    uri = base64.b64decode(secret["data"]["uri"]).decode()
    assert "@" not in uri  # no user:password


def deliberate_skips() -> dict[str, str]:
    """The checkov checks k8s/README.md skips, each with its reason."""
    skips = {}
    for line in (K8S / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| CKV") and len(cells) == 2:
            skips[cells[0].split()[0]] = cells[1]
    return skips


def test_checkov_passes_on_the_rendered_manifests_with_only_the_listed_skips(tmp_path):
    skips = deliberate_skips()
    assert skips and all(len(why) > 40 for why in skips.values())  # each one justified
    scanned = tmp_path / "scanned"
    scanned.mkdir()
    for overlay in OVERLAYS:
        docs = rendered(f"overlays/{overlay}")
        (scanned / f"{overlay}.yaml").write_text(yaml.safe_dump_all(docs))
    (scanned / "readme-example.yaml").write_text(
        yaml.safe_dump_all(readme_example(tmp_path / "readme-example")))
    (scanned / "first-request.yaml").write_text(
        (K8S / "examples" / "first-request.yaml").read_text())
    result = subprocess.run(
        [checkov(), "--directory", str(scanned), "--framework", "kubernetes", "--compact",
         "--quiet", "--skip-check", ",".join(skips), "--output", "json"],
        capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [f"{c['check_id']} {c['resource']}" for r in reports
              for c in r["results"]["failed_checks"]]
    assert not failed, failed
    assert sum(r["summary"]["passed"] for r in reports) > 100  # it did scan them
