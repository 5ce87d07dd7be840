"""A webhook receiver that verifies our signature and de-duplicates by Idempotency-Key, and can misbehave."""

from __future__ import annotations

import json
import time
from collections import Counter

from connectors.dispatch.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadSignature, verify
from tests.fakes._http import QuietHandler, ScriptedServer


class _Handler(QuietHandler):
    fake: WebhookReceiver

    def do_POST(self) -> None:  # noqa: N802
        """Receive one message."""
        fake = self.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            verify(fake.secret, timestamp=self.headers.get(TIMESTAMP_HEADER),
                   signature=self.headers.get(SIGNATURE_HEADER), body=body, window_s=300)
        except BadSignature:
            with fake.lock:
                fake.bad_signatures += 1
            return self.send_json(401, b'{"error":"bad signature"}')
        mode = fake.next_mode()
        if mode == "fail":
            return self.send_json(500, b'{"error":"internal"}')
        key = self.headers.get("Idempotency-Key") or ""
        doc = json.loads(body)
        with fake.lock:
            fake.requests[key] += 1
            duplicate = key in fake.cases
            if not duplicate:
                fake.cases[key] = {"case_id": f"WH-{len(fake.cases) + 1}", "body": doc}
            case_id = fake.cases[key]["case_id"]
        if mode in ("timeout", "slow"):
            time.sleep(fake.slow_s)
        if mode == "twice":
            return self.send_json(500, b'{"error":"answer lost"}')
        self.send_json(200, json.dumps({"case_id": case_id, "duplicate": duplicate}).encode())


class WebhookReceiver(ScriptedServer):
    """Records each case once per idempotency key; `requests` counts every arrival."""

    def __init__(self, *, secret: str) -> None:
        super().__init__(_Handler)
        self.secret = secret
        self.cases: dict[str, dict] = {}
        self.requests: Counter[str] = Counter()
        self.bad_signatures = 0
