"""Server-sent events framing (text/event-stream): one `event:` name and one JSON `data:` line."""

from __future__ import annotations

import json
from typing import Any

MEDIA_TYPE = "text/event-stream"


def sse_frame(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of a complete SSE body; used by tests and the benchmark."""
    frames = []
    for block in text.split("\n\n"):
        event, data = "message", None
        for line in block.splitlines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:].strip())
        if data is not None:
            frames.append((event, data))
    return frames
