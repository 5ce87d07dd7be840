"""The taxonomy is data: validated at load, editable by admins, a bad edit refused with a reason."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.errors import InvalidConfig
from bot.taxonomy import LEVEL1_NAMES, SHIPPED_PATH, load_taxonomy, parse_taxonomy, save_override
from bot.triage.examples import load_examples


def _shipped() -> dict:
    return yaml.safe_load(SHIPPED_PATH.read_text(encoding="utf-8"))


def test_shipped_taxonomy_has_exactly_the_contract_first_level() -> None:
    tax = load_taxonomy()
    assert [c.name for c in tax.categories] == list(LEVEL1_NAMES)
    assert all(len(c.children) >= 2 for c in tax.categories)
    assert {i.id for i in tax.intents} == {"consult", "help", "complaint", "report", "suggestion", "praise",
                                           "status_query", "emergency", "other"}
    assert {u.id for u in tax.urgency} == {"emergency", "urgent", "normal"}


def test_department_fills_in_the_district() -> None:
    tax = load_taxonomy()
    assert tax.department("劳动和社会保障", "工资拖欠", district="海淀区") == "海淀区人力资源和社会保障局"


def test_every_example_label_exists_in_the_taxonomy() -> None:
    examples = load_examples(load_taxonomy())
    assert len(examples) >= 300
    per_class = {name: sum(e.level1 == name for e in examples) for name in LEVEL1_NAMES}
    assert min(per_class.values()) >= 5


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda d: d["categories"].pop(0), "缺少一级分类"),
    (lambda d: d["categories"][0].update(name="城市管理"), "不认识"),
    (lambda d: d["categories"][1]["children"].append(copy.deepcopy(d["categories"][1]["children"][0])), "重复"),
    (lambda d: d["intents"].pop(), "诉求类型"),
    (lambda d: d["categories"][2]["children"][0]["keywords"].append(" "), "空关键词"),
    (lambda d: d["categories"][3].update(department="{city}教委"), "模板"),
    (lambda d: d["categories"][4].update(children=[]), "没有二级分类"),
    (lambda d: d["categories"][5]["children"][0].update(name="<script>alert(1)</script>"), "HTML"),
    (lambda d: d["categories"][6]["children"][0].update(name="物业\u202e管理"), "方向字符"),
    (lambda d: d["categories"][7]["children"][0]["keywords"].append("漏水\u200b"), "控制或方向"),
])
def test_bad_edit_is_refused_with_a_reason(tmp_path: Path, edit, reason: str) -> None:  # noqa: ANN001
    data = _shipped()
    edit(data)
    with pytest.raises(InvalidConfig, match=reason):
        save_override(tmp_path, data)
    assert not (tmp_path / "taxonomy.yaml").exists()
    assert load_taxonomy(tmp_path).categories[0].name == "城乡建设"


def test_good_edit_becomes_the_override(tmp_path: Path) -> None:
    data = _shipped()
    data["categories"][0]["children"].insert(0, {"name": "楼道堆物", "keywords": ["楼道堆物"]})
    save_override(tmp_path, data)
    assert "楼道堆物" in load_taxonomy(tmp_path).level2_names("城乡建设")


def test_another_process_s_save_is_seen_even_when_the_file_time_did_not_move(tmp_path: Path) -> None:
    data = _shipped()
    save_override(tmp_path, data)
    assert "楼道堆物" not in load_taxonomy(tmp_path).level2_names("城乡建设")  # now cached in this process
    target = tmp_path / "taxonomy.yaml"
    stamp = target.stat()
    data["categories"][0]["children"].insert(0, {"name": "楼道堆物", "keywords": ["楼道堆物"]})
    # Another worker process saves atomically (a new file renamed over the old), on a coarse clock.
    script = (
        "import os, sys, yaml; from pathlib import Path\n"
        "target = Path(sys.argv[1]); tmp = target.with_suffix('.yaml.tmp')\n"
        "tmp.write_text(yaml.safe_dump(yaml.safe_load(sys.stdin.read()), allow_unicode=True), encoding='utf-8')\n"
        "tmp.replace(target); os.utime(target, ns=(int(sys.argv[2]), int(sys.argv[3])))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(target), str(stamp.st_atime_ns), str(stamp.st_mtime_ns)],
                   input=yaml.safe_dump(data, allow_unicode=True), text=True, check=True)
    assert target.stat().st_mtime_ns == stamp.st_mtime_ns
    assert "楼道堆物" in load_taxonomy(tmp_path).level2_names("城乡建设")


def test_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidConfig):
        parse_taxonomy(["城乡建设"])


def _reference() -> Path | None:
    """shared/ beside the checkout (or HOTLINE_SHARED_DIR); None when it is not there."""
    import os

    here = Path(__file__).resolve().parents[3]
    for base in (os.environ.get("HOTLINE_SHARED_DIR"), here.parent / "shared", here.parent.parent / "shared"):
        if base and (Path(base) / "reference" / "message_taxonomy.csv").exists():
            return Path(base) / "reference" / "message_taxonomy.csv"
    return None


REFERENCE = _reference()


def test_every_second_level_says_what_it_covers() -> None:
    tax = load_taxonomy()
    for top in tax.categories:
        assert top.description
        for sub in top.children:
            assert sub.description and sub.prototypes()[0] == sub.name


@pytest.mark.skipif(REFERENCE is None, reason="the shared reference taxonomy is not present")
def test_every_reference_entry_is_covered_once_under_its_own_first_level() -> None:
    import csv

    tax = load_taxonomy()
    assert REFERENCE is not None
    with REFERENCE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        top = tax.level1(row["level1"])
        assert top is not None
        owners = [s.name for s in top.children if f"{row['level2']}/{row['level3']}" in s.topics]
        assert len(owners) == 1, row


def test_an_edit_without_descriptions_or_topics_is_still_accepted(tmp_path: Path) -> None:
    data = _shipped()
    for top in data["categories"]:
        top.pop("description", None)
        for sub in top["children"]:
            sub.pop("description", None)
            sub.pop("topics", None)
    assert save_override(tmp_path, data).level2_names("城乡建设")


def test_a_topic_claimed_twice_is_refused(tmp_path: Path) -> None:
    data = _shipped()
    kids = data["categories"][0]["children"]
    kids[1]["topics"].append(kids[0]["topics"][0])
    with pytest.raises(InvalidConfig, match="参考分类"):
        save_override(tmp_path, data)
