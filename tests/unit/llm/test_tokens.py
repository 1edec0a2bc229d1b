from longweave.llm.tokens import TOKENS_PER_MESSAGE, estimate_prompt_tokens, estimate_tokens


def test_about_four_characters_per_token():
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    assert estimate_tokens("x" * 4000) == 1000


def test_prompt_estimate_counts_message_overhead():
    messages = [{"role": "system", "content": "x" * 40}, {"role": "user", "content": None}]
    assert estimate_prompt_tokens(messages) == 10 + 2 * TOKENS_PER_MESSAGE
