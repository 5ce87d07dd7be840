"""The dialogue acts' fit kept on disk: a cached fit decides as a fresh one, and a changed examples file, another
embedder or a damaged file is refitted instead of reused or crashing."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from bot.dialog import actcache
from bot.dialog.acts import ActDetector
from bot.triage.embedding import default_embedder

MESSAGES = ["帮我转人工客服", "你们这个机器人太没用了，气死我了", "我上次反映的事现在怎么样了", "算了，不要了",
            "很满意，处理得很快", "楼下烧烤店每天凌晨还在营业，油烟太大", "供暖期是什么时候？"]


class CharEmbedder:
    """Deterministic vectors from hashed character bigrams; counts the texts it embeds."""

    def __init__(self, salt: str = "") -> None:
        self.salt = salt
        self.embedded = 0

    def query(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in zip(text, text[1:] + " ", strict=True):
                out[row, hashlib.md5(f"{self.salt}{a}{b}".encode()).digest()[0] % 64] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _small_files(tmp_path: Path) -> tuple[Path, Path]:
    acts = tmp_path / "acts.yaml"
    acts.write_text(
        "handoff:\n  examples: [转人工, 我要找人工客服, 帮我接真人]\n  near: [人工费太贵了, 客服电话是多少]\n"
        "upset:\n  examples: [你们太没用了, 气死我了, 什么破机器人]\n  near: [楼道灯坏了气人, 没用的旧家具]\n",
        encoding="utf-8")
    background = tmp_path / "background.jsonl"
    background.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False)
                                    for t in ["楼下烧烤店油烟太大", "小区路灯坏了", "供暖不热"]) + "\n", encoding="utf-8")
    return acts, background


def _fits(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"{actcache.PREFIX}*.pkl"))


def test_a_cached_fit_decides_as_a_fresh_fit_with_the_shipped_acts(tmp_path: Path) -> None:
    embedder = default_embedder()
    cache = tmp_path / "cache"
    first = ActDetector(embedder=embedder, cache_dir=cache)
    assert not first.loaded and len(_fits(cache)) == 1
    again = ActDetector(embedder=embedder, cache_dir=cache)
    assert again.loaded
    fresh = ActDetector(embedder=embedder)
    for message in MESSAGES:
        assert again.scores(message) == fresh.scores(message), message
    # The comparison is between real decisions, not two empty fits.
    assert again.scores("帮我转人工客服").handoff > 0
    assert again.scores("楼下烧烤店每天凌晨还在营业，油烟太大").handoff <= 0


def test_a_cache_hit_embeds_only_the_probe_texts(tmp_path: Path) -> None:
    acts, background = _small_files(tmp_path)
    cache = tmp_path / "cache"
    ActDetector(embedder=CharEmbedder(), path=acts, background=background, cache_dir=cache)
    counting = CharEmbedder()
    loaded = ActDetector(embedder=counting, path=acts, background=background, cache_dir=cache)
    assert loaded.loaded and counting.embedded == len(actcache.PROBES)


def test_a_changed_examples_file_is_refitted_and_the_old_fit_dropped(tmp_path: Path) -> None:
    acts, background = _small_files(tmp_path)
    cache = tmp_path / "cache"
    embedder = CharEmbedder()
    before = ActDetector(embedder=embedder, path=acts, background=background, cache_dir=cache)
    old_fit = _fits(cache)

    acts.write_text(acts.read_text(encoding="utf-8").replace("帮我接真人]", "帮我接真人, 麻烦给我安排坐席接听]"),
                    encoding="utf-8")
    after = ActDetector(embedder=embedder, path=acts, background=background, cache_dir=cache)
    assert not after.loaded
    # The fit is the new file's: as a fresh fit of it decides, and not as the old fit did.
    fresh = ActDetector(embedder=embedder, path=acts, background=background)
    asked = "麻烦给我安排坐席接听"
    assert after.scores(asked) == fresh.scores(asked) != before.scores(asked)
    assert len(_fits(cache)) == 1 and _fits(cache) != old_fit
    assert ActDetector(embedder=embedder, path=acts, background=background, cache_dir=cache).loaded


def test_a_changed_background_or_embedder_is_refitted(tmp_path: Path) -> None:
    acts, background = _small_files(tmp_path)
    cache = tmp_path / "cache"
    ActDetector(embedder=CharEmbedder(), path=acts, background=background, cache_dir=cache)
    assert not ActDetector(embedder=CharEmbedder(salt="other model"), path=acts, background=background,
                           cache_dir=cache).loaded
    assert not ActDetector(embedder=None, path=acts, background=background, cache_dir=cache).loaded
    ActDetector(embedder=CharEmbedder(), path=acts, background=background, cache_dir=cache)
    with background.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"text": "我要转人工窗口办理"}, ensure_ascii=False) + "\n")
    assert not ActDetector(embedder=CharEmbedder(), path=acts, background=background, cache_dir=cache).loaded


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong object", "another key"])
def test_a_damaged_cache_is_refitted_not_a_crash(tmp_path: Path, damage: str) -> None:
    acts, background = _small_files(tmp_path)
    cache = tmp_path / "cache"
    embedder = CharEmbedder()
    ActDetector(embedder=embedder, path=acts, background=background, cache_dir=cache)
    [path] = _fits(cache)
    key = path.name.removeprefix(actcache.PREFIX).removesuffix(".pkl")
    good = path.read_bytes()
    path.write_bytes({
        "garbage": b"\x00not a pickle at all",
        "truncated": good[: len(good) // 2],
        "wrong object": pickle.dumps((key, {"handoff": "not a model"})),
        "another key": pickle.dumps(("0" * 24, pickle.loads(good)[1])),  # noqa: S301 - the test's own file
    }[damage])

    refitted = ActDetector(embedder=embedder, path=acts, background=background, cache_dir=cache)
    fresh = ActDetector(embedder=embedder, path=acts, background=background)
    assert not refitted.loaded
    for message in ["帮我转人工", "什么破机器人", "小区路灯坏了"]:
        assert refitted.scores(message) == fresh.scores(message)
    # The refit replaced the damaged file: the next start loads it.
    assert ActDetector(embedder=embedder, path=acts, background=background, cache_dir=cache).loaded


def test_an_unwritable_cache_dir_still_gives_a_fit(tmp_path: Path) -> None:
    acts, background = _small_files(tmp_path)
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    detector = ActDetector(embedder=CharEmbedder(), path=acts, background=background, cache_dir=blocker)
    assert not detector.loaded and detector.scores("帮我转人工").handoff > 0
