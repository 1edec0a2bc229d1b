"""Diversity figures on texts whose answers are known: distinct-n, self-BLEU, the hashed
TF-IDF embedding and the similarity distribution with its nearest pairs."""

import numpy as np
import pytest

from longweave.report.diversity import (
    distinct_n,
    hashed_tfidf,
    pairwise_cosines,
    seeded_sample,
    self_bleu,
    similarity_figures,
    words,
)


def test_distinct_n_is_distinct_ngrams_over_all_ngrams_of_all_texts():
    texts = ["A b a b", "b, A!"]
    assert words("A b, a!") == ["a", "b", "a"]
    assert distinct_n(texts, 1) == 2 / 6
    # a-b, b-a, a-b | b-a: two distinct of four (n-grams never span two texts)
    assert distinct_n(texts, 2) == 2 / 4
    assert distinct_n(texts, 3) == 2 / 2
    assert distinct_n(["one"], 2) is None


def test_in_scripts_without_spaces_a_letter_is_a_word():
    assert words("東京は晴れ, Tokyo 2024") == ["東", "京", "は", "晴", "れ", "tokyo", "2024"]
    # Two sentences sharing half their characters: not two distinct one-word texts.
    assert distinct_n(["東京は晴れ", "東京は雨"], 1) == 6 / 9
    assert self_bleu(["東京は晴れです", "大阪は雨でした"])["value"] > 0


def test_self_bleu_is_100_for_copies_0_for_disjoint_texts_and_seeded():
    copies = ["the cat sat on the mat today"] * 3
    assert self_bleu(copies) == {"value": pytest.approx(100.0), "texts": 3}
    disjoint = ["alpha beta gamma delta", "epsilon zeta eta theta", "iota kappa lambda mu"]
    assert self_bleu(disjoint)["value"] == 0.0
    assert self_bleu(["only one"]) == {"value": None, "texts": 1}
    many = [f"text number {i} about topic {i % 3}" for i in range(40)]
    assert self_bleu(many, sample=10) == self_bleu(many, sample=10)
    assert self_bleu(many, sample=10)["texts"] == 10
    assert seeded_sample(many, 10, "s") == seeded_sample(many, 10, "s") != \
        seeded_sample(many, 10, "other")


def test_partial_overlap_scores_between_the_extremes():
    value = self_bleu(["the cat sat on the mat", "the cat sat on a rug"])["value"]
    assert 0 < value < 100


def test_hashed_tfidf_rows_are_unit_vectors_that_see_shared_words():
    vectors = hashed_tfidf(["invoice paid twice", "invoice paid twice", "sunny beach holiday",
                            ""])
    assert vectors.shape == (4, 2**14)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0)
    assert not vectors[3].any()  # an empty text: the zero vector, not NaN
    cos = pairwise_cosines(vectors[:3])
    assert cos[0] == pytest.approx(1.0)  # (0, 1)
    assert cos[1] == pytest.approx(0.0)  # (0, 2)


def test_similarity_figures_histogram_every_pair_and_name_the_nearest():
    vectors = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]]
    found = similarity_figures(vectors, ["a", "b", "c", "d"], nearest=2)
    assert found["pairs"] == 6 and sum(found["histogram"]["counts"]) == 6
    assert [(p["a"], p["b"]) for p in found["nearest"]] == [("a", "b"), ("b", "c")]
    assert found["max"] == pytest.approx(found["nearest"][0]["similarity"])
    assert min(found["values"]) == pytest.approx(-1.0)
    assert similarity_figures([[1.0]], ["a"])["pairs"] == 0


def test_many_pairs_keep_their_histogram_but_not_every_value():
    rng = np.random.default_rng(0)
    found = similarity_figures(rng.normal(size=(101, 8)), [str(i) for i in range(101)])
    assert found["pairs"] == 5050 and found["values"] is None
    assert sum(found["histogram"]["counts"]) == 5050 and len(found["histogram"]["edges"]) == 41
