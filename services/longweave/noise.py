"""Controlled noise (paper 2509.01185): surface variation without semantic drift.

Two forms of the same four transformations:
- instructions the generator must follow (at least two per sample, chosen by the sampler);
- deterministic, seeded post-processing operators on text, for corpora produced elsewhere or
  for ablations. Each changes a bounded share of the text and keeps its content words.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence

from longweave.registry import Registry

NOISE_INSTRUCTIONS: dict[str, str] = {
    "synonym_substitution": "substitute synonyms for some common words",
    "sentence_restructuring": "restructure a few sentences (e.g. active to passive, split or "
                              "join clauses)",
    "phrase_reordering": "reorder phrases within some sentences where meaning allows",
    "mild_redundancy": "add mild, natural redundancy (a brief restatement or confirmation)",
}

NoiseOperator = Callable[[str, random.Random], str]
NOISE_OPERATORS: Registry[NoiseOperator] = Registry("noise operator",
                                                   "longweave.noise_operators")

# Single words only, and only where the synonym fits every common use of the word (noun and
# verb alike), so a substitution never breaks grammar.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "need": ("require",), "buy": ("purchase",), "choose": ("select", "pick"),
    "give": ("provide",), "try": ("attempt",), "explain": ("clarify", "describe"),
    "allow": ("permit",), "answer": ("reply",), "show": ("indicate",),
    "often": ("frequently",), "maybe": ("perhaps", "possibly"), "usually": ("typically",),
    "also": ("additionally",), "soon": ("shortly",), "quick": ("fast", "swift"),
    "fast": ("quick",), "big": ("large", "sizeable"), "small": ("little", "modest"),
    "easy": ("simple", "straightforward"), "important": ("essential", "key"),
    "problem": ("issue", "difficulty"), "price": ("cost",), "fee": ("charge",),
    "document": ("record",), "plan": ("schedule",), "option": ("alternative", "choice"),
    "idea": ("notion", "thought"), "main": ("principal", "primary"), "whole": ("entire",),
    "worried": ("concerned", "anxious"), "sure": ("certain", "confident"),
    "happy": ("glad", "pleased"), "usual": ("normal", "typical"), "mistake": ("error",),
    "meeting": ("appointment",), "deadline": ("cut-off",), "buyer": ("purchaser",),
    "large": ("big", "sizeable"), "begin": ("start",),
    "receive": ("get",), "purchase": ("buy",), "difficult": ("hard", "tricky"),
    "correct": ("accurate",), "perhaps": ("maybe",), "frequently": ("often",),
}
# Lower-case words that can open a sentence and stay lower case after being moved inside it.
_COMMON_OPENERS = frozenset((
    "the", "a", "an", "you", "we", "it", "this", "that", "these", "those", "they", "there",
    "please", "your", "our", "my", "his", "her", "its", "each", "every", "some", "most",
    "many", "any", "all", "no", "one", "first", "then",
))
_PREPOSITIONS = frozenset((
    "in", "on", "at", "for", "after", "before", "during", "by", "from", "with", "within",
    "under", "over", "since", "until", "throughout", "across",
))
_FUNCTION_WORDS = _COMMON_OPENERS | _PREPOSITIONS | frozenset((
    "and", "or", "but", "not", "can", "will", "would", "should", "could", "may", "might",
    "must", "is", "are", "was", "were", "be", "been", "have", "has", "had", "do", "does",
    "did", "than",
))
_SENTENCE = re.compile(r"[^.!?\n]*[^.!?\n\s][^.!?\n]*[.!?]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)


def register_noise(name: str) -> Callable[[NoiseOperator], NoiseOperator]:
    return NOISE_OPERATORS.add(name)


def apply_noise(text: str, names: Sequence[str], seed: int | str) -> str:
    """Apply the named operators in order; the same text, names and seed give the same result."""
    for name in names:
        text = NOISE_OPERATORS[name](text, random.Random(f"{seed}:{name}"))
    return text


def content_words(text: str) -> list[str]:
    """Case-folded word tokens: what a transformation that only moves words must preserve."""
    return sorted(t.casefold() for t in _TOKEN.findall(text))


# -- the operators ---------------------------------------------------------------------------


@register_noise("synonym_substitution")
def synonym_substitution(text: str, rng: random.Random, rate: float = 0.15) -> str:
    """Replace up to `rate` of the replaceable words with a synonym from the built-in table."""
    spots = [m for m in _WORD.finditer(text) if m.group(0).casefold() in SYNONYMS]
    if not spots:
        return text
    budget = max(1, math.floor(rate * len(_WORD.findall(text))))
    chosen = sorted(rng.sample(spots, min(budget, len(spots))), key=lambda m: m.start())
    out, last = [], 0
    for match in chosen:
        word = match.group(0)
        out += [text[last:match.start()], _same_case(word, rng.choice(SYNONYMS[word.casefold()]))]
        last = match.end()
    return "".join(out) + text[last:]


@register_noise("sentence_restructuring")
def sentence_restructuring(text: str, rng: random.Random) -> str:
    """Restructure a few sentences: move a 'because'/'if' clause to the front or back, or
    split a sentence joined by ', and'. Words are kept; only their order and case change."""
    def restructure(sentence: str) -> str | None:
        body, end = sentence[:-1], sentence[-1]
        lead = len(body) - len(body.lstrip())
        body = body.strip()
        if (m := re.fullmatch(r"(.+?), because (.+)", body)) and _movable(m.group(1)):
            return " " * lead + f"Because {m.group(2)}, {_lower_first(m.group(1))}{end}"
        if m := re.fullmatch(r"If (.+?), (.+)", body):
            return " " * lead + f"{_upper_first(m.group(2))} if {m.group(1)}{end}"
        if (m := re.fullmatch(r"(.+?), and (.+)", body)) and len(m.group(2).split()) >= 3:
            return " " * lead + f"{m.group(1)}. And {m.group(2)}{end}"
        return None

    return _rewrite_some(text, rng, restructure)


@register_noise("phrase_reordering")
def phrase_reordering(text: str, rng: random.Random) -> str:
    """Move a leading prepositional phrase to the end of its sentence ('In Lyon, the office
    opens at 9.' → 'The office opens at 9 in Lyon.'), or swap a pair 'x and y' of words."""
    def reorder(sentence: str) -> str | None:
        body, end = sentence[:-1], sentence[-1]
        lead = len(body) - len(body.lstrip())
        body = body.strip()
        m = re.fullmatch(r"(([A-Z][a-z]+)(?: [^,]{1,40})?), (.+)", body)
        if m and m.group(2).casefold() in _PREPOSITIONS:
            phrase = m.group(1)[:1].lower() + m.group(1)[1:]
            return " " * lead + f"{_upper_first(m.group(3))} {phrase}{end}"
        pairs = [p for p in re.finditer(r"\b([a-z]{3,}) and ([a-z]{3,})(?=[,;:]|$)", body)
                 if not {p.group(1), p.group(2)} & _FUNCTION_WORDS]
        if pairs:
            p = rng.choice(pairs)
            swapped = f"{p.group(2)} and {p.group(1)}"
            return " " * lead + body[:p.start()] + swapped + body[p.end():] + end
        return None

    return _rewrite_some(text, rng, reorder)


@register_noise("mild_redundancy")
def mild_redundancy(text: str, rng: random.Random) -> str:
    """After a few mid-length sentences, restate them briefly (with synonyms): the original
    text stays intact, in order."""
    lead_ins = ("In other words,", "To put it another way,", "That is,", "Put simply,")

    def restate(sentence: str) -> str | None:
        words = sentence.split()
        if not 6 <= len(words) <= 30 or not _movable(sentence.strip()):
            return None
        again = synonym_substitution(sentence.strip(), rng, rate=0.3)
        return f"{sentence} {rng.choice(lead_ins)} {_lower_first(again)}"

    return _rewrite_some(text, rng, restate, share=0.2)


# -- helpers ---------------------------------------------------------------------------------


def _rewrite_some(text: str, rng: random.Random, rewrite: Callable[[str], str | None],
                  share: float = 0.34) -> str:
    """Rewrite up to `share` of the sentences (at least one) that `rewrite` can change."""
    sentences = list(_SENTENCE.finditer(text))
    candidates = [(m, new) for m in sentences if (new := rewrite(m.group(0))) is not None]
    if not candidates:
        return text
    budget = max(1, math.floor(share * len(sentences)))
    chosen = sorted(rng.sample(candidates, min(budget, len(candidates))),
                    key=lambda c: c[0].start())
    out, last = [], 0
    for match, new in chosen:
        out += [text[last:match.start()], new]
        last = match.end()
    return "".join(out) + text[last:]


def _movable(clause: str) -> bool:
    """A clause can move inside a sentence if its first word stays right in lower case."""
    first = clause.split(maxsplit=1)[0] if clause.split() else ""
    return first.casefold() in _COMMON_OPENERS or not first[:1].isupper()


def _lower_first(s: str) -> str:
    first = s.split(maxsplit=1)[0] if s.split() else ""
    return s[:1].lower() + s[1:] if first.casefold() in _COMMON_OPENERS else s


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _same_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement
