"""The 四高 analysis finds every planted signal, names its place and time, and is quiet without them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.analytics.danger import dangerous, default_prototypes
from bot.analytics.hotspots import concentrated, frequent
from bot.analytics.records import Window
from bot.analytics.surges import surging
from tests.bot.analytics import synth

WINDOW = Window(*synth.WINDOW)

# Building the shared stream embeds ~300 messages; on a loaded machine that outlasts the default timeout.
pytestmark = pytest.mark.timeout(1200)


def _planted(truth, kind: str) -> set[str]:  # noqa: ANN001
    return {i for i, r in truth.items() if r.planted == kind}


def _in_window(finding) -> bool:  # noqa: ANN001
    return WINDOW.start <= finding.start <= finding.end <= WINDOW.end


def test_the_hot_spot_is_found_by_its_name_in_the_text(streams) -> None:  # noqa: ANN001
    planted, _, truth, _ = streams
    found = concentrated(planted, WINDOW)
    hot = [f for f in found if "金桂苑" in f.label]
    assert len(hot) == 1, [f.label for f in found]
    assert set(hot[0].request_ids) >= _planted(truth, "hotspot") - {"none"}
    assert len(set(hot[0].request_ids) & _planted(truth, "hotspot")) >= 5
    assert hot[0].details["district"] == "海淀区" and _in_window(hot[0])
    gas = [f for f in found if "槐荫里" in f.label]  # three requests at one estate are a concentration too
    assert all(set(f.request_ids) <= _planted(truth, "danger-gas") for f in gas)
    planted_ids = set().union(*(_planted(truth, k) for k in ("hotspot", "danger-gas", "danger-falling", "surge",
                                                             "new-topic")))
    stray = [f.label for f in found if not set(f.request_ids) & planted_ids]
    assert stray == []


def test_the_surge_is_found_in_its_district_and_week(streams) -> None:  # noqa: ANN001
    planted, _, truth, _ = streams
    found = surging(planted, WINDOW)
    surge = [f for f in found if f.details["category_l1"] == "交通运输"]
    assert len(surge) == 1, [f.label for f in found]
    f = surge[0]
    assert f.details["place"] == "朝阳区" and f.details["week"] == "2025-03-10" and _in_window(f)
    assert _planted(truth, "surge") <= set(f.request_ids)
    assert f.details["p_value"] < 1e-4 and f.details["baseline"] < 1


def test_the_danger_clusters_are_found_with_kind_and_place(streams) -> None:  # noqa: ANN001
    planted, _, truth, _ = streams
    found = dangerous(planted, WINDOW, default_prototypes())
    by_kind = {f.details["hazard"]: f for f in found}
    assert set(by_kind) == {"gas", "falling"}, [f.label for f in found]
    assert "槐荫里" in by_kind["gas"].label and by_kind["gas"].details["district"] == "丰台区"
    assert set(by_kind["gas"].request_ids) == _planted(truth, "danger-gas")
    assert "富力花园" in by_kind["falling"].label
    assert set(by_kind["falling"].request_ids) == _planted(truth, "danger-falling")
    assert all(_in_window(f) for f in found)


def test_a_quiet_stream_yields_no_signal(streams) -> None:  # noqa: ANN001
    _, quiet, _, _ = streams
    assert concentrated(quiet, WINDOW) == []
    assert surging(quiet, WINDOW) == []
    assert dangerous(quiet, WINDOW, default_prototypes()) == []
    assert surging(quiet, Window(date(2025, 1, 6), date(2025, 3, 16))) == []  # every week of the stream


def test_frequent_lists_the_biggest_categories_of_the_window(streams) -> None:  # noqa: ANN001
    planted, _, _, _ = streams
    found = frequent(planted, WINDOW)
    assert found[0].label == "交通运输 / 共享单车与停车" and found[0].count >= 14
    assert [f.count for f in found] == sorted((f.count for f in found), reverse=True)
    assert all(f.count >= 3 for f in found)


def test_the_new_topic_is_flagged_once_and_nothing_else_is_new(streams) -> None:  # noqa: ANN001
    from bot.analytics.topics import new_topics

    planted, quiet, truth, _ = streams
    found = new_topics(planted, WINDOW)
    assert len(found) == 1, [f.label for f in found]
    assert set(found[0].request_ids) <= _planted(truth, "new-topic") and found[0].count >= 4
    assert "充电宝" in found[0].label or "押金" in found[0].label
    assert _in_window(found[0])
    assert new_topics(quiet, WINDOW) == []


def test_topics_are_named_by_their_words_and_tracked(streams) -> None:  # noqa: ANN001
    from bot.analytics.topics import discover

    planted, _, _, _ = streams
    topics = discover(planted, WINDOW)
    assert topics and all(t["terms"] and t["representatives"] for t in topics)
    bikes = [t for t in topics if "单车" in t["label"]]
    assert bikes and bikes[0]["trend"] in ("growing", "new") and bikes[0]["count"] >= 10
    assert sum(t["count"] for t in topics) <= sum(1 for r in planted if WINDOW.holds(r))
