"""Job profiles: built in, from a file, or derived from a job description."""

from __future__ import annotations

import pytest

from bot.analysis import ProfileError, load_profile, profile_from_jd


@pytest.mark.parametrize("name", ["backend", "frontend", "data", "hrbp", "product", "后端", "产品经理"])
def test_built_in_profiles(name):
    weights = load_profile(name).normalised()
    assert sum(weights.values()) == pytest.approx(1.0)


def test_custom_weights_from_toml(tmp_path):
    f = tmp_path / "sre.toml"
    f.write_text('name = "sre"\nbase = "backend"\nhotwords = ["混沌工程"]\n[weights]\nproblem_solving = 60\n')
    p = load_profile(str(f))
    assert p.name == "sre" and p.hotwords == ["混沌工程"]
    assert max(p.normalised(), key=p.normalised().get) == "problem_solving"


def test_jd_stressing_high_concurrency_weights_depth_and_design_up():
    jd = "岗位要求：精通 Java，熟悉 SpringCloud 微服务架构，有高并发、高可用分布式系统设计经验，深入理解 JVM 原理。"
    w = profile_from_jd(jd).normalised()
    assert w["system_design"] > w["communication"] and w["technical_depth"] > w["collaboration"]
    assert "SpringCloud" in profile_from_jd(jd).hotwords


def test_bad_profile_files(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"weights": {"charisma": 3}}')
    with pytest.raises(ProfileError, match="unknown competencies: charisma"):
        load_profile(str(bad))
    with pytest.raises(ProfileError, match="unknown profile"):
        load_profile("astronaut")
