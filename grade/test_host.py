"""Host-side tests of the pure-C kernel parts: unit tests, fuzz smoke runs, and the
initrd round trip (tools/mkinitrd packs, the kernel's parser reads back).

Run from the repo root: /usr/bin/python3 -m pytest grade/test_host.py
Programs are built with make (rules in grade/host/host.mk) into $BUILD/host/ (BUILD
defaults to "build"); MAKE overrides the make command, e.g. MAKE="make -f other.mk".
"""

import fcntl
import glob
import os
import shlex
import shutil
import subprocess
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
HOST_DIR = os.path.join(ROOT, "grade", "host")
MKINITRD = os.path.join(ROOT, "tools", "mkinitrd")


def stems(prefix):
    """NAME for every grade/host/PREFIX_NAME.c."""
    paths = sorted(glob.glob(os.path.join(HOST_DIR, prefix + "_*.c")))
    return [os.path.basename(p)[len(prefix) + 1:-2] for p in paths]


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          errors="replace", timeout=timeout, **kw)


def output_of(proc):
    return f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def build(program):
    """Builds $BUILD/host/PROGRAM with make and returns its absolute path. A lock file
    serialises the builds, so pytest-xdist workers never run two compilers on one output."""
    target = os.path.join(BUILD, "host", program)
    make = shlex.split(os.environ.get("MAKE", "make"))
    host_dir = os.path.join(ROOT, BUILD, "host")
    os.makedirs(host_dir, exist_ok=True)
    with open(os.path.join(host_dir, ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = run(make + ["-s", f"BUILD={BUILD}", target], timeout=300)
    assert proc.returncode == 0, f"building {target} failed\n{output_of(proc)}"
    return os.path.join(ROOT, target)


# ---- (a) unit tests: grade/host/test_*.c ----

@pytest.mark.parametrize("name", stems("test"))
def test_host_unit(name):
    binary = build(f"test_{name}")
    proc = run([binary])
    assert proc.returncode == 0, f"test_{name} failed\n{output_of(proc)}"


# ---- (b) fuzz targets: grade/host/fuzz_*.c, a short run over a copy of the corpus ----

@pytest.fixture(scope="session")
def libfuzzer(tmp_path_factory):
    """Skips when clang or its libFuzzer runtime is missing."""
    cc = os.environ.get("FUZZ_CC", "clang")
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not found: fuzz targets need clang with libFuzzer")
    d = tmp_path_factory.mktemp("libfuzzer-probe")
    src = d / "probe.c"
    src.write_text("#include <stdint.h>\n#include <stddef.h>\n"
                   "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                   " { (void)d; (void)n; return 0; }\n")
    proc = run([cc, "-fsanitize=fuzzer", "-o", str(d / "probe"), str(src)])
    if proc.returncode != 0:
        pytest.skip(f"{cc} cannot link libFuzzer (install libclang-rt-dev?): "
                    f"{proc.stderr.strip()[-300:]}")


@pytest.mark.parametrize("name", stems("fuzz"))
def test_host_fuzz(name, libfuzzer, tmp_path):
    binary = build(f"fuzz_{name}")
    corpus = tmp_path / "corpus"
    seeds = os.path.join(HOST_DIR, "corpus", name)
    if os.path.isdir(seeds):
        shutil.copytree(seeds, corpus)
    else:
        corpus.mkdir()
    cmd = [binary, "-runs=20000", "-max_total_time=20",
           f"-artifact_prefix={tmp_path}/", str(corpus)]
    proc = run(cmd, timeout=120)
    assert proc.returncode == 0, f"fuzz_{name} found a problem\n{output_of(proc)[-6000:]}"


# ---- (c) initrd round trip: tools/mkinitrd output read by kern/initrd.c ----

def write(path, data, exe=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o755 if exe else 0o644)


@pytest.fixture
def two_roots(tmp_path):
    """Two root dirs, the second overriding etc/motd; returns (roots, expected sizes)."""
    a, b = tmp_path / "a", tmp_path / "b"
    write(a / "etc" / "motd", b"from a\n")
    write(a / "bin" / "init", b"\x7fELF" + bytes(1000), exe=True)
    write(a / "empty", b"")
    write(a / "block", b"B" * 512)
    write(a / "block+1", b"C" * 513)
    write(a / "with space.txt", b"abc")
    write(a / "d" / ("n" * 98), b"max")   # exactly 100 bytes: the longest ustar name we take
    (a / "emptydir").mkdir()
    write(b / "etc" / "motd", b"from b, the later root\n")
    write(b / "usr" / "share" / "doc", b"doc")
    expected = {"etc/motd": 23, "bin/init": 1004, "empty": 0, "block": 512,
                "block+1": 513, "with space.txt": 3, "d/" + "n" * 98: 3, "usr/share/doc": 3}
    return [str(a), str(b)], expected


def mkinitrd(out, roots):
    return run([MKINITRD, str(out)] + [str(r) for r in roots])


def test_mkinitrd_roundtrip(two_roots, tmp_path):
    roots, expected = two_roots
    dump = build("initrd_dump")
    out = tmp_path / "initrd.tar"
    proc = mkinitrd(out, roots)
    assert proc.returncode == 0, output_of(proc)
    listing = (tmp_path / "initrd.list").read_text()
    want = "".join(f"{p} {expected[p]}\n" for p in sorted(expected))
    assert listing == want
    proc = run([dump, str(out)])
    assert proc.returncode == 0, output_of(proc)
    assert proc.stdout == listing


def test_mkinitrd_is_deterministic(two_roots, tmp_path):
    roots, _ = two_roots
    assert mkinitrd(tmp_path / "1.tar", roots).returncode == 0
    for root in roots:   # new mtimes must not change the archive
        for dirpath, _, files in os.walk(root):
            for f in files:
                os.utime(os.path.join(dirpath, f), (1234567890, 1234567890))
    assert mkinitrd(tmp_path / "2.tar", roots).returncode == 0
    assert (tmp_path / "1.tar").read_bytes() == (tmp_path / "2.tar").read_bytes()
    with tarfile.open(tmp_path / "1.tar") as tar:
        for m in tar.getmembers():
            assert m.isreg() and m.mtime == 0 and m.uid == m.gid == 0
            assert m.uname == m.gname == ""
            assert m.mode == (0o755 if m.name == "bin/init" else 0o644), m.name


def test_mkinitrd_refuses_long_path(tmp_path):
    long_name = "d/" + "n" * 99   # 101 bytes
    write(tmp_path / "root" / long_name, b"x")
    proc = mkinitrd(tmp_path / "out.tar", [tmp_path / "root"])
    assert proc.returncode == 1, output_of(proc)
    assert long_name in proc.stderr and "too long" in proc.stderr
    assert not (tmp_path / "out.tar").exists()


def test_initrd_dump_reports_bad_checksum(two_roots, tmp_path):
    roots, _ = two_roots
    dump = build("initrd_dump")
    out = tmp_path / "initrd.tar"
    assert mkinitrd(out, roots).returncode == 0
    data = bytearray(out.read_bytes())
    data[100] ^= 0x01   # the first header's mode field
    out.write_bytes(bytes(data))
    proc = run([dump, str(out)])
    assert proc.returncode == 1, output_of(proc)
    assert "checksum" in proc.stderr and "offset 0" in proc.stderr, output_of(proc)
