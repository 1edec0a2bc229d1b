import random

from longweave.validator.minhash import (
    BANDS,
    DUPLICATE_JACCARD,
    NUM_PERM,
    MemoryLSHIndex,
    band_hashes,
    best_duplicate,
    jaccard_estimate,
    pack_signature,
    signature,
    unpack_signature,
)

rng = random.Random(7)
VOCABULARY = [f"word{i}" for i in range(5000)]
TEXT = " ".join(rng.choice(VOCABULARY) for _ in range(600))


def edit_every(text: str, step: int, tag: str) -> str:
    words = text.split()
    return " ".join(f"{tag}{i}" if i % step == 0 else w for i, w in enumerate(words))


def test_signatures_are_deterministic_and_banded():
    assert signature(TEXT) == signature(TEXT)
    assert len(band_hashes(signature(TEXT))) == BANDS


def test_a_lightly_edited_copy_is_a_duplicate():
    assert jaccard_estimate(signature(TEXT), signature(edit_every(TEXT, 40, "x"))) >= DUPLICATE_JACCARD


def test_two_fills_of_one_template_are_not_merged():
    # Same long template, every tenth word a different slot value.
    a, b = edit_every(TEXT, 10, "alpha"), edit_every(TEXT, 10, "beta")
    assert jaccard_estimate(signature(a), signature(b)) < DUPLICATE_JACCARD


def test_the_index_finds_the_copy_among_unrelated_records_without_scanning_them():
    index = MemoryLSHIndex()
    for i in range(200):
        other = " ".join(rng.choice(VOCABULARY) for _ in range(300))
        index.add(f"s{i}", signature(other))
    index.add("original", signature(TEXT))
    copy = signature(edit_every(TEXT, 50, "y"))
    candidates = index.candidates(copy, exclude="copy")
    assert [c[0] for c in candidates] == ["original"]  # band lookup, not a scan
    assert best_duplicate(copy, candidates).sample_id == "original"
    assert index.candidates(copy, exclude="original") == []


def test_a_signature_is_stored_packed_and_read_back_in_either_form():
    sig = signature("a record to be stored in the near-duplicate index " * 5)
    packed = pack_signature(sig)
    assert isinstance(packed, bytes) and len(packed) == 8 * NUM_PERM
    assert unpack_signature(packed) == sig
    assert unpack_signature(list(sig)) == sig  # entries written before packing


def test_signatures_are_the_same_in_every_process_and_fit_bson_int64():
    # Pinned: records signed by different validator processes (or versions of rensa) are
    # compared with one another, so the hashing must never change under a run.
    sig = signature("the quick brown fox jumps over the lazy dog")
    assert sig[:4] == [3299698207, 3340583497, 3521487089, 3392661266]
    assert len(sig) == NUM_PERM and all(0 <= v < 2**32 < 2**63 for v in sig)
