"""Schemathesis hooks for Sluice's contract run (loaded through SCHEMATHESIS_HOOKS)."""
import schemathesis
from hypothesis import strategies as st

# Schemathesis cannot serialize application/jsonl (a raw upload) by itself: send lines in the
# seed's format, or arbitrary bytes, which the API must refuse in its error envelope.
LINE = '{"key": "line-%d", "request": {"contents": [{"parts": [{"text": "Hi"}]}], "model": "qwen-7b"}}\n'
schemathesis.openapi.media_type(
    "application/jsonl",
    st.one_of(st.integers(1, 5).map(lambda n: "".join(LINE % i for i in range(n)).encode()), st.binary(max_size=512)),
)
