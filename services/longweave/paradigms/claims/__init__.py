"""The claims paradigm (the CLIPPER method, arXiv 2502.14854): claim pairs about a book for
narrative claim verification, each a TRUE claim and a FALSE one changed from it in one
checkable detail, each with a chain of thought citing chapters and events.

Books come from the corpus (``longweave books add``). A record is one claim pair, written
in stages (a staged plan, sized per book):

1. outlines: one unit per chapter (per part of a chapter longer than
   ``outline_part_tokens``, merged after), all at once;
2. when the outlines are too long to summarise at once, summaries of groups of them;
3. the book summary;
4. the claim pair, from the summary and the outlines of the chapters it is about (one
   chapter, or several for a book-level claim), never from the raw text;
5. its verification against the cited chapters' outlines (or raw text).

Outline and summary calls are the same call for every record of a book (`UnitCall.
shared_as`): the gateway pays for each once, and the response cache, keyed by the prompt
(the book's text), the model and the prompt version, serves every later record and run.
The outlines and summary are stored once per book (``shared_outputs``) and each record
names them. ``strategy: naive`` writes the pair from the raw chapter text instead, the
baseline the paper compares against.

Checks: the pair differs minimally and in one detail (not a mere negation), the cited
chapters exist, a book-level claim cites two or more, the verifier agrees with both
labels; near-duplicate pairs in a run are caught on the claims' text. Exports: ``sft`` and
``openai`` (the book, or the chapters that fit ``--max-context-tokens`` with the cited ones
always in, and a claim; the chain of thought, then True or False), ``dpo`` (the right
verdict against the wrong one) and ``claims`` (the published dataset's columns)."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from longweave.contracts.records import Draft, Sample
from longweave.llm.parsing import ReplyParseError
from longweave.paradigms.base import (
    ExportOptions,
    Paradigm,
    Part,
    Plan,
    ReportSection,
    UnitCall,
    UnitInput,
)
from longweave.paradigms.claims import checks  # noqa: F401 - registers its checks
from longweave.paradigms.claims.logic import (
    VERDICTS,
    books_in_range,
    chapter_context,
    compression,
    excerpts,
    merged_outlines,
    outline_text,
    outlines_id,
    outputs_by_role,
    plan_sample,
    stages,
    unit_roles,
)
from longweave.paradigms.claims.params import ClaimsParams

OUTLINE_SCHEMA = {
    "type": "object",
    "properties": {
        "synopsis": {"type": "string", "minLength": 20, "maxLength": 1500},
        "events": {"type": "array", "minItems": 1, "maxItems": 30,
                   "items": {"type": "string", "minLength": 5, "maxLength": 400}},
        "characters": {"type": "array", "maxItems": 20, "items": {
            "type": "object",
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 80},
                           "description": {"type": "string", "maxLength": 300}},
            "required": ["name", "description"], "additionalProperties": False}},
    },
    "required": ["synopsis", "events", "characters"], "additionalProperties": False,
}
CLAIM_SCHEMA = {
    "type": "object",
    "properties": {
        "brainstorm": {"type": "array", "minItems": 1, "maxItems": 10,
                       "items": {"type": "string", "minLength": 3, "maxLength": 400}},
        "chapters": {"type": "array", "minItems": 1, "maxItems": 10,
                     "items": {"type": "integer", "minimum": 1}},
        "events": {"type": "array", "maxItems": 12,
                   "items": {"type": "string", "minLength": 1, "maxLength": 20}},
        "true_claim": {"type": "string", "minLength": 15, "maxLength": 600},
        "false_claim": {"type": "string", "minLength": 15, "maxLength": 600},
        "changed_detail": {"type": "string", "minLength": 5, "maxLength": 400},
        "true_reasoning": {"type": "string", "minLength": 30, "maxLength": 3000},
        "false_reasoning": {"type": "string", "minLength": 30, "maxLength": 3000},
    },
    "required": ["brainstorm", "chapters", "events", "true_claim", "false_claim",
                 "changed_detail", "true_reasoning", "false_reasoning"],
    "additionalProperties": False,
}
VERIFY_SCHEMA = {
    "type": "object",
    "properties": {"true_claim": {"type": "string", "enum": list(VERDICTS)},
                   "false_claim": {"type": "string", "enum": list(VERDICTS)},
                   "explanation": {"type": "string", "maxLength": 600}},
    "required": ["true_claim", "false_claim", "explanation"], "additionalProperties": False,
}
VERIFY_INSTRUCTION = ("Read the book below, then decide whether the claim about it is true "
                      "or false. Reason from the chapters, citing them, and end with "
                      '"Answer: True" or "Answer: False".')


def chapter_span(material: dict[str, Any]) -> str:
    numbers = [c["number"] for c in material["chapters"]]
    span = f"chapters {numbers[0]}-{numbers[-1]}"
    return f"{span} of a longer book" if material["part_of_book"] else \
        f"{len(numbers)} chapters"


def verification_prompt(book_text: str, title: str, claim: str) -> str:
    return f"{VERIFY_INSTRUCTION}\n\n<book title=\"{title}\">\n{book_text}\n</book>\n\n" \
           f"Claim: {claim}"


def verdict_message(reasoning: str, label: bool) -> dict[str, str]:
    return {"role": "assistant",
            "content": f"{reasoning}\n\nAnswer: {'True' if label else 'False'}"}


class ClaimsParadigm(Paradigm[ClaimsParams]):
    name: ClassVar[str] = "claims"
    description: ClassVar[str] = ("claim pairs about books (CLIPPER): chapter outlines, a book "
                                  "summary, a TRUE claim and a minimally changed FALSE one, "
                                  "each with a chain of thought citing chapters")
    params_model = ClaimsParams
    plan = Plan.STAGED
    source = "documents"
    export_formats = ("sft", "openai", "dpo", "claims")
    content_keys = ("book", "strategy", "scope", "target", "chapters", "claim_unit",
                    "chapters_cited", "events_cited", "brainstorm", "true_claim",
                    "false_claim", "changed_detail", "true_reasoning", "false_reasoning",
                    "verification", "evidence", "outlines_id", "compression")

    # -- planning ------------------------------------------------------------------------

    def problems(self, params: ClaimsParams, documents: list[dict[str, Any]]) -> list[str]:
        if not any(d.get("chapters") for d in documents):
            return ["no book in the corpus matches the request (add one with `longweave "
                    "books add FILE`; documents added with `documents add` are not books)"]
        if not books_in_range(params, documents):
            return [f"params.first_chapter: {params.first_chapter}, but no matching book has "
                    "that many chapters"]
        return []

    def plan_sample(self, params: ClaimsParams, documents: list[dict[str, Any]],
                    index: int, seed: int) -> dict[str, Any]:
        return plan_sample(params, documents, index, seed)

    def build_context(self, material: dict[str, Any], texts: dict[str, str]
                      ) -> tuple[str, dict[str, Any]]:
        # The book stays in the corpus: the units that read it load it (`unit_documents`).
        return "", material

    def units(self, params: ClaimsParams) -> int:
        return 2  # the claim and its verification; the book's stages come with it (stages)

    def stages(self, material: dict[str, Any]) -> list[int]:
        return stages(material)

    def whole_record_units(self, sample: Sample) -> list[int]:
        # The judge, or a near-duplicate, rejects the pair: the outlines stand.
        return [sample.spec.units - 2, sample.spec.units - 1]

    def unit_documents(self, sample: Sample, index: int) -> list[str]:
        material = sample.planned_material()
        role, _ = unit_roles(material)[index]
        reads_text = (role == "outline"
                      or (role in ("claim", "verify") and material["strategy"] == "naive")
                      or (role == "verify" and self.params_of(sample).verify_against == "text"))
        return [material["book"]["id"]] if reads_text else []

    # -- units ---------------------------------------------------------------------------

    def unit_call(self, unit: UnitInput[ClaimsParams]) -> UnitCall:
        material = unit.sample.planned_material()
        role, k = unit_roles(material)[unit.index]
        book = material["book"]
        chapters = {c["number"]: c for c in material["chapters"]}
        if role == "outline":
            part = material["outline_units"][k]
            chapter = chapters[part["chapter"]]
            text = unit.documents[book["id"]][part["start"]:part["end"]].strip()
            return UnitCall(
                template="claims/outline.j2",
                variables={"title": book["title"], "number": chapter["number"],
                           "chapter_title": chapter["title"], "part": part["part"],
                           "parts": part["parts"], "text": text},
                max_tokens=1200, json_schema=OUTLINE_SCHEMA, schema_name="outline",
                shared_as=f"claims:outline:{book['hash']}:{part['start']}:{part['end']}")
        found = outputs_by_role(material, unit.inputs)
        if role in ("group", "summary"):
            outlines = merged_outlines(material, found["outline"])
            numbers = material["groups"][k] if role == "group" else list(chapters)
            first, last = numbers[0], numbers[-1]
            if role == "summary" and material["groups"]:
                texts = [f"Chapters {g[0]}-{g[-1]}: {s}"
                         for g, s in zip(material["groups"], found["group"], strict=True)]
            else:
                texts = [outline_text(chapters[n], outlines[n]) for n in numbers]
            words = min(800, max(200, 40 * len(numbers)))
            return UnitCall(
                template="claims/summary.j2",
                variables={"title": book["title"], "outlines": texts, "words": words,
                           "partial": role == "group" or material["part_of_book"],
                           "first": first, "last": last},
                max_tokens=2 * words + 200,
                shared_as=f"claims:{role}:{book['hash']}:{k}")
        if role == "claim":
            variables: dict[str, Any] = {
                "title": book["title"], "span": chapter_span(material),
                "scope": material["scope"], "target": material["target"],
                "summary": found.get("summary", [""])[0], "outlines": [], "excerpts": [],
                "feedback": unit.feedback, "noise": unit.sample.noise}
            if material["strategy"] == "clipper":
                outlines = merged_outlines(material, found["outline"])
                variables["outlines"] = [outline_text(chapters[n], outlines[n])
                                         for n in material["target"]]
            else:
                variables["excerpts"] = excerpts(material, unit.documents[book["id"]],
                                                 material["target"],
                                                 unit.params.source_tokens)
            return UnitCall(template="claims/claim.j2", variables=variables,
                            max_tokens=1800, json_schema=CLAIM_SCHEMA, schema_name="claims")
        claim = found["claim"][0]
        return UnitCall(
            template="claims/verify.j2",
            variables={"title": book["title"], "true_claim": claim["true_claim"],
                       "false_claim": claim["false_claim"],
                       "evidence": self._evidence(unit, claim)},
            max_tokens=400, json_schema=VERIFY_SCHEMA, schema_name="verdicts",
            temperature=0.0)

    def _evidence(self, unit: UnitInput[ClaimsParams], claim: dict[str, Any]) -> list[str]:
        """What the claim is verified against: the cited chapters' outlines, or (the naive
        strategy, or ``verify_against: text``) their raw text."""
        material = unit.sample.planned_material()
        chapters = {c["number"]: c for c in material["chapters"]}
        cited = [n for n in claim["chapters"] if n in chapters] or material["target"]
        if material["strategy"] == "clipper" and unit.params.verify_against == "outlines":
            outlines = merged_outlines(material, outputs_by_role(material,
                                                                 unit.inputs)["outline"])
            return [outline_text(chapters[n], outlines[n]) for n in cited]
        return [f"Chapter {e['number']}: {e['title']}\n{e['text']}" for e in excerpts(
            material, unit.documents[material["book"]["id"]], cited,
            unit.params.source_tokens)]

    def parse_unit(self, reply: Any, unit: UnitInput[ClaimsParams]) -> Any:
        material = unit.sample.planned_material()
        role, _ = unit_roles(material)[unit.index]
        if role in ("group", "summary"):
            if not str(reply).strip():
                raise ReplyParseError("the summary is empty")
            return str(reply).strip()
        if not isinstance(reply, dict):
            raise ReplyParseError(f"the {role} reply is not a JSON object")
        if role == "outline":
            events = [str(e).strip() for e in reply.get("events", []) if str(e).strip()]
            if not events or not str(reply.get("synopsis", "")).strip():
                raise ReplyParseError("the outline has no synopsis or no events")
            return {"synopsis": str(reply["synopsis"]).strip(), "events": events,
                    "characters": [{"name": str(c.get("name", "")).strip(),
                                    "description": str(c.get("description", "")).strip()}
                                   for c in reply.get("characters", [])
                                   if isinstance(c, dict) and str(c.get("name", "")).strip()]}
        if role == "claim":
            fields = ("true_claim", "false_claim", "changed_detail", "true_reasoning",
                      "false_reasoning")
            parsed = {f: str(reply.get(f, "")).strip() for f in fields}
            if not parsed["true_claim"] or not parsed["false_claim"]:
                raise ReplyParseError("the reply lacks a TRUE or a FALSE claim")
            chapters = [int(n) for n in reply.get("chapters", [])
                        if isinstance(n, int) or str(n).isdigit()]
            return {**parsed, "chapters": sorted(set(chapters)),
                    "events": [str(e).strip() for e in reply.get("events", [])],
                    "brainstorm": [str(b).strip() for b in reply.get("brainstorm", [])]}
        verdicts = {k: str(reply.get(k, "")).strip().lower() for k in ("true_claim",
                                                                        "false_claim")}
        if any(v not in VERDICTS for v in verdicts.values()):
            raise ReplyParseError(f"verdicts must be one of {', '.join(VERDICTS)}")
        claim = outputs_by_role(material, unit.inputs)["claim"][0]
        return {**verdicts, "explanation": str(reply.get("explanation", "")).strip(),
                "evidence": self._evidence(unit, claim)}

    # -- records -------------------------------------------------------------------------

    def _book_outlines(self, material: dict[str, Any], outputs: list[Any]
                       ) -> tuple[dict[int, dict[str, Any]], str] | None:
        if material["strategy"] != "clipper":
            return None
        found = outputs_by_role(material, outputs)
        return merged_outlines(material, found["outline"]), found["summary"][0]

    def assemble(self, sample: Sample, outputs: list[Any],
                 context: str | None = None) -> dict[str, Any]:
        material = sample.planned_material()
        found = outputs_by_role(material, outputs)
        [claim], [verification] = found["claim"], found["verify"]
        content = {
            "book": material["book"], "strategy": material["strategy"],
            "scope": material["scope"], "target": material["target"],
            "chapters": material["chapters"], "claim_unit": len(outputs) - 2,
            "chapters_cited": claim["chapters"], "events_cited": claim["events"],
            "brainstorm": claim["brainstorm"],
            **{k: claim[k] for k in ("true_claim", "false_claim", "changed_detail",
                                     "true_reasoning", "false_reasoning")},
            "verification": {k: verification[k] for k in ("true_claim", "false_claim",
                                                          "explanation")},
            "evidence": verification["evidence"], "outlines_id": None, "compression": None,
        }
        compressed = self._book_outlines(material, outputs)
        if compressed is not None:
            outlines, summary = compressed
            content["outlines_id"] = outlines_id(material["book"]["hash"], outlines, summary)
            content["compression"] = compression(material, outlines, summary)
        return content

    def shared_outputs(self, sample: Sample, outputs: list[Any]) -> list[dict[str, Any]]:
        material = sample.planned_material()
        compressed = self._book_outlines(material, outputs)
        if compressed is None:
            return []
        outlines, summary = compressed
        book = material["book"]
        return [{"_id": outlines_id(book["hash"], outlines, summary), "kind": "book_outlines",
                 "book_id": book["id"], "book_title": book["title"], "book_hash": book["hash"],
                 "chapters": [{"number": c["number"], "title": c["title"],
                               "outline": outlines[c["number"]]}
                              for c in material["chapters"]],
                 "summary": summary,
                 "compression": compression(material, outlines, summary)}]

    def parts(self, content: dict[str, Any], params: ClaimsParams) -> list[Part]:
        unit = content["claim_unit"]
        return [Part("claim", content["true_claim"], unit),
                Part("claim", content["false_claim"], unit),
                Part("reasoning", content["true_reasoning"], unit),
                Part("reasoning", content["false_reasoning"], unit)]

    def dedup_text(self, content: dict[str, Any]) -> str:
        # Two pairs making one claim are duplicates however differently they argue it.
        return f"{content['true_claim']}\n{content['false_claim']}"

    def judge_call(self, sample: Sample, content: dict[str, Any]
                   ) -> tuple[str, dict[str, Any]]:
        return "claims/judge.j2", {
            "scope": content["scope"], "chapters": content["chapters_cited"],
            "evidence": content["evidence"],
            **{k: content[k] for k in ("true_claim", "false_claim", "true_reasoning",
                                       "false_reasoning", "changed_detail")}}

    # -- exports -------------------------------------------------------------------------

    def export_documents(self, record: dict[str, Any], fmt: str) -> list[str]:
        return [] if fmt == "claims" else [record["book"]["id"]]

    def _claims(self, record: dict[str, Any]) -> list[tuple[str, str, bool, str, str]]:
        """(id suffix, claim, label, its reasoning, the other claim's reasoning)."""
        return [("true", record["true_claim"], True, record["true_reasoning"],
                 record["false_reasoning"]),
                ("false", record["false_claim"], False, record["false_reasoning"],
                 record["true_reasoning"])]

    def _prompt(self, record: dict[str, Any], claim: str, options: ExportOptions
                ) -> dict[str, str]:
        book = record["book"]
        if book["id"] not in options.documents:
            raise ValueError(f"book {book['id']} ({book['title']}) is not in the corpus: "
                             "its text is needed for this export")
        text, _ = chapter_context(record, options.documents[book["id"]],
                                  options.max_context_tokens)
        return {"role": "user", "content": verification_prompt(text, book["title"], claim)}

    def export_rows(self, fmt: str, record: dict[str, Any],
                    options: ExportOptions = ExportOptions()) -> list[dict[str, Any]]:
        if fmt == "claims":
            return [self.export_row(fmt, record, options)]
        rows = []
        for suffix, claim, label, reasoning, other in self._claims(record):
            prompt = [self._prompt(record, claim, options)]
            row_id = f"{record['sample_id']}:{suffix}"
            if fmt == "dpo":  # the right verdict against the wrong one
                rows.append({"prompt": prompt, "chosen": [verdict_message(reasoning, label)],
                             "rejected": [verdict_message(other, not label)],
                             "id": row_id})
            elif fmt in ("sft", "openai"):
                messages = [*prompt, verdict_message(reasoning, label)]
                rows.append({"messages": messages, "id": row_id} if fmt == "sft"
                            else {"messages": messages})
            else:
                raise ValueError(f"paradigm claims has no {fmt!r} rows")
        return rows

    def export_row(self, fmt: str, record: dict[str, Any],
                   options: ExportOptions = ExportOptions()) -> dict[str, Any]:
        if fmt != "claims":
            return self.export_rows(fmt, record, options)[0]
        # The published CLIPPER dataset's columns, with the book named.
        return {"book_id": record["book"]["id"], "book_title": record["book"]["title"],
                "claim_type": record["scope"], "true_claim": record["true_claim"],
                "true_reasoning": record["true_reasoning"],
                "false_claim": record["false_claim"],
                "false_reasoning": record["false_reasoning"],
                "chapters": record["chapters_cited"], "events": record["events_cited"],
                "changed_detail": record["changed_detail"], "strategy": record["strategy"],
                "id": record["sample_id"]}

    def dpo_row(self, record: dict[str, Any], rejected: Draft,
                options: ExportOptions = ExportOptions()) -> dict[str, Any] | None:
        return None  # a record's pairs are its own preference rows (`export_rows`)

    def card_lines(self, records: list[dict[str, Any]]) -> list[str]:
        if not records:
            return ["- Claim pairs: none accepted"]
        scopes = Counter(r["scope"] for r in records)
        strategies = Counter(r["strategy"] for r in records)
        books = sorted({f"{r['book']['title']} ({r['book'].get('licence') or 'licence unknown'})"
                        for r in records})
        return [
            f"- Claim pairs: {len(records)} ({len(records)} TRUE and {len(records)} FALSE "
            f"claims); scope: {', '.join(f'{k} {n}' for k, n in sorted(scopes.items()))}",
            f"- Strategy: {', '.join(f'{k} ({n})' for k, n in sorted(strategies.items()))}",
            *compression_lines(records),
            f"- Books: {'; '.join(books) or '-'}",
        ]

    def report_section(self, records: list[dict[str, Any]], drafts: list[dict[str, Any]]
                       ) -> ReportSection | None:
        from longweave.paradigms.claims.report import report_section

        return report_section(records)


def compression_lines(records: list[dict[str, Any]]) -> list[str]:
    """Outline tokens as a share of chapter tokens, summary tokens of book tokens: per book
    and for the run (each book counted once)."""
    per_book = {r["book"]["id"]: (r["book"]["title"], r["compression"])
                for r in records if r.get("compression")}
    if not per_book:
        return []
    lines = ["- Compression (outlines / chapters, summary / book):"]
    for title, c in sorted(per_book.values(), key=lambda item: item[0]):
        lines.append(f"  - {title}: {c['outline_tokens'] / c['chapter_tokens']:.1%}, "
                     f"{c['summary_tokens'] / c['book_tokens']:.2%}")
    total = {k: sum(c[k] for _, c in per_book.values())
             for k in ("outline_tokens", "chapter_tokens", "summary_tokens", "book_tokens")}
    lines.append(f"  - run: {total['outline_tokens'] / total['chapter_tokens']:.1%}, "
                 f"{total['summary_tokens'] / total['book_tokens']:.2%}")
    return lines


claims = ClaimsParadigm()

__all__ = ["ClaimsParadigm", "ClaimsParams", "claims"]
