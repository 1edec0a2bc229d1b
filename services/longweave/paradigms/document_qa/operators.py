"""Complexification layers written for document-grounded pairs: how answers are shaped and
who the questions are asked for. Verifiable ones carry a spec the shared
`constraint_layers` check runs on the answers (parts with the role "assistant")."""

from __future__ import annotations

from longweave.complexify.layers import ConstraintLayer, LayerContext, register_operator

DOCUMENT_QA = ("document_qa",)


@register_operator("answer_length", "cap the length of every answer", verifiable=True,
                   paradigms=DOCUMENT_QA)
def answer_length(ctx: LayerContext) -> ConstraintLayer:
    limit = ctx.rng.choice((40, 60, 90))
    return ConstraintLayer(
        operator="answer_length", instruction=f"Keep every answer under {limit} words.",
        spec={"check": "max_words_per_turn", "role": "assistant", "value": limit},
    )


@register_operator("list_answer", "give one answer as a bulleted list", verifiable=True,
                   paradigms=DOCUMENT_QA)
def list_answer(ctx: LayerContext) -> ConstraintLayer:
    return ConstraintLayer(
        operator="list_answer",
        instruction="Where an answer has several parts, give it as a bulleted list "
                    "(lines starting with '- '); at least one answer must be one.",
        spec={"check": "format", "role": "assistant", "value": "bulleted_list", "min_turns": 1},
    )


@register_operator("asked_by_audience", "phrase the questions as the scenario's audience",
                   verifiable=False, paradigms=DOCUMENT_QA)
def asked_by_audience(ctx: LayerContext) -> ConstraintLayer:
    return ConstraintLayer(
        operator="asked_by_audience",
        instruction=f"Phrase each question as {ctx.scenario['audience']} would ask it, in "
                    f"a {ctx.scenario['register']} register.",
    )
