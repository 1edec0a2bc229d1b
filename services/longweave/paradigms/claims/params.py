"""The claims paradigm's request parameters (``params`` of a request)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from longweave.corpus.selection import DocumentSelection

Strategy = Literal["clipper", "naive"]


class ClaimsParams(DocumentSelection):
    model_config = ConfigDict(extra="forbid")
    strategy: Strategy = Field("clipper", description=(
        "clipper: claims written from chapter outlines and a book summary (the book "
        "compressed first); naive: claims written straight from the raw chapter text, the "
        "baseline to compare against"))
    book_level_share: float = Field(0.5, ge=0, le=1, description=(
        "the share of claim pairs that combine several chapters (book-level); the rest "
        "rest on one chapter (chapter-level)"))
    chapters_per_book_claim: int = Field(2, ge=2, le=5,
                                         description="chapters a book-level claim combines")
    outline_part_tokens: int = Field(6000, ge=300, le=200_000, description=(
        "a chapter longer than this is outlined in parts of at most this many tokens, "
        "then merged (keep it inside the model's context)"))
    summary_input_tokens: int = Field(12000, ge=1000, le=1_000_000, description=(
        "outlines up to this many tokens are summarised at once; more are summarised in "
        "groups first (hierarchically)"))
    source_tokens: int = Field(6000, ge=300, le=200_000, description=(
        "raw chapter text shown where a unit reads it (the naive strategy's claims, "
        "verification against the text), shared by the chapters it cites"))
    verify_against: Literal["outlines", "text"] = Field("outlines", description=(
        "what each claim is verified against: the cited chapters' outlines, or (slower, "
        "catches outline errors) their raw text; the naive strategy always uses the text"))

    first_chapter: int = Field(1, ge=1, description=(
        "claims about chapters first_chapter to last_chapter only, outlined and summarised "
        "alone (a quick try, or a book too long to outline whole)"))
    last_chapter: int | None = Field(None, ge=1, description="see first_chapter; None: the "
                                     "book's last")

    @model_validator(mode="after")
    def _range(self) -> ClaimsParams:
        if self.last_chapter is not None and self.last_chapter < self.first_chapter:
            raise ValueError("last_chapter comes before first_chapter")
        return self

    def document_filter(self) -> dict[str, Any]:
        return {**super().document_filter(), "kind": "book"}
