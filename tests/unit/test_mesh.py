"""Composing the services (no servers: the store client connects lazily and is never used)."""

from longweave.mesh import build_contexts
from longweave.settings import Settings
from longweave.store import Store


def contexts(**settings):
    store = Store("mongodb://unused:27017", "unused")
    built = build_contexts(Settings(**settings), ["generator", "judge"], store)
    return store, {ctx.name: ctx for ctx in built}


async def test_roles_calling_one_endpoint_share_its_slots():
    store, ctx = contexts(llm_base_url="http://model:8080/v1")
    try:
        generator, judge = ctx["generator"].llm("generator"), ctx["judge"].llm("judge")
        assert generator.gate is judge.gate
        assert generator.gate.controller.current == generator.endpoint.max_concurrency
    finally:
        store.close()


async def test_a_judge_on_its_own_endpoint_has_its_own_slots():
    store, ctx = contexts(llm_base_url="http://model:8080/v1",
                          judge_base_url="http://judge:8080/v1")
    try:
        assert ctx["generator"].llm("generator").gate is not ctx["judge"].llm("judge").gate
    finally:
        store.close()
