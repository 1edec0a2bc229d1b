"""`longweave report` against the real store: small hand-built runs, stored through the
Store API the way the stages store them (the sampler's run and samples, the stitcher's
drafts, the validator's and the judge's verdicts, the generator's regenerations and dead
letters, the LLM gateway's call records, the sink's records), then the report's numbers
(its JSON, and the tables of its HTML read back with an HTML parser) checked against
direct MongoDB queries; the page opened in a real headless browser (Debian's chromium,
driven by playwright); the local llama.cpp server's embedding mode; the CLI."""

import asyncio
import json
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from longweave.contracts import (
    AcceptedSample,
    AxisScore,
    CheckResult,
    DeadLetter,
    Judgment,
    ScenarioRequest,
    Usage,
    ValidationReport,
)
from longweave.contracts.records import AttemptFailure
from longweave.llm.cache import CachedReply, ResponseCache
from longweave.llm.scope import CallScope
from longweave.report import build_report, write_report
from longweave.report.embeddings import EmbedderInfo, EndpointEmbedder, local_embedding_server
from longweave.settings import Settings
from longweave.sink.logic import build_record
from longweave.store import Store, draft_id
from support.samples import make_draft, make_sample
from support.tools import CHROMIUM_ARGS, chromium

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PARAMS = {"segments": 1, "turns_per_segment": 2, "target_tokens": 60, "length_tolerance": 0.5}
SAMPLED = [("finance", "France", "formal", ["persona_shift"]),
           ("finance", "Ghana", "formal", []),
           ("travel", "France", "casual", ["persona_shift"]),
           ("travel", "Chile", "casual", [])]
CONVERSATIONS = [
    ("My bakery's supplier invoice was debited twice this month.",
     "I can see both debits of 120 euros. I have opened a refund for the second one; it "
     "reaches your account within three working days."),
    ("Could you move my dentist appointment to Friday morning?",
     "Friday at nine is free. I have moved it and sent the confirmation to your e-mail."),
    ("The parcel I sent to Valparaíso never arrived.",
     "I am sorry. Tracking shows it held at customs; I have asked them to release it."),
    ("How do I change the beneficiary of my savings plan?",
     "Fill in the change form in the app and sign it; the bank confirms within a week."),
]


class Run:
    """Writes one run's documents the way the stages do."""

    def __init__(self, store: Store, run_id: str, count: int, max_attempts: int = 2) -> None:
        self.store, self.run_id, self.count = store, run_id, count
        self.max_attempts = max_attempts
        self.calls = 0

    async def start(self) -> None:
        request = ScenarioRequest(request_id=f"req-{self.run_id}", run_id=self.run_id,
                                  paradigm="conversation", params=PARAMS, count=self.count,
                                  max_attempts=self.max_attempts, seed=11)
        await self.store.create_run({
            "_id": self.run_id, "request_id": request.request_id,
            "request": request.model_dump(mode="json"), "requested": self.count,
            "status": "running", "created_at": T0})
        await self.store.create_samples([
            make_sample(self.sample_id(i), params=PARAMS, scenario={"domain": domain},
                        sampled={"domain": domain, "geography": {"country": country},
                                 "tone": tone, "layers": layers},
                        layers=[{"operator": name} for name in layers], created_at=T0)
            for i, (domain, country, tone, layers) in enumerate(SAMPLED[:self.count])])
        await self.store.update_run(self.run_id, {"fanned_out": True})

    def sample_id(self, index: int) -> str:
        return f"{self.run_id}-{index:06d}"

    async def call(self, index: int, attempt: int, purpose: str, prompt: int,
                   completion: int) -> None:
        """An LLM call as the gateway records it (llm_calls)."""
        self.calls += 1
        scope = CallScope(run_id=self.run_id, template_version=f"{purpose}@v1",
                          sample_id=self.sample_id(index), attempt=attempt, purpose=purpose)
        await ResponseCache(self.store).put(
            f"key-{self.run_id}-{self.calls}",
            CachedReply("reply", "stop", Usage(prompt_tokens=prompt,
                                               completion_tokens=completion), "model"),
            {**scope.record_fields(), "role": "judge" if purpose == "judge" else "generator",
             "template_version": scope.template_version, "usage_estimated": False,
             "latency_s": 0.5, "http_attempts": 1, "cost_usd": 0.001 * completion})

    async def draft(self, index: int, attempt: int, user: str, assistant: str) -> str:
        """The generator's call and the stitcher's draft."""
        await self.call(index, attempt, "segment", 150 + 10 * index, 40 + attempt)
        messages = [{"role": "system", "content": "You are a helpful clerk."},
                    {"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
        d_id = draft_id(self.sample_id(index), attempt)
        await self.store.save_draft(make_draft({"messages": messages}, d_id, run_id=self.run_id,
                                               attempt=attempt, created_at=T0))
        return d_id

    def report(self, index: int, attempt: int, failures: dict[str, str]) -> ValidationReport:
        checks = [CheckResult(name=name, passed=name not in failures,
                              reason=failures.get(name, ""),
                              details={"tokens": 20 if name in failures else 45, "low": 30,
                                       "high": 90} if name == "token_window" else {})
                  for name in ("turn_structure", "token_window", "near_duplicate")]
        return ValidationReport(run_id=self.run_id, sample_id=self.sample_id(index),
                                attempt=attempt, draft_id=draft_id(self.sample_id(index), attempt),
                                passed=not failures, checks=checks)

    async def reject_by_checks(self, index: int, attempt: int, failures: dict[str, str]
                               ) -> list[str]:
        report = self.report(index, attempt, failures)
        reasons = [f"{f.name}: {f.reason}" for f in report.failures]
        await self.store.reject_draft(report.draft_id, "validator", reasons, {
            "validation": report.model_dump(mode="json", include={"passed", "checks"})})
        return reasons

    async def judge(self, index: int, attempt: int, coherence: int) -> Judgment:
        await self.call(index, attempt, "judge", 300, 30)
        report = self.report(index, attempt, {})
        failed = ["coherence"] if coherence < 3 else []
        judgment = Judgment(run_id=self.run_id, sample_id=self.sample_id(index),
                            attempt=attempt, draft_id=report.draft_id, passed=not failed,
                            scores={"coherence": AxisScore(score=coherence, rationale="r"),
                                    "tone_fidelity": AxisScore(score=4, rationale="r")},
                            model="judge-model", prompt_version="judge@v1", failed_axes=failed)
        verdict = {"judgment": judgment.model_dump(mode="json"),
                   "validation": report.model_dump(mode="json", include={"passed", "checks"})}
        if judgment.passed:
            await self.store.update_draft(report.draft_id, verdict)
        else:
            reasons = [f"judge: coherence scored {coherence}/5 (needs 3): off topic"]
            await self.store.reject_draft(report.draft_id, "judge", reasons, verdict)
        return judgment

    async def regenerate(self, index: int, attempt: int, stage: str, reasons: list[str]
                         ) -> None:
        failure = AttemptFailure(attempt=attempt, stage=stage, reasons=reasons,
                                 at=T0.isoformat())
        if attempt >= self.max_attempts:  # out of attempts: the generator's dead letter
            sample = await self.store.get_sample(self.sample_id(index))
            letter = DeadLetter(dead_letter_id=f"sample:{self.sample_id(index)}",
                                kind="attempts_exhausted", source_topic="regeneration",
                                run_id=self.run_id, sample_id=self.sample_id(index),
                                reasons=reasons, history=[
                                    f.model_dump() for f in (*sample.history, failure)])
            await self.store.save_dead_letter({"_id": letter.dead_letter_id,
                                               **letter.model_dump(mode="json")})
            await self.store.finish_sample(self.sample_id(index), "dead_lettered",
                                           {"dead_letter_id": letter.dead_letter_id},
                                           run_id=self.run_id)
            return
        await self.store.begin_attempt(self.sample_id(index), attempt, [], reasons, failure,
                                       origin=f"{stage}:{attempt}")

    async def accept(self, index: int, attempt: int, judgment: Judgment) -> None:
        sample = await self.store.get_sample(self.sample_id(index))
        draft = await self.store.get_draft(judgment.draft_id)
        usage, seconds = await self.store.llm_usage_of(self.run_id, sample.id)
        accepted_at = T0 + timedelta(minutes=index + 1)
        record = build_record(AcceptedSample(run_id=self.run_id, sample_id=sample.id,
                                             attempt=attempt, draft_id=judgment.draft_id,
                                             judgment=judgment),
                              sample, draft, usage, seconds, accepted_at)
        await self.store.save_record(record)
        await self.store.finish_sample(sample.id, "accepted", {
            "accepted_attempt": attempt, "accepted_at": accepted_at}, run_id=self.run_id)


async def store_mixed_run(store: Store, run_id: str = "run-mixed") -> Run:
    """Four samples: accepted at once; accepted after failing the token window; judged
    incoherent then failing two checks (out of attempts: dead-lettered); stopped."""
    run = Run(store, run_id, 4)
    await run.start()
    await run.draft(0, 1, *CONVERSATIONS[0])
    await run.accept(0, 1, await run.judge(0, 1, 5))

    await run.draft(1, 1, CONVERSATIONS[1][0], "Yes.")
    reasons = await run.reject_by_checks(1, 1, {"token_window": "too short: ~20 tokens"})
    await run.regenerate(1, 1, "validator", reasons)
    await run.draft(1, 2, *CONVERSATIONS[1])
    await run.accept(1, 2, await run.judge(1, 2, 4))

    await run.draft(2, 1, *CONVERSATIONS[2])
    judgment = await run.judge(2, 1, 2)
    await run.regenerate(2, 1, "judge", ["judge: coherence scored 2/5 (needs 3): off topic"])
    assert not judgment.passed
    await run.draft(2, 2, CONVERSATIONS[2][0], "Sorry")
    reasons = await run.reject_by_checks(2, 2, {"token_window": "too short: ~20 tokens",
                                                "turn_structure": "1 turns, expected 2"})
    await run.regenerate(2, 2, "validator", reasons)

    await store.finish_sample(run.sample_id(3), "stopped", {"stopped_reason": "cancelled"},
                              run_id=run_id)
    return run


async def store_clean_run(store: Store, run_id: str = "run-clean") -> Run:
    """Two samples, both accepted at their first attempt."""
    run = Run(store, run_id, 2)
    await run.start()
    for index in (0, 1):
        await run.draft(index, 1, *CONVERSATIONS[index + 2])
        await run.accept(index, 1, await run.judge(index, 1, 4 + index))
    return run


async def distinct_samples(store: Store, match: dict) -> int:
    groups = store.db.drafts.aggregate([{"$match": match}, {"$group": {"_id": "$sample_id"}}])
    return len([g async for g in groups])


def html_table(soup: BeautifulSoup, section: str, first_header: str = "") -> dict[str, list]:
    for table in soup.select(f"section#{section} table"):
        if table.thead.th.get_text() == first_header:
            return {tr.th.get_text(): [td.get_text() for td in tr.find_all("td")]
                    for tr in table.tbody.find_all("tr")}
    raise AssertionError(f"no table headed {first_header!r} in #{section}")


def lexical() -> Settings:
    return Settings(embeddings_backend="lexical")


async def test_the_reports_numbers_are_the_stores(store, tmp_path):
    await store_mixed_run(store)
    run = await store.db.runs.find_one({"_id": "run-mixed"})
    assert run["status"] == "complete"  # the last sample to end completed it

    path = await write_report(["run-mixed"], tmp_path, store, lexical())
    assert path == tmp_path / "report.html"
    report = json.loads((tmp_path / "report.json").read_text())
    [figures] = report["runs"]
    db, match = store.db, {"run_id": "run-mixed"}

    for stage in ("accepted", "dead_lettered", "stopped"):
        assert figures["funnel"][stage] == await db.samples.count_documents(
            {**match, "stage": stage}), stage
    assert figures["funnel"]["requested"] == run["requested"] == 4
    assert figures["funnel"]["generated"] == await distinct_samples(store, match) == 3
    assert figures["funnel"]["validated"] == await distinct_samples(
        store, {**match, "validation.passed": True}) == 3
    assert figures["funnel"]["judged"] == await distinct_samples(
        store, {**match, "judgment": {"$exists": True}}) == 3
    assert figures["drafts"]["drafts"] == await db.drafts.count_documents(match) == 5
    assert figures["drafts"]["rejected_by_checks"] == await db.drafts.count_documents(
        {**match, "rejected.stage": "validator"}) == 2
    for check in ("token_window", "turn_structure"):
        assert figures["rejections"]["by_check"][check]["drafts"] == \
            await db.drafts.count_documents({**match, "validation.checks": {
                "$elemMatch": {"name": check, "passed": False}}}), check
    assert "near_duplicate" not in figures["rejections"]["by_check"]
    assert figures["rejections"]["by_axis"]["coherence"]["drafts"] == \
        await db.drafts.count_documents({**match, "judgment.failed_axes": "coherence"}) == 1
    accepted = await db.records.count_documents(match)
    assert figures["headline"]["accepted"] == accepted == 2
    assert figures["headline"]["yield"] == accepted / 4

    [totals] = await db.llm_calls.aggregate([{"$match": match}, {"$group": {
        "_id": None, "prompt": {"$sum": "$usage.prompt_tokens"},
        "completion": {"$sum": "$usage.completion_tokens"}, "calls": {"$sum": 1}}}]
    ).to_list(None)
    cost = figures["cost"]
    assert (cost["prompt_tokens"], cost["completion_tokens"], cost["calls"]) == \
        (totals["prompt"], totals["completion"], totals["calls"])
    assert cost["per_accepted"]["tokens"] == \
        figures["headline"]["tokens_per_accepted"] == \
        (totals["prompt"] + totals["completion"]) / accepted
    assert run["usage"]["prompt_tokens"] + run["usage"]["completion_tokens"] == \
        totals["prompt"] + totals["completion"]  # what the export's card reads

    assert figures["judge_scores"]  # the mixed run's judged drafts
    for axis, scores in figures["judge_scores"].items():
        rows = await db.drafts.aggregate([
            {"$match": {**match, f"judgment.scores.{axis}": {"$exists": True}}},
            {"$group": {"_id": f"$judgment.scores.{axis}.score", "n": {"$sum": 1}}}],
        ).to_list(None)
        assert {str(int(r["_id"])): r["n"] for r in rows} == \
            {score: n for score, n in scores["counts"].items() if n}, axis
        assert scores["n"] == sum(r["n"] for r in rows), axis
    assert figures["regeneration"]["by_outcome"] == {
        "accepted": {"1": 1, "2": 1}, "dead_lettered": {"2": 1}, "stopped": {"1": 1}}
    reasons = figures["rejections"]["top_reasons"]
    assert reasons[0]["reason"] == "token_window: too short"
    assert reasons[0]["count"] == 2  # two samples' drafts (one from the dead letter)
    example = reasons[0]["example"]
    assert example["draft_id"] == "run-mixed-000001:a1"
    assert example["excerpt"].startswith("Could you move my dentist appointment")
    assert "helpful clerk" not in example["excerpt"]  # the system message is not written
    assert figures["lengths"]["window"] == [30, 90]
    assert figures["coverage"]["domain"] == {"finance": {"sampled": 2, "accepted": 2},
                                             "travel": {"sampled": 2, "accepted": 0}}
    assert figures["coverage"]["operator"]["persona_shift"] == {"sampled": 2, "accepted": 1}
    similarity = figures["diversity"]["similarity"]
    assert similarity["pairs"] == 1 and similarity["records"] == 2
    assert report["embedder"]["kind"] == "lexical"

    # The page shows the same numbers.
    soup = BeautifulSoup(path.read_text(), "html.parser")
    funnel = html_table(soup, "funnel", "stage")
    for stage in ("requested", "generated", "validated", "judged", "accepted",
                  "dead_lettered", "stopped"):
        assert funnel[stage.replace("_", "-")][0].split(" ")[0] == \
            str(figures["funnel"][stage]), stage
    checks = html_table(soup, "rejections", "check")
    assert checks["token_window"] == ["2 (40.0%)"]  # of the 5 validated drafts
    assert checks["turn_structure"] == ["1 (20.0%)"]
    headline = html_table(soup, "headline")
    assert headline["accepted / requested"] == ["2 / 4"]
    assert headline["tokens per accepted record"] == \
        [f"{figures['headline']['tokens_per_accepted']:,.0f}"]
    assert soup.find("script") is None
    assert all(img["src"].startswith("data:image/png;base64,") for img in soup.find_all("img"))


async def test_runs_side_by_side_with_labels_in_a_real_browser(store, tmp_path):
    await store_mixed_run(store)
    await store_clean_run(store)
    png = tmp_path / "figures.png"
    path = await write_report(["run-mixed", "run-clean"], tmp_path / "both", store, lexical(),
                              title="mixed vs clean",
                              arm_labels={"run-mixed": "mixed", "run-clean": "clean"},
                              png=png, question="Does a clean run look clean?")
    report = json.loads((path.parent / "report.json").read_text())
    assert [r["label"] for r in report["runs"]] == ["mixed", "clean"]
    assert report["runs"][1]["funnel"]["accepted"] == 2
    assert png.read_bytes().startswith(b"\x89PNG")
    soup = BeautifulSoup(path.read_text(), "html.parser")
    assert [th.get_text() for th in soup.select("section#funnel thead th")] == \
        ["stage", "mixed", "clean"]
    assert html_table(soup, "headline")["yield"] == ["50.0%", "100.0%"]

    from playwright.async_api import async_playwright

    requests, problems = [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            await page.goto(path.resolve().as_uri(), wait_until="load")
            images = await page.eval_on_selector_all(
                "img", "els => els.map(e => [e.alt, e.complete, e.naturalWidth])")
            title = await page.title()
        finally:
            await browser.close()
    assert title == "mixed vs clean"
    assert len(images) >= 9
    assert [alt for alt, complete, width in images if not (complete and width > 0)] == []
    assert problems == []
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []


async def test_an_embedding_endpoint_that_fails_leaves_the_rest_of_the_report(store, tmp_path):
    await store_clean_run(store)
    settings = Settings(embeddings_url="http://127.0.0.1:9/v1", embeddings_model="m")
    report = await build_report(["run-clean"], store, settings)
    assert report["embedder"]["kind"] == "endpoint"
    assert report["embedder"]["unavailable"].startswith("ConnectError")
    assert report["runs"][0]["diversity"]["similarity"] == {
        "unavailable": report["embedder"]["unavailable"]}
    assert report["runs"][0]["funnel"]["accepted"] == 2
    with pytest.raises(ValueError, match="no run run-gone"):
        await build_report(["run-gone"], store, settings)


async def test_the_default_embedder_is_the_local_model_in_embedding_mode(store, tmp_path):
    await store_mixed_run(store)
    await store_clean_run(store)
    settings = Settings(embeddings_backend="auto", embeddings_url=None, local_llm_threads=1)
    report = await build_report(["run-mixed", "run-clean"], store, settings)
    embedder = report["embedder"]
    assert (embedder["kind"], embedder["unavailable"]) == ("local", None)
    assert "weak semantic embedder" in embedder["note"]
    assert embedder["texts"] == 4 and embedder["tokens"] > 0
    for run in report["runs"]:
        similarity = run["diversity"]["similarity"]
        assert similarity["pairs"] == 1
        assert -1.0 <= similarity["values"][0] <= 1.0


async def test_llama_cpp_embeds_through_the_openai_api_with_mean_pooling():
    texts = ["The supplier invoice was debited twice; please refund one payment.",
             "The supplier's invoice was charged two times, so refund one of the payments.",
             "A hiking trail in Patagonia climbs past glaciers to a windy pass."]
    with local_embedding_server(threads=1, ctx=2048) as base_url:
        info = EmbedderInfo("local", "llama.cpp", "test")
        vectors = await EndpointEmbedder(base_url, "smollm2", info).embed(texts)
        again = await EndpointEmbedder(base_url, "smollm2", info).embed(texts[:1])
    assert len(vectors) == 3 and len(vectors[0]) == 576  # SmolLM2-135M's hidden size
    assert vectors[0] == pytest.approx(again[0], abs=1e-4)  # the same text, the same vector

    def cos(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
            sum(x * x for x in a) * sum(y * y for y in b))

    # Weak, but not blind: a paraphrase sits closer than an unrelated text.
    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2])
    assert info.tokens > 0 and info.seconds > 0


async def test_the_cli_writes_the_report_and_status_points_at_it(store, servers, tmp_path):
    await store_clean_run(store)
    env = {**os.environ, **servers.env(), "LONGWEAVE_MONGODB_DB": store.db.name,
           "LONGWEAVE_EMBEDDINGS_BACKEND": "lexical",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path("services").resolve()),
                                                       os.environ.get("PYTHONPATH", "")]))}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "longweave", *args], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=180,
                              check=False)

    before = await asyncio.to_thread(cli, "status", "run-clean")
    assert "report: `longweave report run-clean` writes out/reports/run-clean/report.html" \
        in before.stdout
    done = await asyncio.to_thread(cli, "report", "run-clean", "--png", "main.png")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "out/reports/run-clean/report.html"
    assert "report: reading run-clean" in done.stderr  # progress, on stderr
    assert (tmp_path / "out/reports/run-clean/report.json").exists()
    assert (tmp_path / "main.png").read_bytes().startswith(b"\x89PNG")
    after = await asyncio.to_thread(cli, "status", "run-clean")
    written = (tmp_path / "out/reports/run-clean/report.html").resolve()
    assert f"report: {written} (`longweave report run-clean` rewrites it)" in after.stdout
    elsewhere = await asyncio.to_thread(cli, "report", "run-clean", "--out", "x", "--json")
    assert json.loads(elsewhere.stdout)["run_ids"] == ["run-clean"]
    # status points at the run's latest report, wherever it was written.
    moved = await asyncio.to_thread(cli, "status", "run-clean")
    assert f"report: {(tmp_path / 'x' / 'report.html').resolve()} (the latest written)" \
        in moved.stdout
    missing = await asyncio.to_thread(cli, "report", "run-gone")
    assert missing.returncode == 2 and "no run 'run-gone'" in missing.stderr
