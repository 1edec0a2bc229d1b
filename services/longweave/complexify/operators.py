"""The built-in complexification operators.

Each one turns the sampled scenario into one `ConstraintLayer`. Choices inside an operator
come from ``ctx.rng`` only, so a layer is reproducible from the request's seed. Verifiable
operators attach a spec that `longweave.complexify.specs` can check.
"""

from __future__ import annotations

import math

from longweave.complexify.layers import ConstraintLayer, LayerContext, register_operator
from longweave.paradigms.conversation.logic import words_per_exchange

# Written for conversations (replies, turns, personas); forbidden_words suits any paradigm.
CONVERSATION = ("conversation",)

EXTRA_REQUIREMENTS = (
    ("Midway through, the user reveals a hard deadline of {days} working days that changes "
     "the plan; the assistant adapts its advice to it."),
    ("The user can only act from a mobile phone (no computer, no printer); every step the "
     "assistant proposes must work that way."),
    ("One document or piece of information the assistant asks for turns out to be "
     "unavailable; the assistant finds a workable alternative."),
    ("The user must get a third person's approval (a manager, a partner, a landlord) before "
     "acting; the assistant helps them prepare that conversation."),
    ("The user states a fixed budget in local currency early on; every option the assistant "
     "offers must fit it or say clearly why it cannot."),
    ("The user is writing in their second language and once asks for a term to be explained "
     "more simply; the assistant does so without talking down."),
)
TENSIONS = (
    ("the lowest possible cost", "the fastest possible outcome"),
    ("full compliance with every local rule", "as little paperwork as possible"),
    ("keeping a good relationship with the other party", "being firm about what they are owed"),
    ("protecting their privacy", "the convenience of sharing everything online"),
    ("a decision today", "more time to compare options"),
    ("doing it themselves", "not making a costly mistake"),
)
FORMATS = {
    "bulleted_list": "a bulleted list (lines starting with '- ')",
    "numbered_list": "a numbered list (lines starting with '1.', '2.', …)",
    "markdown_table": "a small Markdown table with a header row and a '---' separator row",
}
FILLER_WORDS = ("basically", "actually", "honestly", "literally", "obviously", "simply",
                "really", "totally", "definitely")


@register_operator("add_constraint", "add an extra requirement the conversation must handle",
                   verifiable=False, paradigms=CONVERSATION)
def add_constraint(ctx: LayerContext) -> ConstraintLayer:
    text = ctx.rng.choice(EXTRA_REQUIREMENTS).format(days=ctx.rng.choice((2, 3, 5, 10)))
    return ConstraintLayer(operator="add_constraint", instruction=text)


@register_operator("deepen", "ask for the reasons and rules behind the advice, not just steps",
                   verifiable=False, paradigms=CONVERSATION)
def deepen(ctx: LayerContext) -> ConstraintLayer:
    notes = ctx.scenario["geography"].get("regulatory_notes", "")
    why = ctx.rng.choice((2, 3))
    grounding = (f" Ground the explanations in the local rules that apply ({notes})."
                 if notes else " Ground the explanations in how things work locally.")
    return ConstraintLayer(
        operator="deepen",
        instruction=(f"The user asks 'why' at least {why} times; the assistant explains the "
                     f"underlying reason or rule each time instead of repeating the steps."
                     + grounding),
    )


@register_operator("concretise", "replace generalities with specific figures and details",
                   verifiable=True, paradigms=CONVERSATION)
def concretise(ctx: LayerContext) -> ConstraintLayer:
    figures = ctx.rng.choice((3, 4, 5))
    city = ctx.scenario["geography"]["city"]
    return ConstraintLayer(
        operator="concretise",
        instruction=(f"Be concrete: use specific amounts, dates, durations, quantities or "
                     f"reference numbers (at least {figures} distinct figures written as "
                     f"digits) and real-sounding details of {city}."),
        spec={"check": "min_numbers", "role": "any", "value": figures},
    )


@register_operator("reasoning_steps", "make the assistant reason in labelled steps",
                   verifiable=True, paradigms=CONVERSATION)
def reasoning_steps(ctx: LayerContext) -> ConstraintLayer:
    steps = ctx.rng.choice((3, 4))
    return ConstraintLayer(
        operator="reasoning_steps",
        instruction=(f"At least once, the assistant works through the problem in {steps} "
                     f"labelled steps ('Step 1:', 'Step 2:', …) before giving its "
                     f"recommendation."),
        spec={"check": "labelled_steps", "role": "assistant", "value": steps},
    )


@register_operator("format_constraint", "require a specific output format in a reply",
                   verifiable=True, paradigms=CONVERSATION)
def format_constraint(ctx: LayerContext) -> ConstraintLayer:
    fmt = ctx.rng.choice(sorted(FORMATS))
    return ConstraintLayer(
        operator="format_constraint",
        instruction=f"At least one assistant reply presents options or steps as {FORMATS[fmt]}.",
        spec={"check": "format", "role": "assistant", "value": fmt, "min_turns": 1},
    )


@register_operator("length_constraint", "cap the length of every assistant reply",
                   verifiable=True, paradigms=CONVERSATION)
def length_constraint(ctx: LayerContext) -> ConstraintLayer:
    # A cap above the words an exchange is planned to have, so it never fights the
    # record's target length: it only stops runaway replies.
    factor = ctx.rng.choice((1.2, 1.4, 1.6))
    limit = max(30, math.ceil(words_per_exchange(ctx.params) * factor / 5) * 5)
    return ConstraintLayer(
        operator="length_constraint",
        instruction=f"Keep every assistant reply under {limit} words.",
        spec={"check": "max_words_per_turn", "role": "assistant", "value": limit},
    )


@register_operator("conflicting_persona_goals", "give the user two goals in tension",
                   verifiable=False, paradigms=CONVERSATION)
def conflicting_persona_goals(ctx: LayerContext) -> ConstraintLayer:
    first, second = ctx.rng.choice(TENSIONS)
    if ctx.rng.random() < 0.5:
        first, second = second, first
    return ConstraintLayer(
        operator="conflicting_persona_goals",
        instruction=(f"The user wants both {first} and {second}, which pull against each "
                     f"other; the assistant names the trade-off and helps them choose."),
    )


@register_operator("clarifying_questions", "make the assistant ask before it advises",
                   verifiable=True, paradigms=CONVERSATION)
def clarifying_questions(ctx: LayerContext) -> ConstraintLayer:
    questions = ctx.rng.choice((2, 3))
    return ConstraintLayer(
        operator="clarifying_questions",
        instruction=(f"The assistant asks at least {questions} clarifying questions before "
                     f"it gives its main recommendation."),
        spec={"check": "min_questions", "role": "assistant", "value": questions},
    )


@register_operator("include_keywords", "require mentions of the scenario's place",
                   verifiable=True, paradigms=CONVERSATION)
def include_keywords(ctx: LayerContext) -> ConstraintLayer:
    geo = ctx.scenario["geography"]
    keywords = [geo["city"], geo["country"]] if ctx.rng.random() < 0.5 else [geo["city"]]
    return ConstraintLayer(
        operator="include_keywords",
        instruction=f"Mention {' and '.join(keywords)} by name at least once.",
        spec={"check": "includes_keywords", "role": "any", "value": keywords},
    )


@register_operator("forbidden_words", "ban filler words (IFEval-style)", verifiable=True)
def forbidden_words(ctx: LayerContext) -> ConstraintLayer:
    words = sorted(ctx.rng.sample(FILLER_WORDS, ctx.rng.choice((2, 3))))
    return ConstraintLayer(
        operator="forbidden_words",
        instruction=f"Never use these words: {', '.join(words)}.",
        spec={"check": "forbidden_words", "role": "any", "value": words},
    )


@register_operator("local_conventions", "use the locale's conventions for dates, money, units",
                   verifiable=False, paradigms=CONVERSATION)
def local_conventions(ctx: LayerContext) -> ConstraintLayer:
    geo = ctx.scenario["geography"]
    return ConstraintLayer(
        operator="local_conventions",
        instruction=(f"Follow {geo['locale']} conventions for dates, times, money and units, "
                     f"and refer to local institutions in {geo['country']} by their usual "
                     f"names."),
    )
