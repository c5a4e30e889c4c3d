"""tools/figure5: Singularity's Figure 5 on the sip kernel (docs/figure5.md).

(1) The domain-line check and the report on synthetic transcripts: no boot. A
    configuration the kernel did not apply (a fallback line, a refused word, no domain
    line, the wrong words) never gets a bar.
(2) One real quick run (`tools/figure5 --quick`) of a few configurations and the hw
    reference on the build under test: results.json is well formed and the PNG is a PNG.
    No timing is ever asserted: a benchmark reports.
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, build_dir, load_tool

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


fig5 = load_tool("figure5", "figure5_tool")
EXPECT = {c[0]: c[4] for c in fig5.CONFIGS}


# ---------------------------------------------------------------- (1) no boot

def test_domain_line_that_applied():
    text = ("cmdline: 'sipdom=b sipdom.webfiles/client=d'\n"
            "sip: domains: sipdom=b (kernel space, 4 KiB pages); webfiles/client: ring 3\n")
    line, why = fig5.domain_check(text, EXPECT["d"])
    assert why is None and line.startswith("sipdom=b")
    line, why = fig5.domain_check("sip: domains: sipdom=a (kernel space, 2 MiB pages)\r\n",
                                  EXPECT["a"])
    assert why is None


@pytest.mark.parametrize("text, key, says", [
    ("sip: domain d/e not available: no ring 3; using c\n"
     "sip: domains: sipdom=e (own page table, ring 0)\n", "e", "did not apply"),
    ("sip: cmdline: sipdom=x: not a letter a..e\nsip: domains: sipdom=b (kernel space, "
     "4 KiB pages)\n", "b", "did not apply"),
    ("Twofold sip kernel\n", "a", "no 'sip: domains:' line"),
    ("sip: domains: sipdom=b (kernel space, 4 KiB pages)\n", "c", "webfiles/client"),
    ("sip: domains: sipdom=b (kernel space, 4 KiB pages); webfiles/client: own page "
     "table, ring 0\n", "d", "webfiles/client: ring 3"),
    ("sip: domains: sipdom=a (kernel space, 4 KiB pages)\n", "a", "2 MiB"),
])
def test_domain_line_that_did_not_apply(text, key, says):
    _, why = fig5.domain_check(text, EXPECT[key])
    assert why and says in why, why


def synthetic_results(tmp_path, code=None):
    """What main() assembles, from made-up medians: a is 100, each later one more."""
    args = type("Args", (), {"quick": True, "runs": 11, "ops": 1000, "accel": "tcg"})()
    configs = []
    for i, (key, label, cmdline, _, _) in enumerate(fig5.CONFIGS):
        c = {"key": key, "label": label, "cmdline": cmdline, "error": None,
             "median": 100.0 + 10 * (i - 1), "min": 90.0, "max": 200.0, "runs": [1.0, 2.0]}
        configs.append(c)
    configs[-1] = {**configs[-1], "error": "the kernel did not apply it: ..."}
    for k in ("median", "min", "max", "runs"):
        configs[-1].pop(k)
    ref = {"key": "hw", "label": fig5.REFERENCE_LABEL, "cmdline": "", "error": None,
           "median": 400.0, "min": 300.0, "max": 500.0, "runs": [4.0, 4.0]}
    fig5.add_ratios(configs, ref)
    refs = json.loads((ROOT / "tools" / "bench-ref.json").read_text())
    return fig5.results(args, configs, ref, refs, code or {"why": "not asked for"})


def test_report_from_synthetic_results(tmp_path):
    code = {"rows": [{"key": "verify_4k", "ratio": {"explicit": 2.0, "guard": 1.2}},
                     {"key": "qsort_1000", "ratio": {"explicit": 1.5, "guard": None}}]}
    res = synthetic_results(tmp_path, code)
    by_key = {c["key"]: c for c in res["configurations"]}
    assert by_key["a"]["ratio_to_a"] == 1.0
    assert by_key["b"]["ratio_to_a"] == pytest.approx(1.1)
    assert "ratio_to_a" not in by_key["e"] and res["failed"] == ["e"]
    assert res["reference"]["ratio_to_a"] == pytest.approx(4.0)
    fig5.write_all(res, tmp_path)
    assert (tmp_path / "figure5.png").read_bytes()[:8] == PNG_MAGIC
    md = (tmp_path / "results.md").read_text()
    assert "FAILED: the kernel did not apply it" in md and "+10.0%" in md
    back = json.loads((tmp_path / "results.json").read_text())
    assert back["singularity"]["bars"]["e"] == 37.7 and back["accelerator"] == "tcg"


def test_singularity_bars_in_bench_ref():
    refs = json.loads((ROOT / "tools" / "bench-ref.json").read_text())
    fig = refs["figure5"]
    assert set(fig["bars"]) == {c[0] for c in fig5.CONFIGS}
    assert fig["bars"]["a"] == 0 and fig["source"] in refs["sources"]
    assert isinstance(fig["checked"], bool) and fig["cite"]


# ---------------------------------------------------------------- (2) one real quick run

def sipc_has_none():
    """--memcheck none (the no-runtime-checks bar) is in tools/sipc's help once it exists."""
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "sipc"), "--help"],
                       capture_output=True, text=True)
    return "none" in p.stdout


def quick_run(out):
    configs = (["nochecks"] if sipc_has_none() else []) + ["a", "c"]
    cmd = [sys.executable, str(ROOT / "tools" / "figure5"), "--quick", "--out", str(out),
           "--configs", ",".join(configs)]
    env = dict(os.environ, BUILD=str(build_dir()))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return proc, configs


# One test, not several over a module fixture: under xdist each worker would run its own.
def test_quick_run(tmp_path):
    proc, configs = quick_run(tmp_path)
    assert proc.returncode == 0, f"tools/figure5 exit {proc.returncode}\n{proc.stderr[-3000:]}"
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["schema"] == {"name": "twofold-figure5", "version": 1}
    assert res["accelerator"] in ("tcg", "kvm") and res["qemu"]["accel"] == res["accelerator"]
    assert res["emulation_note"] and res["qemu"]["version"] and res["git"]["revision"]
    got = {c["key"]: c for c in res["configurations"]}
    assert list(got) == configs and not res["failed"]
    for key, c in got.items():
        assert c["error"] is None, f"{key}: {c['error']}"
        assert len(c["runs"]) == 2 and c["min"] <= c["median"] <= c["max"]
        assert c["domain_line"].startswith(f"sipdom={EXPECT[key][0]}")
        assert c["cmdline"] and c["label"] and c["ratio_to_a"] > 0
    assert got["a"]["ratio_to_a"] == 1.0
    if "nochecks" in got:
        assert got["nochecks"]["memcheck"] == "none"
    assert res["reference"]["error"] is None and res["reference"]["median"] > 0
    assert set(res["singularity"]["bars"]) >= set(configs)
    assert (tmp_path / "figure5.png").read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / "transcript-a.txt").exists() and (tmp_path / "transcript-hw.txt").exists()
