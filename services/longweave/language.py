"""A small stop-word language identifier: enough to tell which of a few common languages a
long text is written in (long records make stop-word frequencies reliable). It answers
None when no language is clearly ahead rather than guessing."""

from __future__ import annotations

import re
from collections import Counter

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and to of a in is that it for you with on this be are your have "
                    "i we can will not as at or if".split()),
    "fr": frozenset("le la les et de des un une est que pour dans vous il pas sur au avec "
                    "ce qui en du nous je".split()),
    "de": frozenset("der die das und ist nicht ich sie es ein eine zu den mit sich auf für "
                    "wir dem von auch wie".split()),
    "es": frozenset("el la los las y de que en un una es por para con no se su al lo como "
                    "más pero del".split()),
    "pt": frozenset("o a os as e de que em um uma é para com não se por do da no na ao "
                    "mais você".split()),
    "it": frozenset("il lo la gli le e di che in un una è per con non si sono del della "
                    "al ma come anche".split()),
    "nl": frozenset("de het een en van is dat op te in voor niet met zijn je ik we er maar "
                    "ook als aan".split()),
    "sv": frozenset("och att det som en på är av för med till den har inte jag om ett vi "
                    "men du kan".split()),
}
MIN_SHARE = 0.12  # share of words that must be stop words of the winning language
MIN_LEAD = 1.5  # the winner must beat the runner-up by this factor

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 20:
        return None
    counts = Counter(words)
    scores = {lang: sum(counts[w] for w in stops) / len(words)
              for lang, stops in STOPWORDS.items()}
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < MIN_SHARE or top < second * MIN_LEAD:
        return None
    return best
