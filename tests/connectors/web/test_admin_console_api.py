"""The admin console's table edits over HTTP: one routing rule or one second-level category at a time, refused
with a Chinese reason when it names an unknown unit or a bad category path, and each edit in the audit log with
the values before and after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot import auth
from bot.store.db import session_scope
from connectors.app import create_app
from connectors.runtime import Runtime

PROBE = {"category_l1": "城乡建设", "category_l2": "环境卫生", "district": "朝阳区", "street": "望京街道",
         "text": "小区垃圾没人清运"}
RULE = {"description": "望京垃圾问题由朝阳区城管委督办", "match": {"streets": ["望京街道"], "keywords": ["垃圾"]},
        "unit": "district:cgw", "position": 0}


@pytest.fixture
def admin_client() -> Iterator[tuple[TestClient, dict[str, str], Runtime]]:
    runtime = Runtime()
    with session_scope(runtime.db_url) as db:
        headers = {"Authorization": f"Bearer {auth.create_token(db, role='admin', name='配置员')}"}
    with TestClient(create_app(runtime, run_worker=False, warm_up=False)) as client:
        yield client, headers, runtime


def _audit(client: TestClient, headers: dict[str, str], action: str) -> list[dict]:
    return client.get(f"/api/admin/audit?action={action}", headers=headers).json()["entries"]


def test_a_new_rule_routes_at_once_and_is_audited_with_before_and_after(admin_client) -> None:  # noqa: ANN001
    client, admin, _ = admin_client
    first = client.post("/api/admin/routing/test", headers=admin, json=PROBE).json()
    assert first["rule_id"] != "wangjing-garbage"

    made = client.put("/api/admin/routing/rules/wangjing-garbage", headers=admin, json=RULE)
    assert made.status_code == 200, made.text
    routed = client.post("/api/admin/routing/test", headers=admin, json=PROBE).json()
    assert (routed["rule_id"], routed["unit_id"]) == ("wangjing-garbage", "chaoyang.cgw")
    assert routed["table_version"] == made.json()["version"] != first["table_version"]
    table = client.get("/api/admin/routing", headers=admin).json()["table"]
    assert table["rules"][0]["id"] == "wangjing-garbage"

    changed = client.put("/api/admin/routing/rules/wangjing-garbage", headers=admin,
                         json={**RULE, "unit": "district:cgzf", "position": None})
    assert changed.status_code == 200 and changed.json()["rule"]["unit"] == "district:cgzf"
    assert client.get("/api/admin/routing", headers=admin).json()["table"]["rules"][0]["id"] == "wangjing-garbage"
    update, create = _audit(client, admin, "routing.rule.")[:2]
    assert (create["action"], create["before"], create["after"]["unit"]) == ("routing.rule.create", None,
                                                                               "district:cgw")
    assert update["action"] == "routing.rule.update" and update["actor"] == "配置员" and update["role"] == "admin"
    assert (update["before"]["unit"], update["after"]["unit"]) == ("district:cgw", "district:cgzf")

    gone = client.delete("/api/admin/routing/rules/wangjing-garbage", headers=admin)
    assert gone.status_code == 200
    assert client.post("/api/admin/routing/test", headers=admin, json=PROBE).json()["rule_id"] == first["rule_id"]
    deleted = _audit(client, admin, "routing.rule.delete")[0]
    assert deleted["before"]["unit"] == "district:cgzf" and deleted["after"] is None
    assert client.delete("/api/admin/routing/rules/wangjing-garbage", headers=admin).status_code == 404


@pytest.mark.parametrize(("edit", "words"), [
    ({"unit": "chaoyang.nobody"}, ["不存在的单位", "chaoyang.nobody"]),
    ({"unit": "district:nobody"}, ["不存在的区属单位", "district:nobody"]),
    ({"match": {"category_l1": ["城乡建设"], "category_l2": ["噪声扰民"]}}, ["噪声扰民", "不属于一级分类", "环境保护"]),
    ({"match": {"category_l1": ["城市管理"]}}, ["一级分类", "城市管理"]),
    ({"match": {"districts": ["浦东新区"]}}, ["未知的区", "浦东新区"]),
    ({"match": {}}, ["没有任何匹配条件"]),
], ids=["unit", "district-unit", "l2-under-wrong-l1", "l1", "district", "empty"])
def test_a_bad_rule_is_refused_in_chinese_and_nothing_changes(admin_client, edit, words) -> None:  # noqa: ANN001
    client, admin, runtime = admin_client
    before = client.get("/api/admin/routing", headers=admin).json()
    refused = client.put("/api/admin/routing/rules/bad-rule", headers=admin, json={**RULE, **edit})
    assert refused.status_code == 400, refused.text
    for word in words:
        assert word in refused.json()["detail"], refused.json()["detail"]
    assert client.get("/api/admin/routing", headers=admin).json() == before
    assert not (runtime.settings.overrides_dir / "routing.yaml").exists()
    assert not _audit(client, admin, "routing.")


def test_rule_ids_are_plain(admin_client) -> None:  # noqa: ANN001
    client, admin, _ = admin_client
    refused = client.put("/api/admin/routing/rules/规则一", headers=admin, json=RULE)
    assert refused.status_code == 400 and "规则 ID" in refused.json()["detail"]


def test_the_routing_test_box_refuses_a_bad_category_path(admin_client) -> None:  # noqa: ANN001
    client, admin, _ = admin_client
    wrong = client.post("/api/admin/routing/test", headers=admin, json={**PROBE, "category_l2": "噪声扰民"})
    assert wrong.status_code == 400
    assert "“城乡建设”下没有二级分类“噪声扰民”" in wrong.json()["detail"] and "环境保护" in wrong.json()["detail"]
    unknown = client.post("/api/admin/routing/test", headers=admin, json={**PROBE, "category_l1": "城市管理"})
    assert unknown.status_code == 400 and "没有一级分类“城市管理”" in unknown.json()["detail"]
    assert client.post("/api/admin/routing/test", headers=admin, json={"text": "燃气泄漏"}).json()["unit_id"] == "city.gas"


def test_a_second_level_category_is_added_renamed_and_removed_with_the_routing_table_kept_true(admin_client) -> None:  # noqa: ANN001
    client, admin, _ = admin_client
    added = client.put("/api/admin/taxonomy/城乡建设/电梯安全", headers=admin,
                       json={"description": "电梯故障、困人、年检", "keywords": ["电梯", "困人"]})
    assert added.status_code == 200, added.text
    top = next(c for c in client.get("/api/admin/taxonomy", headers=admin).json()["categories"]
               if c["name"] == "城乡建设")
    names = [c["name"] for c in top["children"]]
    assert "电梯安全" in names and names[-1] == "其他"
    # A rule may now name it; routing it is possible at once.
    assert client.put("/api/admin/routing/rules/lift", headers=admin, json={
        "match": {"category_l1": ["城乡建设"], "category_l2": ["电梯安全"]}, "unit": "district:zjw",
        "position": 0}).status_code == 200
    probe = {**PROBE, "category_l2": "电梯安全"}
    assert client.post("/api/admin/routing/test", headers=admin, json=probe).json()["rule_id"] == "lift"

    # While the rule names it, renaming or removing it is refused with the reason.
    renamed = client.put("/api/admin/taxonomy/城乡建设/电梯安全", headers=admin, json={"name": "电梯"})
    assert renamed.status_code == 400 and "请先修改路由表" in renamed.json()["detail"]
    removed = client.delete("/api/admin/taxonomy/城乡建设/电梯安全", headers=admin)
    assert removed.status_code == 400 and "lift" in removed.json()["detail"]
    assert client.delete("/api/admin/routing/rules/lift", headers=admin).status_code == 200
    assert client.delete("/api/admin/taxonomy/城乡建设/电梯安全", headers=admin).status_code == 200

    entries = _audit(client, admin, "taxonomy.")
    assert [e["action"] for e in entries] == ["taxonomy.delete", "taxonomy.create"]
    assert entries[1]["target"] == "城乡建设/电梯安全" and entries[1]["before"] is None
    assert entries[1]["after"]["keywords"] == ["电梯", "困人"] and entries[0]["before"]["name"] == "电梯安全"


def test_a_bad_category_path_is_a_clear_error(admin_client) -> None:  # noqa: ANN001
    client, admin, _ = admin_client
    unknown = client.put("/api/admin/taxonomy/城市管理/占道经营", headers=admin, json={})
    assert unknown.status_code == 404 and "没有一级分类“城市管理”" in unknown.json()["detail"]
    missing = client.delete("/api/admin/taxonomy/城乡建设/不存在的分类", headers=admin)
    assert missing.status_code == 404 and "“城乡建设”下没有二级分类“不存在的分类”" in missing.json()["detail"]
    dupe = client.put("/api/admin/taxonomy/城乡建设/物业管理", headers=admin, json={"name": "住房保障"})
    assert dupe.status_code == 400 and "已有二级分类“住房保障”" in dupe.json()["detail"]
    markup = client.put("/api/admin/taxonomy/城乡建设/<b>x", headers=admin, json={})
    assert markup.status_code == 400 and "尖括号" in markup.json()["detail"]


def test_a_whole_table_replacement_audits_the_rules_it_changed(admin_client) -> None:  # noqa: ANN001
    client, admin, _ = admin_client
    table = client.get("/api/admin/routing", headers=admin).json()["table"]
    rule = next(r for r in table["rules"] if r["id"] == "gas-keywords")
    rule["match"]["keywords"].append("燃气灶")
    assert client.put("/api/admin/routing", headers=admin, json=table).status_code == 200
    entry = _audit(client, admin, "routing.update")[0]
    assert list(entry["before"]["rules"]) == ["gas-keywords"] == list(entry["after"]["rules"])
    assert "燃气灶" in entry["after"]["rules"]["gas-keywords"]["match"]["keywords"]
    assert "燃气灶" not in entry["before"]["rules"]["gas-keywords"]["match"]["keywords"]
