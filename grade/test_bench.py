"""tools/bench: the benchmark driver (tools/benchlib.py, tools/benchreport.py).

(1) The parser, the statistics and the report on synthetic program output: no boot.
(2) One real quick run (`tools/bench --quick`: every program with -q on hw, sip and,
    when build/linux-peer is fetched, Linux): results.json is well formed, results.md
    has the table, the charts are PNGs. No timing is ever asserted: a benchmark reports.
"""
import fcntl
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from conftest import ROOT, build_dir, load_tool, make_spelling, session_id

sys.path.insert(0, str(ROOT / "tools"))
import benchlib  # noqa: E402
import benchreport  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PTBENCH_ROWS = ["cycle_counter", "abi_call", "yield", "waitsignal", "msg_rtt", "proc_create"]


def load_bench():
    return load_tool("bench", "bench_tool")


def data_line(prog, key, runs, ops=100, hz=2_000_000_000):
    return f"@data {prog} {key} ops={ops} tsc_hz={hz} x100={','.join(map(str, runs))}"


def synthetic(backend, scale=1, drop=(), tlb=(1, 2, 4)):
    """A shell transcript of `ptbench -q`, `webfiles -q`, `tlbdemo -q` on one backend;
    each row's runs are 100*scale*(i+1) and twice that (hundredths of a cycle)."""
    hz = 2_000_000_000
    out = ["$ ptbench -q", f"@meta ptbench backend={backend} tsc_hz={hz}",
           "ptbench: cycle counter (pt_cycles) median  38 cycles ..."]
    out += [data_line("ptbench", k, [100 * scale * (i + 1), 200 * scale * (i + 1)])
            for i, k in enumerate(PTBENCH_ROWS) if k not in drop]
    out += ["$ webfiles -q", f"@meta webfiles backend={backend} tsc_hz={hz}",
            data_line("webfiles", "read", [5_000_000 * scale, 7_000_000 * scale])]
    out += ["$ tlbdemo -q", f"@meta tlbdemo backend={backend} tsc_hz={hz}"]
    out += [data_line("tlbdemo", f"pages.{n}", [1000 * n * scale, 1100 * n * scale]) for n in tlb]
    return "\n".join(out + ["$ poweroff", "poweroff: status 0", ""])


# ---------------------------------------------------------------- (1) parsing

def test_parse_machine_lines_among_others():
    text = "\r\n".join([
        "Twofold hw kernel", "@meta ptbench backend=hw tsc_hz=1999000000",
        "ptbench: null kernel call median 120 cycles",
        data_line("ptbench", "abi_call", [12000, 12500, 11900], ops=1000, hz=1999000000),
        "kernel: something @data ptbench yield ops=1 tsc_hz=1 x100=1",  # not at line start
        "@data ptbench yield ops=ten tsc_hz=1 x100=1",                   # garbage
        "@data ptbench msg_rtt ops=5 tsc_hz=1 x100=",                    # no runs
        "@metadata nonsense", "@data tlbdemo pages.16 ops=3 tsc_hz=5 x100=7,8"])
    p = benchlib.parse_output(text)
    assert p["meta"] == {"ptbench": {"backend": "hw", "tsc_hz": 1999000000}}
    assert p["data"][("ptbench", "abi_call")] == {"ops": 1000, "tsc_hz": 1999000000,
                                                  "x100": [12000, 12500, 11900]}
    assert p["data"][("tlbdemo", "pages.16")]["x100"] == [7, 8]
    assert ("ptbench", "yield") not in p["data"] and ("ptbench", "msg_rtt") not in p["data"]
    assert len(p["bad"]) == 3


def test_a_row_printed_twice_counts_once():
    text = "\n".join([data_line("ptbench", "yield", [1, 2]), data_line("ptbench", "yield", [9, 9])])
    p = benchlib.parse_output(text)
    assert p["data"][("ptbench", "yield")]["x100"] == [1, 2]
    assert p["duplicates"] == [("ptbench", "yield")]


def test_statistics_from_runs():
    odd = benchlib.row_stats({"ops": 10, "tsc_hz": 2_000_000_000, "x100": [300, 100, 250]})
    assert (odd["median"], odd["min"], odd["max"]) == (2.5, 1.0, 3.0)
    assert odd["runs"] == [3.0, 1.0, 2.5] and odd["ops"] == 10
    assert odd["median_ns"] == pytest.approx(1.25)
    even = benchlib.row_stats({"ops": 1, "tsc_hz": 0, "x100": [100, 400]})
    assert even["median"] == 2.5 and even["median_ns"] is None
    assert benchlib.ratio({"median": 1.0}, {"median": 4.0}) == 0.25
    assert benchlib.ratio({"median": 1.0}, {"why": "not run"}) is None


def test_sections_split_at_each_command():
    cmds = ["ptbench -q", "webfiles -q", "tlbdemo -q"]
    text = synthetic("hw")
    assert benchlib.section(text, "webfiles -q", cmds)[0].startswith("@meta webfiles")
    assert all("tlbdemo" in l for l in benchlib.section(text, "tlbdemo -q", cmds)[:4])
    assert benchlib.section("no echo here", "ptbench -q", cmds) == []


def test_judge_a_complete_program():
    p = benchlib.parse_output(synthetic("sip"))
    v = benchlib.judge_program(p, "ptbench", PTBENCH_ROWS, [], runs=2)
    assert v == {"ok": True, "problems": [], "messages": []}
    assert benchlib.judge_program(p, "tlbdemo", ["pages.*"], [], runs=2)["ok"]


def test_judge_missing_rows_and_wrong_run_counts():
    p = benchlib.parse_output(synthetic("hw", drop=("msg_rtt",)))
    v = benchlib.judge_program(p, "ptbench", PTBENCH_ROWS, [], runs=3)
    assert not v["ok"]
    assert "no @data line for msg_rtt" in v["problems"]
    assert "yield: 2 runs, expected 3" in v["problems"]
    assert not benchlib.judge_program(benchlib.parse_output(synthetic("hw", tlb=())),
                                      "tlbdemo", ["pages.*"], [])["ok"]


def test_judge_a_program_that_failed():
    cmds = ["ptbench -q", "webfiles -q"]
    text = "\n".join(["$ ptbench -q", "@meta ptbench backend=sip tsc_hz=5",
                      data_line("ptbench", "cycle_counter", [1, 2]),
                      "ptbench: msg_rtt: pt_spawn: -ENOENT", "[7] exit 1",
                      "$ webfiles -q", "webfiles: cannot open /data/webfiles.disk"])
    p = benchlib.parse_output(text)
    v = benchlib.judge_program(p, "ptbench", PTBENCH_ROWS, benchlib.section(text, cmds[0], cmds))
    assert not v["ok"] and "the shell says: [7] exit 1" in v["problems"]
    assert "ptbench: msg_rtt: pt_spawn: -ENOENT" in v["messages"]
    w = benchlib.judge_program(p, "webfiles", ["read"], benchlib.section(text, cmds[1], cmds))
    assert "no @meta line" in w["problems"]
    assert w["messages"] == ["webfiles: cannot open /data/webfiles.disk"]


# ---------------------------------------------------------------- (1) the report

def synthetic_results(tmp_path, linux_text=None, linux_why=None):
    """tools/bench's assembly over synthetic transcripts: hw, sip, and Linux when given."""
    bench = load_bench()
    args = types.SimpleNamespace(accel="tcg", quick=True, runs=7, out=str(tmp_path))
    cmds = bench.commands_for(True, 7)
    runs = {"hw": {"text": synthetic("hw", 10), "why": None, "statuses": None},
            "sip": {"text": synthetic("sip", 1), "why": None, "statuses": None},
            "linux": {"text": linux_text or "", "why": linux_why, "statuses": None}}
    systems, parsed = {}, {}
    for s in bench.SYSTEMS:
        systems[s], parsed[s] = bench.system_record(s, runs[s], cmds, True, 7)
        systems[s]["what"] = f"the {s} system"
    refs = json.loads((ROOT / "tools" / "bench-ref.json").read_text())
    return bench.results(args, systems, parsed, {}, refs)


def test_report_with_every_system(tmp_path):
    res = synthetic_results(tmp_path, linux_text=synthetic("posix", 5))
    rows = {r["key"]: r for r in res["rows"]}
    assert rows["abi_call"]["ratios"]["sip/hw"] == pytest.approx(0.1)
    assert rows["abi_call"]["ratios"]["hw/linux"] == pytest.approx(2.0)
    assert rows["abi_call"]["singularity"]["cycles"] == 87
    assert rows["read"]["systems"]["hw"]["ops_per_s"] > 0
    assert [k for k in rows if k.startswith("pages.")] == ["pages.1", "pages.2", "pages.4"]
    met = {t["what"]: t["met"] for t in res["targets"]}
    assert met["sip ABI call <= 1/10 of hw null syscall"] is True
    assert met["hw null syscall no slower than Linux"] is False
    benchreport.write_all(res, tmp_path)
    md = (tmp_path / "results.md").read_text()
    assert "Emulated (QEMU TCG)" in md and "not hardware cycles" in md
    assert "| Thread yield |" in md and "| WebFiles: whole-file read |" in md
    assert "| hw null syscall no slower than Linux | hw/Linux <= 1 | 2 | not met |" in md
    assert "pages." not in md


def test_report_without_linux_says_why(tmp_path):
    why = "Linux peer: build/linux-peer/peer.json: not fetched; run make linux-peer"
    res = synthetic_results(tmp_path, linux_why=why)
    assert not res["systems"]["linux"]["available"]
    for row in res["rows"]:
        assert row["systems"]["linux"] == {"why": why}
        assert row["ratios"]["hw/linux"] is None
    assert all(t["met"] is None for t in res["targets"] if t["ratio_of"] == "hw/linux")
    benchreport.write_all(res, tmp_path)
    md = (tmp_path / "results.md").read_text()
    assert f"[1] No figure: {why}" in md
    json.loads((tmp_path / "results.json").read_text())
    for png in ("bench-cycles.png", "bench-ratios.png"):
        assert (tmp_path / png).read_bytes()[:8] == PNG_MAGIC


def test_report_when_a_program_failed(tmp_path):
    broken = synthetic("posix", 5).replace(data_line("webfiles", "read", [25_000_000, 35_000_000]),
                                           "webfiles: cannot open /data/webfiles.disk")
    res = synthetic_results(tmp_path, linux_text=broken)
    read = next(r for r in res["rows"] if r["key"] == "read")
    assert "no @data line for read" in read["systems"]["linux"]["why"]
    assert "median" in read["systems"]["hw"]
    assert not res["systems"]["linux"]["programs"]["webfiles"]["ok"]
    assert res["systems"]["linux"]["programs"]["ptbench"]["ok"]


# ---------------------------------------------------------------- (2) a real quick run

def peer_fetched():
    peer = Path(os.environ.get("LINUX_PEER_DIR") or ROOT / "build" / "linux-peer")
    return (peer if peer.is_absolute() else ROOT / peer) / "peer.json"


def make_quick_run_inputs():
    """The posix programs and, when the peer is fetched, its initramfs (packing only: no
    download here), under the lock osrun takes around its make."""
    targets = ["posix"] + (["linux-initramfs"] if peer_fetched().exists() else [])
    with open(build_dir() / ".osrun-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        make = subprocess.run(["make", "-s", *targets, f"BUILD={make_spelling(build_dir())}"],
                              cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert make.returncode == 0, make.stdout + make.stderr


@pytest.fixture(scope="module")
def quick_run(request):
    """One `tools/bench --quick` per test session, shared by the xdist workers (as
    conftest's shared_boot shares a boot): its files stay in $BUILD/test-logs/bench-quick."""
    out = build_dir() / "test-logs" / "bench-quick"
    out.mkdir(parents=True, exist_ok=True)
    with open(out.parent / "bench-quick.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = out / "session"
        if not marker.exists() or marker.read_text() != session_id(request.config):
            (out / "results.json").unlink(missing_ok=True)
            make_quick_run_inputs()
            accel = request.config.getoption("--accel")
            timeout = 300 * request.config.getoption("--timeout-scale")
            proc = subprocess.run([sys.executable, str(ROOT / "tools" / "bench"), "--quick",
                                   "--out", str(out), "--timeout", f"{timeout:g}",
                                   *(["--accel", accel] if accel else [])],
                                  cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=3 * timeout + 60)
            (out / "bench.log").write_text(proc.stdout + proc.stderr)
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
            marker.write_text(session_id(request.config))
    return out, json.loads((out / "results.json").read_text())


def test_quick_run_schema(quick_run):
    _, res = quick_run
    assert res["schema"] == {"name": "twofold-bench", "version": 1}
    for field in ("created", "git", "machine", "qemu", "emulated", "emulation_note",
                  "systems", "rows", "targets", "references"):
        assert field in res, field
    assert res["created"].endswith("Z") and isinstance(res["git"]["dirty"], bool)
    assert res["machine"]["cores"] >= 1 and res["qemu"]["version"].startswith("QEMU")
    assert (res["qemu"]["memory_mb"], res["qemu"]["smp"]) == (256, 1)
    assert res["emulated"] == (res["qemu"]["accel"] != "kvm")
    for s in ("hw", "sip", "linux"):
        assert res["systems"][s]["what"]


def cell_has_numbers(c):
    return (c["min"] <= c["median"] <= c["max"] and len(c["runs"]) == 2 and c["ops"] > 0
            and c["median_ns"] > 0)


def test_quick_run_ours_have_every_row(quick_run):
    _, res = quick_run
    keys = {(r["program"], r["key"]) for r in res["rows"]}
    assert {("ptbench", k) for k in PTBENCH_ROWS} | {("webfiles", "read")} <= keys
    assert any(k.startswith("pages.") for (p, k) in keys if p == "tlbdemo")
    for row in res["rows"]:
        for s in ("hw", "sip"):
            c = row["systems"][s]
            assert "median" in c, f"{row['key']} on {s}: {c.get('why')}"
            assert cell_has_numbers(c), (row["key"], s, c)


def test_quick_run_linux(quick_run):
    _, res = quick_run
    linux = res["systems"]["linux"]
    if not peer_fetched().exists():
        for row in res["rows"]:
            assert row["systems"]["linux"]["why"]
        pytest.skip(f"Linux peer not fetched ({peer_fetched()}): its cells say "
                    f"'{linux['why']}'")
    assert linux["available"], linux["why"]
    for row in res["rows"]:
        c = row["systems"]["linux"]
        assert "median" in c and cell_has_numbers(c), (row["key"], c)
        assert row["ratios"]["hw/linux"] > 0


def test_quick_run_report_files(quick_run):
    out, res = quick_run
    md = (out / "results.md").read_text()
    assert "| Operation | hw cycles |" in md
    for label in ("Read cycle counter", "Minimum kernel API call", "Thread yield",
                  "2-thread wait/signal ping-pong", "Cross-process message round trip",
                  "Process create+start+exit+wait", "WebFiles: whole-file read"):
        assert f"| {label} |" in md
    if res["emulated"]:
        assert "not hardware cycles" in md
    for png in ("bench-cycles.png", "bench-ratios.png"):
        assert (out / png).read_bytes()[:8] == PNG_MAGIC


# ---------------------------------------------------------------- tools/demo-tlb's reading

def test_demo_tlb_reads_whether_pcid_was_on():
    demo = load_tool("demo-tlb", "demo_tlb")
    tcg = demo.pcid_facts("cpu: ...\nhw: smep on, smap on, pcid off (not supported)\n$ ")
    assert (tcg["on"], tcg["supported"]) == (False, False)
    kvm = demo.pcid_facts("hw: smep on, smap on, pcid on, invpcid on\n")
    assert (kvm["on"], kvm["supported"]) == (True, True)
    off = demo.pcid_facts("hw: smep on, smap on, pcid off (pcid=off)\n")
    assert (off["on"], off["supported"]) == (False, True)
    assert demo.pcid_facts("Twofold sip kernel")["on"] is None
