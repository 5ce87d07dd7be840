"""An Open311 GeoReport v2 endpoint: services.json, POST/GET requests.json, GET requests/{id}.json.

It de-duplicates POSTs by the Idempotency-Key header (or attribute[idempotency_key]) and can be
scripted to fail, time out, answer twice or go down (see ScriptedServer).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from tests.fakes._http import QuietHandler, ScriptedServer

SERVICES = [
    {"service_code": code, "service_name": name, "description": name, "metadata": False, "type": "realtime",
     "keywords": "", "group": group}
    for code, name, group in [
        ("GAS", "燃气", "公用事业"), ("HEAT", "供热", "公用事业"), ("WATER", "供水", "公用事业"),
        ("POWER", "供电", "公用事业"), ("TRAFFIC", "交通管理", "公安"), ("ILLEGAL_BUILDING", "违法建设", "城管"),
        ("HOUSING", "住房", "住建"), ("MARKET", "市场监管", "市场监管"), ("FOOD_SAFETY", "食品安全", "市场监管"),
        ("MUNICIPAL", "市政市容", "城市管理"), ("ENVIRONMENT", "生态环境", "生态环境"), ("LABOUR", "劳动保障", "人社"),
        ("EDUCATION", "教育", "教育"), ("HEALTH", "卫生健康", "卫健"), ("PUBLIC_SECURITY", "治安", "公安"),
        ("CIVIL_AFFAIRS", "民政", "民政"), ("TRANSPORT", "交通运输", "交通"), ("OTHER", "其他", "其他"),
    ]
]


class _Handler(QuietHandler):
    fake: Open311Server

    def _path(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        return parts.path, parse_qs(parts.query)

    def do_GET(self) -> None:  # noqa: N802
        """services.json, requests.json, requests/{id}.json."""
        fake = self.fake
        path, query = self._path()
        if path.endswith("/services.json"):
            return self.send_json(200, json.dumps(SERVICES, ensure_ascii=False).encode())
        if path.endswith("/requests.json"):
            ids = ",".join(query.get("service_request_id", [""])).split(",")
            with fake.lock:
                found = [fake.public(fake.store[i]) for i in ids if i in fake.store] if ids != [""] else \
                    [fake.public(r) for r in fake.store.values()]
            return self.send_json(200, json.dumps(found, ensure_ascii=False).encode())
        if "/requests/" in path and path.endswith(".json"):
            rid = path.rsplit("/", 1)[1].removesuffix(".json")
            with fake.lock:
                if rid not in fake.store:
                    return self.send_json(404, json.dumps([{"code": 404, "description": "not found"}]).encode())
                return self.send_json(200, json.dumps([fake.public(fake.store[rid])], ensure_ascii=False).encode())
        self.send_json(404, b'[{"code":404,"description":"no such method"}]')

    def do_POST(self) -> None:  # noqa: N802
        """POST requests.json (form-encoded)."""
        fake = self.fake
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        path, _ = self._path()
        if not path.endswith("/requests.json"):
            return self.send_json(404, b'[{"code":404,"description":"no such method"}]')
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if fake.api_key and form.get("api_key") != fake.api_key:
            return self.send_json(403, b'[{"code":403,"description":"invalid api_key"}]')
        if form.get("service_code") not in {s["service_code"] for s in SERVICES}:
            return self.send_json(400, b'[{"code":400,"description":"service_code not found"}]')
        if not (form.get("address_string") or form.get("lat")):
            return self.send_json(400, b'[{"code":400,"description":"location required"}]')
        mode = fake.next_mode()
        if mode == "fail":
            return self.send_json(500, b'[{"code":500,"description":"internal"}]')
        key = self.headers.get("Idempotency-Key") or form.get("attribute[idempotency_key]", "")
        with fake.lock:
            fake.posts[key] += 1
            if key not in fake.by_key:
                rid = str(1000 + len(fake.store))
                fake.by_key[key] = rid
                fake.store[rid] = {"service_request_id": rid, "status": "open", "status_notes": None,
                                   "service_code": form["service_code"], "description": form.get("description"),
                                   "address": form.get("address_string"), "form": form,
                                   "requested_datetime": datetime.now(UTC).isoformat()}
            rid = fake.by_key[key]
        if mode in ("timeout", "slow"):
            time.sleep(fake.slow_s)
        if mode == "twice":
            return self.send_json(500, b'[{"code":500,"description":"answer lost"}]')
        self.send_json(201, json.dumps([{"service_request_id": rid, "service_notice": "已接收"}]).encode())


class Open311Server(ScriptedServer):
    """Holds service requests in memory; `close_request` plays the city closing one."""

    def __init__(self, *, api_key: str | None = None) -> None:
        super().__init__(_Handler)
        self.api_key = api_key
        self.store: dict[str, dict] = {}
        self.by_key: dict[str, str] = {}
        self.posts: Counter[str] = Counter()

    @staticmethod
    def public(record: dict) -> dict:
        """A request as GET requests.json shows it."""
        return {k: v for k, v in record.items() if k != "form"}

    def close_request(self, rid: str, notes: str) -> None:
        """Mark a request closed with notes."""
        with self.lock:
            self.store[rid].update(status="closed", status_notes=notes,
                                   updated_datetime=datetime.now(UTC).isoformat())
