"""Server-sent events framing (text/event-stream): one `event:` name and one JSON `data:` line."""

from __future__ import annotations

import json
from typing import Any

MEDIA_TYPE = "text/event-stream"


def sse_frame(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
