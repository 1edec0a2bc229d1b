"""Pure logic of the claims paradigm: which book and chapters a claim pair is about, the
units that compress the book (chapter outlines, in parts for a long chapter; summaries of
groups of outlines when they are too long together; the book summary), the outlines merged
per chapter, how far the TRUE and FALSE claims differ, and the verification prompt's
book context for exports (the chapters that fit a token budget, the cited ones always)."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import random
import re
from typing import Any

from longweave.corpus.passages import cut, provenance
from longweave.llm.tokens import CHARS_PER_TOKEN, estimate_tokens
from longweave.paradigms.claims.params import ClaimsParams

# What one outline takes in the summary's prompt, for planning the summary's groups before
# any outline exists (the outline call's own limit bounds it from above).
OUTLINE_TOKENS_ESTIMATE = 500
VERDICTS = ("supported", "contradicted", "not_enough_information")
_NEGATIONS = {"not", "never", "no", "n't", "nor", "neither", "nobody", "nothing", "none"}
_WORD = re.compile(r"[\w'’-]+")


def is_book_level(index: int, share: float) -> bool:
    """Book-level for `share` of the indexes, spread evenly (index 1, 3, … at 0.5)."""
    return math.floor((index + 1) * share) > math.floor(index * share)


def plan_sample(params: ClaimsParams, documents: list[dict[str, Any]], index: int,
                seed: int) -> dict[str, Any]:
    """Sample `index`'s material: its book (the books in turn), the chapters its claim
    pair rests on (chapter-level: one, every chapter in turn in a seeded order; book-level:
    `chapters_per_book_claim` of them), and for the clipper strategy the outline units
    (each chapter, in parts of at most `outline_part_tokens`) and the summary's groups."""
    books = books_in_range(params, documents)
    book = books[index % len(books)]
    rounds = index // len(books)  # this book's how-many-th pair
    last = params.last_chapter or len(book["chapters"])
    chapters = [{"number": n, "title": c["title"], "start": c["start"],
                 "body_start": c["body_start"], "end": c["end"], "tokens": c["tokens"]}
                for n, c in enumerate(book["chapters"], start=1)
                if params.first_chapter <= n <= last]
    numbers = [c["number"] for c in chapters]
    order = random.Random(f"{seed}:claims:{book['_id']}").sample(numbers, len(numbers))
    rng = random.Random(f"{seed}:claims:{index}")
    book_level = len(numbers) >= 2 and is_book_level(rounds, params.book_level_share)
    if book_level:
        k = min(params.chapters_per_book_claim, len(numbers))
        target = sorted(rng.sample(numbers, k))
    else:
        target = [order[rounds % len(order)]]
    material: dict[str, Any] = {
        "strategy": params.strategy,
        "book": {**provenance(book), "hash": book["content_hash"], "tokens": book["tokens"]},
        "documents": [{"id": book["_id"]}],
        "chapters": chapters,
        "part_of_book": len(chapters) < len(book["chapters"]),
        "scope": "book" if book_level else "chapter",
        "target": target,
    }
    if params.strategy == "clipper":
        material["outline_units"] = outline_units(chapters, book.get("chunks", []),
                                                  params.outline_part_tokens)
        material["groups"] = summary_groups(material["outline_units"],
                                            params.summary_input_tokens)
    return material


def books_in_range(params: ClaimsParams, documents: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """The books that have chapters in the requested range."""
    return [d for d in documents if len(d.get("chapters") or []) >= params.first_chapter]


def outline_units(chapters: list[dict[str, Any]], chunks: list[dict[str, Any]],
                  part_tokens: int) -> list[dict[str, Any]]:
    """One unit per chapter, or per part of a chapter longer than `part_tokens` (cut at
    the book's chunk ends, each part at most `part_tokens` where the chunks allow)."""
    units = []
    for chapter in chapters:
        cuts = [chapter["start"]]
        if chapter["tokens"] > part_tokens:
            inside = [c for c in chunks
                      if chapter["start"] <= c["start"] and c["end"] <= chapter["end"]]
            tokens = 0
            for chunk in inside:
                if tokens and tokens + chunk["tokens"] > part_tokens:
                    cuts.append(chunk["start"])
                    tokens = 0
                tokens += chunk["tokens"]
        bounds = [*cuts, chapter["end"]]
        for part, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False), start=1):
            units.append({"chapter": chapter["number"], "part": part, "parts": len(cuts),
                          "start": start, "end": end})
    return units


def summary_groups(units: list[dict[str, Any]], budget_tokens: int) -> list[list[int]]:
    """Chapters whose outlines are summarised together before the book summary, when all of
    them would not fit `budget_tokens` (else none: the summary reads them all)."""
    per_chapter: dict[int, int] = {}
    for unit in units:
        per_chapter[unit["chapter"]] = per_chapter.get(unit["chapter"], 0) + \
            OUTLINE_TOKENS_ESTIMATE
    if sum(per_chapter.values()) <= budget_tokens:
        return []
    groups: list[list[int]] = [[]]
    tokens = 0
    for number, size in per_chapter.items():
        if groups[-1] and tokens + size > budget_tokens:
            groups.append([])
            tokens = 0
        groups[-1].append(number)
        tokens += size
    return groups


def unit_roles(material: dict[str, Any]) -> list[tuple[str, int]]:
    """Each unit's role and its number within the role, in unit order."""
    roles: list[tuple[str, int]] = []
    if material["strategy"] == "clipper":
        roles += [("outline", i) for i in range(len(material["outline_units"]))]
        roles += [("group", i) for i in range(len(material["groups"]))]
        roles.append(("summary", 0))
    return [*roles, ("claim", 0), ("verify", 0)]


def stages(material: dict[str, Any]) -> list[int]:
    if material["strategy"] == "naive":
        return [1, 1]
    groups = [len(material["groups"])] if material["groups"] else []
    return [len(material["outline_units"]), *groups, 1, 1, 1]


def outputs_by_role(material: dict[str, Any], outputs: list[Any]) -> dict[str, list[Any]]:
    """The outputs of a record's units (or the inputs of one: those before it) by role."""
    found: dict[str, list[Any]] = {}
    for (role, _), output in zip(unit_roles(material), outputs, strict=False):
        found.setdefault(role, []).append(output)
    return found


def merged_outlines(material: dict[str, Any], outlines: list[dict[str, Any]]
                    ) -> dict[int, dict[str, Any]]:
    """Each chapter's outline, its parts' outlines merged in order: synopses joined, events
    numbered on, characters by name (first description kept)."""
    merged: dict[int, dict[str, Any]] = {}
    for unit, outline in zip(material["outline_units"], outlines, strict=True):
        into = merged.setdefault(unit["chapter"], {"synopsis": "", "events": [],
                                                   "characters": []})
        into["synopsis"] = f"{into['synopsis']} {outline['synopsis']}".strip()
        into["events"] += outline["events"]
        known = {c["name"].lower() for c in into["characters"]}
        into["characters"] += [c for c in outline["characters"]
                               if c["name"].lower() not in known]
    return merged


def outline_text(chapter: dict[str, Any], outline: dict[str, Any]) -> str:
    """A chapter's outline as prompts show it: events numbered chapter.event, so a claim
    can cite them."""
    lines = [f"Chapter {chapter['number']}: {chapter['title']}",
             f"Synopsis: {outline['synopsis']}", "Events:"]
    lines += [f"  {chapter['number']}.{n} {event}"
              for n, event in enumerate(outline["events"], start=1)]
    if outline["characters"]:
        lines.append("Characters: " + "; ".join(f"{c['name']} ({c['description']})"
                                                 for c in outline["characters"]))
    return "\n".join(lines)


def outlines_id(book_hash: str, outlines: dict[int, dict[str, Any]], summary: str) -> str:
    """Content-addressed: the same book outlined the same way (model, prompts, cache) is
    one stored entry, whichever record or run names it."""
    payload = json.dumps([book_hash, sorted(outlines.items()), summary], sort_keys=True)
    return f"claims-outlines-{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


def excerpts(material: dict[str, Any], text: str, numbers: list[int], budget_tokens: int
             ) -> list[dict[str, Any]]:
    """The raw text of the chapters `numbers`, each cut at a paragraph or sentence end to
    its share of `budget_tokens`."""
    by_number = {c["number"]: c for c in material["chapters"]}
    chosen = [by_number[n] for n in numbers if n in by_number]
    share = int(budget_tokens * CHARS_PER_TOKEN / max(1, len(chosen)))
    return [{"number": c["number"], "title": c["title"],
             "text": cut(text[c["body_start"]:c["end"]].strip(), share, 0.8)}
            for c in chosen]


def words(text: str) -> list[str]:
    """Lower-case words, a contracted negation split off ("didn't" → "did", "n't")."""
    text = re.sub(r"n['’]t\b", " n't", text.replace("’", "'"))
    return [w.lower() for w in _WORD.findall(text)]


def pair_difference(true_claim: str, false_claim: str) -> dict[str, Any]:
    """How the FALSE claim differs from the TRUE one, word by word: the changed spans, the
    words changed (on the longer side), the words in all, and whether the only change is
    a negation added or removed."""
    a, b = words(true_claim), words(false_claim)
    ops = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
           if op[0] != "equal"]
    changed = sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in ops)
    touched = {w for _, i1, i2, j1, j2 in ops for w in (*a[i1:i2], *b[j1:j2])}
    return {"spans": len(ops), "changed_words": changed, "words": max(len(a), len(b)),
            "negation_only": bool(touched) and touched <= _NEGATIONS}


def chapter_context(record: dict[str, Any], text: str, budget_tokens: int | None
                    ) -> tuple[str, list[int]]:
    """The book for a verification prompt: its chapters, all of them when they fit
    `budget_tokens` (None: no limit), else the cited ones and then those nearest to them,
    in book order, each under its heading; an omitted stretch is marked. Returns the text
    and the chapter numbers it holds (the cited ones even past the budget)."""
    chapters = record["chapters"]
    cited = {n for n in record["chapters_cited"] if n in {c["number"] for c in chapters}}

    def render(kept: set[int]) -> str:
        blocks, skipped = [], 0
        for c in chapters:
            if c["number"] not in kept:
                skipped += 1
                continue
            if skipped:
                blocks.append(f"[{skipped} chapter(s) omitted]")
                skipped = 0
            blocks.append(text[c["start"]:c["end"]].strip())
        if skipped:
            blocks.append(f"[{skipped} chapter(s) omitted]")
        return "\n\n".join(blocks)

    kept = {c["number"] for c in chapters}
    if budget_tokens is not None and estimate_tokens(render(kept)) > budget_tokens:
        sizes = {c["number"]: estimate_tokens(text[c["start"]:c["end"]]) for c in chapters}
        kept = set(cited)
        used = sum(sizes[n] for n in kept)
        for n in sorted(set(sizes) - kept,
                        key=lambda n: (min(abs(n - c) for c in cited or {1}), n)):
            if used + sizes[n] <= budget_tokens:
                kept.add(n)
                used += sizes[n]
        # The headings' separators and the omission marks take a little more: drop the
        # furthest chapters added until the whole fits.
        while estimate_tokens(render(kept)) > budget_tokens and kept - cited:
            kept.remove(max(kept - cited,
                            key=lambda n: (min(abs(n - c) for c in cited or {1}), n)))
    return render(kept), sorted(kept)


def compression(material: dict[str, Any], outlines: dict[int, dict[str, Any]],
                summary: str) -> dict[str, int]:
    """Tokens in and out of the compression: the chapters against their outlines, the book
    against its summary."""
    chapter_tokens = sum(c["tokens"] for c in material["chapters"])
    return {
        "chapter_tokens": chapter_tokens,
        "outline_tokens": sum(estimate_tokens(outline_text(c, outlines[c["number"]]))
                              for c in material["chapters"] if c["number"] in outlines),
        # A range of chapters is summarised as the book it stands for.
        "book_tokens": chapter_tokens if material["part_of_book"] else
        material["book"]["tokens"],
        "summary_tokens": estimate_tokens(summary),
    }
