"""Which corpus documents a request draws from: the params every paradigm that reads the
corpus shares (its params model inherits them), and their MongoDB filter."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DocumentSelection(BaseModel):
    collection: str | None = Field(None, description="draw documents from this collection")
    tags: list[str] = Field(default_factory=list, description="documents with all these tags")
    document_ids: list[str] = Field(default_factory=list, max_length=1000,
                                    description="only these documents")

    def document_filter(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.collection:
            found["collection"] = self.collection
        if self.tags:
            found["tags"] = {"$all": self.tags}
        if self.document_ids:
            found["_id"] = {"$in": self.document_ids}
        return found
