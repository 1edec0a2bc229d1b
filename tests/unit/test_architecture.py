"""The layering written down in services/longweave/ARCHITECTURE.md, checked on the source:
every import of a longweave module, including the ones inside functions, which hide cycles
as well as any other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "services" / "longweave"

SERVICE_PACKAGES = ("sampler", "generator", "stitcher", "validator", "judge", "sink")
# Entry points and tools: what users and scripts call. Nothing else imports them.
APPLICATION = ("__main__", "cli", "versions", "demo", "client", "export", "watch",
               "contract_files", "experiment_run", "report", "stack", "testing")
# Wiring a pure-logic module may not touch, directly or through longweave modules.
WIRING_LIBRARIES = ("faststream", "aiokafka", "motor", "pymongo", "httpx")
WIRING_MODULES = ("runtime", "mesh", "store", "store_batches", "runs", "kafka_admin",
                  "kafka_compat", "kafka_membership", "kafka_parallel", "kafka_purge",
                  "kafka_security",
                  "llm.client", "llm.cache", "llm.ledger",
                  "report.build", "report.collect", "report.embeddings")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(name: str) -> set[str]:
    """Every module `name` imports: longweave ones without the ``longweave.`` prefix (""
    for the package itself), other libraries by their top-level name."""
    path = MODULES[name]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                module = ".".join(filter(None, ["longweave", *base, node.module or ""]))
            else:
                module = node.module or ""
            targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            if target == "longweave" or target.startswith("longweave."):
                inner = target.removeprefix("longweave").removeprefix(".")
                while inner and inner not in MODULES:  # `from pkg import name`: the package
                    inner = inner.rpartition(".")[0]
                if inner != name:
                    found.add(inner)
            else:
                found.add(target.split(".")[0])
    return found


GRAPH = {name: {m for m in imported(name) if m in MODULES} for name in MODULES}


def in_layer(name: str, layer: str) -> bool:
    return name == layer or name.startswith(layer + ".")


def reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in GRAPH[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_module_list_is_what_the_rules_expect():
    assert {"contracts", "runtime", "mesh", "cli", "planning", "registry"} <= set(MODULES)
    for service in SERVICE_PACKAGES:
        assert f"{service}.service" in MODULES


def test_no_module_imports_itself_through_others():
    cycles = sorted(name for name in MODULES if name in reachable(name))
    assert cycles == [], f"modules on an import cycle: {cycles}"


def test_contracts_import_nothing_of_the_mesh():
    for name in MODULES:
        if in_layer(name, "contracts"):
            outside = {m for m in GRAPH[name] if m and not in_layer(m, "contracts")}
            assert outside == set(), f"{name} imports {outside}"


@pytest.mark.parametrize("service", SERVICE_PACKAGES)
def test_a_service_imports_no_other_service(service):
    others = [s for s in SERVICE_PACKAGES if s != service]
    for name in MODULES:
        if in_layer(name, service):
            crossing = {m for m in GRAPH[name] if any(in_layer(m, o) for o in others)}
            assert crossing == set(), f"{name} imports {crossing}: share it through a " \
                                      "module below the services"


def test_pure_logic_reaches_no_wiring():
    for name in MODULES:
        if name.endswith(".logic") or name in ("planning", "registry", "checks", "rewards",
                                               "reasoning", "budget_watch", "experiments",
                                               "judge.calibration", "report.figures",
                                               "report.diversity", "report.charts",
                                               "report.render", "language", "run_summary",
                                               "validator.checks", "validator.text_quality",
                                               "validator.minhash", "cli.errors",
                                               "cli.request_flags", "versions") or \
                in_layer(name, "paradigms") or in_layer(name, "instructions"):
            reached = reachable(name) | {name}
            wiring = {m for m in reached if any(in_layer(m, w) for w in WIRING_MODULES)}
            libraries = {lib for m in reached for lib in imported(m) if lib in WIRING_LIBRARIES}
            assert (wiring, libraries) == (set(), set()), f"{name} reaches {wiring | libraries}"


def test_only_the_application_layer_imports_the_mesh_or_the_application():
    for name in MODULES:
        if any(in_layer(name, a) for a in APPLICATION) or in_layer(name, "mesh"):
            continue
        upward = {m for m in GRAPH[name]
                  if in_layer(m, "mesh") or any(in_layer(m, a) for a in APPLICATION)}
        assert upward == set(), f"{name} imports {upward}"


def test_the_runtime_names_no_service():
    upward = {m for m in reachable("runtime")
              if any(in_layer(m, s) for s in SERVICE_PACKAGES)}
    assert upward == set(), f"runtime reaches {upward}"


def test_services_name_no_paradigm():
    """Services look a sample's paradigm up (`paradigm_of`); none names one."""
    from longweave.paradigms import PARADIGMS

    names = set(PARADIGMS)
    for name in MODULES:
        if any(in_layer(name, s) for s in SERVICE_PACKAGES) or name in ("runtime", "planning"):
            tree = ast.parse(MODULES[name].read_text())
            named = {node.value for node in ast.walk(tree)
                     if isinstance(node, ast.Constant) and node.value in names}
            assert named == set(), f"{name} names the paradigm(s) {named}"
