"""Every portable benchmark program runs on each backend.

The programs of user/portable/ (ptbench, webfiles, tlbdemo, codebench) are written once against
user/include/portable.h and built for four places: the host (posix backend, run here
directly), the hw kernel and the sip kernel (one tools/osrun boot each, all three
programs in it) and the Linux peer (tools/linux-peer; skipped, with the reason, when
build/linux-peer has not been fetched).  Each runs with -q (few operations, 2 runs) and
must exit 0, print its @meta line and exactly the @data rows it promises, in order, each
with one positive value per run.  webfiles must also have checked every byte it read, and
codebench every row's result.
Benchmarks, so never a timing: only that the numbers are there.
"""

import fcntl
import os
import re
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, build_dir, make_spelling, shared_boot

QUICK_RUNS = 2
WEBFILES_QUICK_READS = 10 * (1 + QUICK_RUNS)     # -q: 10 reads a run, plus the warm-up batch
ROWS = {
    "ptbench": ["cycle_counter", "abi_call", "yield", "waitsignal", "msg_rtt", "proc_create"],
    "webfiles": ["read"],
    "tlbdemo": [f"pages.{1 << k}" for k in range(11)],
    "codebench": ["verify_4k", "verify_64k", "msg_frame", "memcpy_1k", "memset_1k", "argparse",
                  "qsort_1000", "fnv_4k", "strsearch"],
}
PROGRAMS = list(ROWS)
META_RE = r"^@meta {prog} backend=(\S+) tsc_hz=(\d+)$"
DATA_RE = r"^@data {prog} ([a-z0-9_.]+) ops=(\d+) tsc_hz=(\d+) x100=([0-9,]+)$"
# codebench checks every row's result (a checksum, a sorted sum...) against the value a
# native run computes; this line says all of them matched.
CODEBENCH_CHECKED = "codebench: every row's result checked against the native run's values"
VERIFIED_RE = re.compile(r"^webfiles: (\d+) whole-file reads of (\d+) files, (\d+) bytes, "
                         r"every byte as the data set's formula says$", re.M)


def check_program(prog, backend, out, where):
    """The machine lines of one program's -q run (its output `out`) are complete."""
    meta = re.findall(META_RE.format(prog=prog), out, re.M)
    assert len(meta) == 1, f"{where}: {prog} -q printed {len(meta)} @meta lines, not 1:\n{out}"
    assert meta[0][0] == backend, f"{where}: {prog} says backend={meta[0][0]}, not {backend}"
    assert int(meta[0][1]) > 0, f"{where}: {prog} measured no TSC rate"
    rows = re.findall(DATA_RE.format(prog=prog), out, re.M)
    keys = [key for key, *_ in rows]
    assert keys == ROWS[prog], f"{where}: {prog} -q rows {keys}, expected {ROWS[prog]}:\n{out}"
    for key, ops, hz, values in rows:
        vals = [int(v) for v in values.split(",")]
        assert len(vals) == QUICK_RUNS, f"{where}: {prog} {key}: {len(vals)} values, not {QUICK_RUNS}"
        assert all(v > 0 for v in vals), f"{where}: {prog} {key}: a run cost nothing: {values}"
        assert int(ops) > 0 and hz == meta[0][1], f"{where}: {prog} {key}: ops={ops} tsc_hz={hz}"
    if prog == "webfiles":
        check_webfiles_verified(out, where)
    if prog == "codebench":
        assert CODEBENCH_CHECKED in out, f"{where}: codebench's rows did not check out:\n{out}"


def check_webfiles_verified(out, where):
    m = VERIFIED_RE.search(out)
    assert m, f"{where}: webfiles did not report checking what it read:\n{out}"
    reads, files, nbytes = (int(g) for g in m.groups())
    assert reads == WEBFILES_QUICK_READS, f"{where}: webfiles checked {reads} reads, " \
                                          f"expected {WEBFILES_QUICK_READS}"
    assert files > 0 and nbytes > 0, f"{where}: webfiles read nothing: {m.group(0)}"


# ------------------------------------------------------------------ posix, on this host

@pytest.fixture(scope="module")
def posix_build(request):
    """$BUILD/posix (make posix: the binaries and the data set), made once here unless
    --no-build; under the lock osrun takes, so no two makes share a build tree."""
    build = build_dir()
    if not request.config.getoption("--no-build"):
        build.mkdir(parents=True, exist_ok=True)
        with open(build / ".osrun-build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            proc = subprocess.run(["make", "-s", "posix", f"BUILD={make_spelling(build)}"],
                                  cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        assert proc.returncode == 0, f"make posix failed:\n{proc.stdout}"
    return build


@pytest.mark.parametrize("prog", PROGRAMS)
def test_posix_program(posix_build, prog):
    """On the host: $BUILD/posix/bin/PROG -q, its children found through PT_BIN_DIR."""
    bin_dir = posix_build / "posix" / "bin"
    cmd = [str(bin_dir / prog), "-q"]
    if prog == "webfiles":
        cmd += ["-d", str(posix_build / "bench" / "webdata" / "webfiles.disk")]
    proc = subprocess.run(cmd, env={**os.environ, "PT_BIN_DIR": str(bin_dir)},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}"
    check_program(prog, "posix", proc.stdout, "posix")


def test_posix_webfiles_refuses_a_bad_image(posix_build, tmp_path):
    """A file that is not a WebFiles image: a message naming it, and a non-zero exit."""
    bad = tmp_path / "notwebfiles.disk"
    bad.write_bytes(b"hello\n" * 200)
    bin_dir = posix_build / "posix" / "bin"
    proc = subprocess.run([str(bin_dir / "webfiles"), "-q", "-d", str(bad)],
                          env={**os.environ, "PT_BIN_DIR": str(bin_dir)},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert f"{bad}: not a WebFiles image" in proc.stderr, proc.stderr


def test_posix_webfiles_catches_a_wrong_byte(posix_build, tmp_path):
    """One flipped bit in a file's data: webfiles names the file and the byte, exits non-zero."""
    image = bytearray((posix_build / "bench" / "webdata" / "webfiles.disk").read_bytes())
    first_data, = struct.unpack_from("<I", image, 8 + 4 * 4)   # header: see tools/mkwebdata
    image[first_data * 512 + 7] ^= 1                            # byte 7 of file 0
    bad = tmp_path / "flipped.disk"
    bad.write_bytes(bytes(image))
    bin_dir = posix_build / "posix" / "bin"
    # -n 2000: enough random reads to reach file 0 (1 in 256 each)
    proc = subprocess.run([str(bin_dir / "webfiles"), "-n", "2000", "-r", "1", "-d", str(bad)],
                          env={**os.environ, "PT_BIN_DIR": str(bin_dir)},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0, "webfiles read a corrupted file without noticing"
    assert "file 0 byte 7 is" in proc.stderr, proc.stderr


def test_mkwebdata_is_deterministic(tmp_path):
    """Same arguments, same bytes: every system gets the same data set."""
    a, b = tmp_path / "a.disk", tmp_path / "b.disk"
    for out in (a, b):
        subprocess.run([str(ROOT / "tools" / "mkwebdata"), str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    assert a.read_bytes() == b.read_bytes()
    assert 1_000_000 <= a.stat().st_size <= 2_500_000, "the data set goes into three initrds"


def test_mkwebdata_refuses_bad_arguments(tmp_path):
    proc = subprocess.run([str(ROOT / "tools" / "mkwebdata"), "--files", "0",
                           str(tmp_path / "x.disk")], capture_output=True, text=True)
    assert proc.returncode != 0 and "--files 0" in proc.stderr
    assert not (tmp_path / "x.disk").exists()


# ------------------------------------------------------------------ hw and sip

# hw's shell reports nothing when a foreground command fails, but init reports a shell
# that exits with a non-zero status: `exit` after each program hands its status to init
# (silent for 0), and init starts a new shell for the next line.
HW_LINES = [line for prog in PROGRAMS for line in (f"{prog} -q", "exit")]
# sip's shell says "[ID] exit N" for every command that exits non-zero.
SIP_LINES = [f"{prog} -q" for prog in PROGRAMS]
FAILED_SIP_RE = re.compile(r"^\[\d+\] (exit \d+|killed)$", re.M)


def shell_outputs(transcript):
    """[(command, output)] for the lines typed at "$ " prompts, in order."""
    return [tuple(piece.partition("\n")[::2]) for piece in transcript.split("\n$ ")[1:]]


def output_after(outputs, command):
    """What `command` printed and what the line after it printed ("" if none), or None."""
    for i, (cmd, out) in enumerate(outputs):
        if cmd == command:
            return out, outputs[i + 1][1] if i + 1 < len(outputs) else ""
    return None


@pytest.fixture(scope="module")
def hw_boot(request):
    return shared_boot(request, "hw", "portable", HW_LINES, timeout=600)


@pytest.fixture(scope="module")
def sip_boot(request):
    return shared_boot(request, "sip", "portable", SIP_LINES, timeout=600)


@pytest.mark.parametrize("prog", PROGRAMS)
def test_hw_program(hw_boot, prog):
    where = f"hw (transcript {hw_boot.log})"
    assert "PANIC" not in hw_boot.transcript, f"{where}: the kernel panicked"
    found = output_after(shell_outputs(hw_boot.transcript), f"{prog} -q")
    assert found is not None, f"{where}: {prog} -q never ran"
    out, after_exit = found
    status = re.search(r"^init: sh exited with status (\d+)", after_exit, re.M)
    assert not status, f"{where}: {prog} -q exited {status.group(1)}:\n{out}"
    check_program(prog, "hw", out, where)


@pytest.mark.parametrize("prog", PROGRAMS)
def test_sip_program(sip_boot, prog):
    where = f"sip (transcript {sip_boot.log})"
    assert "PANIC" not in sip_boot.transcript, f"{where}: the kernel panicked"
    found = output_after(shell_outputs(sip_boot.transcript), f"{prog} -q")
    assert found is not None, f"{where}: {prog} -q never ran"
    out = found[0]
    failed = FAILED_SIP_RE.search(out) or re.search(r"^sip \d+ \(\w+\): .*$", out, re.M)
    assert not failed, f"{where}: {prog} -q: {failed.group(0)}:\n{out}"
    check_program(prog, "sip", out, where)


# ------------------------------------------------------------------ the Linux peer

def linux_peer_dir():
    return Path(os.environ.get("LINUX_PEER_DIR") or ROOT / "build" / "linux-peer")


def peer_outputs(transcript):
    """{command: (output, status)} from tools/linux-peer's "$ CMD" ... "@exit N" blocks."""
    return {m.group(1): (m.group(2), int(m.group(3))) for m in
            re.finditer(r"^\$ ([^\n]*)\n(.*?)^@exit (\d+)$", transcript, re.M | re.S)}


@pytest.fixture(scope="module")
def peer_run(request, posix_build):
    if not (linux_peer_dir() / "peer.json").exists():
        pytest.skip(f"the Linux peer is not fetched ({linux_peer_dir()}/peer.json missing): "
                    "run make linux-peer")
    build = make_spelling(posix_build)
    with open(posix_build / ".osrun-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = subprocess.run(["make", "-s", "linux-initramfs", f"BUILD={build}"], cwd=ROOT,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert made.returncode == 0, f"make linux-initramfs failed:\n{made.stdout}{made.stderr}"
    cmd = [str(ROOT / "tools" / "linux-peer"), "run", "--timeout", "600"]
    accel = request.config.getoption("--accel")
    if accel:
        cmd += ["--accel", accel]
    proc = subprocess.run(cmd + ["--", *SIP_LINES], cwd=ROOT, stdin=subprocess.DEVNULL,
                          env={**os.environ, "BUILD": str(posix_build)},
                          capture_output=True, text=True, errors="replace", timeout=700)
    assert proc.returncode in (0, 1), f"tools/linux-peer run exited {proc.returncode}:\n" \
                                      f"{proc.stderr}\n{proc.stdout[-3000:]}"
    return proc.stdout


@pytest.mark.parametrize("prog", PROGRAMS)
def test_linux_peer_program(peer_run, prog):
    found = peer_outputs(peer_run).get(f"{prog} -q")
    assert found is not None, f"linux peer: {prog} -q never finished:\n{peer_run[-3000:]}"
    out, status = found
    assert status == 0, f"linux peer: {prog} -q exited {status}:\n{out}"
    check_program(prog, "posix", out, "linux peer")
