from longweave.llm.cache_key import cache_key

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10,
        "temperature": 0.7, "seed": 3}


def test_stable_and_independent_of_key_order():
    reordered = dict(reversed(list(BODY.items())))
    assert cache_key(BODY, "p@v1") == cache_key(reordered, "p@v1")
    assert len(cache_key(BODY, "p@v1")) == 64


def test_every_ingredient_changes_the_key():
    base = cache_key(BODY, "p@v1")
    variants = [
        {**BODY, "model": "other"},
        {**BODY, "messages": [{"role": "user", "content": "hi!"}]},
        {**BODY, "max_tokens": 11},
        {**BODY, "temperature": 0.0},
        {**BODY, "seed": 4},
        {**BODY, "response_format": {"type": "json_object"}},
    ]
    keys = {cache_key(v, "p@v1") for v in variants} | {cache_key(BODY, "p@v2"), base}
    assert len(keys) == len(variants) + 2
