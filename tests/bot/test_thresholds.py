import pytest
import yaml

from bot import thresholds


def test_a_named_value_is_read_and_a_missing_one_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "thresholds.yaml"
    path.write_text(yaml.safe_dump({"emergency": {"flag": 0.42}, "label": {"x": "text"}}), encoding="utf-8")
    monkeypatch.setattr(thresholds, "THRESHOLDS_PATH", path)
    thresholds._all.cache_clear()
    try:
        assert thresholds.threshold("emergency.flag") == pytest.approx(0.42)
        with pytest.raises(KeyError, match="emergency.nope"):
            thresholds.threshold("emergency.nope")
        with pytest.raises(TypeError):
            thresholds.threshold("label.x")
    finally:
        thresholds._all.cache_clear()


def test_the_shipped_file_is_a_mapping():
    thresholds._all.cache_clear()
    assert isinstance(thresholds._all(), dict)
