"""Judge: an LLM scores each record on named axes; thresholds decide accept or regenerate."""
