"""tools/linux-peer: the newc writer, the initramfs layout and the clear failures need no
network and no QEMU; the boot runs only when the peer has been fetched (make linux-peer)
and is skipped, saying so, otherwise.  Nothing here downloads."""

import fcntl
import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, build_dir, load_tool, make_spelling

TOOL = ROOT / "tools" / "linux-peer"


peer = load_tool("linux-peer", "linux_peer")


def fetched():
    try:
        peer.load_manifest()
        return True
    except peer.PeerError:
        return False


needs_peer = pytest.mark.skipif(not fetched(), reason=f"the Linux peer is not fetched "
                                f"({peer.manifest_path()} missing): run make linux-peer")


def tool(*args, env_extra=None, timeout=60):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([str(TOOL), *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- newc

SAMPLE = [
    ("d", peer.S_IFDIR | 0o755, b"", (0, 0)),
    ("d/empty", peer.S_IFREG | 0o644, b"", (0, 0)),
    ("d/one", peer.S_IFREG | 0o600, b"x", (0, 0)),
    ("d/three", peer.S_IFREG | 0o644, b"abc", (0, 0)),
    ("d/four", peer.S_IFREG | 0o755, b"abcd", (0, 0)),
    ("d/binary", peer.S_IFREG | 0o644, bytes(range(256)) * 3 + b"\0\0\0\0\0", (0, 0)),
    ("link", peer.S_IFLNK | 0o777, b"d/one", (0, 0)),
    ("console", peer.S_IFCHR | 0o600, b"", (5, 1)),
    ("a name with spaces and a much longer length", peer.S_IFREG | 0o644, b"12345", (0, 0)),
]


def test_newc_round_trip():
    archive = peer.write_newc(SAMPLE)
    assert peer.read_newc(archive) == SAMPLE


def test_newc_layout_and_trailer():
    archive = peer.write_newc(SAMPLE)
    assert len(archive) % 4 == 0
    assert archive.startswith(b"070701")
    last = archive.rfind(b"070701")
    assert archive[last + 110:last + 110 + 11] == b"TRAILER!!!\0"
    assert archive.count(b"070701") == len(SAMPLE) + 1


def test_newc_same_input_same_bytes():
    assert peer.write_newc(SAMPLE) == peer.write_newc(list(SAMPLE))


def test_newc_cut_short_is_refused():
    archive = peer.write_newc(SAMPLE)
    trailer = archive.rfind(b"070701")
    with pytest.raises(ValueError, match="TRAILER"):
        peer.read_newc(archive[:trailer])
    with pytest.raises(ValueError, match="magic"):
        peer.read_newc(b"070707" + archive[6:])


@needs_peer
def test_newc_read_by_busybox_cpio(tmp_path):
    """Another reader than ours agrees on the names and contents."""
    busybox = peer.peer_dir() / peer.load_manifest()["busybox"]
    files = [m for m in SAMPLE if m[1] & 0o170000 in (peer.S_IFDIR, peer.S_IFREG)]
    archive = tmp_path / "a.cpio"
    archive.write_bytes(peer.write_newc(files))
    with open(archive, "rb") as f:
        listing = subprocess.run([str(busybox), "cpio", "-t"], stdin=f,
                                 capture_output=True, text=True, check=True).stdout
    assert listing.splitlines() == [m[0] for m in files]
    out = tmp_path / "out"
    out.mkdir()
    with open(archive, "rb") as f:
        subprocess.run([str(busybox), "cpio", "-i", "-d"], stdin=f, cwd=out,
                       capture_output=True, check=True)
    for name, _, data, _ in files[1:]:
        assert (out / name).read_bytes() == data


# ---------------------------------------------------------------- initramfs

def fake_peer(tmp_path):
    """A peer directory with stand-in files: enough for the initramfs writer."""
    base = tmp_path / "peer"
    (base / "root" / "bin").mkdir(parents=True)
    (base / "root" / "boot").mkdir()
    (base / "root" / "bin" / "busybox").write_bytes(b"BUSYBOX")
    (base / "root" / "boot" / "vmlinuz-0-amd64").write_bytes(b"KERNEL")
    (base / "peer.json").write_text(json.dumps({
        "packages": [], "kernel_release": "0-amd64",
        "kernel": "root/boot/vmlinuz-0-amd64", "busybox": "root/bin/busybox"}))
    return base


def test_initramfs_layout(tmp_path):
    base = fake_peer(tmp_path)
    bins = tmp_path / "bin"
    bins.mkdir()
    (bins / "ptbench").write_bytes(b"PROGRAM")
    data = tmp_path / "webfiles.disk"
    data.write_bytes(b"DISK" * 1000)
    out = tmp_path / "ir.cpio"
    r = tool("initramfs", str(out), "--bin", str(bins), "--data", str(data),
             env_extra={"LINUX_PEER_DIR": str(base)})
    assert r.returncode == 0, r.stderr
    members = {m[0]: m for m in peer.read_newc(out.read_bytes())}
    assert members["bin/busybox"][2] == b"BUSYBOX"
    assert members["bin/ptbench"][1] == peer.S_IFREG | 0o755
    assert members["bin/ptbench"][2] == b"PROGRAM"
    assert members["data/webfiles.disk"][2] == b"DISK" * 1000
    assert members["init"][1] & 0o111 and members["init"][2].startswith(b"#!/bin/busybox sh")
    assert members["dev/console"][1:] == (peer.S_IFCHR | 0o600, b"", (5, 1))
    for d in ("bin", "dev", "proc", "sys", "tmp", "data"):
        assert members[d][1] == peer.S_IFDIR | 0o755


def test_gzip_initramfs_is_the_same_archive(tmp_path):
    base = fake_peer(tmp_path)
    bins = tmp_path / "bin"
    bins.mkdir()
    env = {"LINUX_PEER_DIR": str(base)}
    assert tool("initramfs", str(tmp_path / "a.cpio"), "--bin", str(bins), env_extra=env).returncode == 0
    assert tool("initramfs", str(tmp_path / "a.cpio.gz"), "--bin", str(bins), env_extra=env).returncode == 0
    assert gzip.decompress((tmp_path / "a.cpio.gz").read_bytes()) == (tmp_path / "a.cpio").read_bytes()


def test_commands_archive_holds_each_command():
    members = peer.read_newc(peer.commands_archive(["echo 'a b'", "exit 3"]))
    assert [(m[0], m[2]) for m in members] == [
        ("cmds", b""), ("cmds/000", b"echo 'a b'\n"), ("cmds/001", b"exit 3\n")]


def test_exit_statuses_parse_in_order():
    text = "$ a\nx\n@exit 0\n$ b\nno newline@exit 7\n$ c\n"
    assert peer.exit_statuses(text, 3) == [0, 7, None]
    assert peer.verdict(text, [0, 7, None])[0] == peer.EXIT_PANIC
    assert peer.verdict(text, [0, 7])[0] == peer.EXIT_FAILED
    assert peer.verdict(text, [0, 0])[0] == peer.EXIT_OK


# ---------------------------------------------------------------- clear failures

def one_line_error(stderr):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_missing_peer_says_what_to_run(tmp_path):
    env = {"LINUX_PEER_DIR": str(tmp_path / "nothing-here")}
    for args in (["run", "--", "echo hi"], ["info"],
                 ["initramfs", str(tmp_path / "x.cpio"), "--bin", str(tmp_path)]):
        r = tool(*args, env_extra=env)
        assert r.returncode == peer.EXIT_RUNNER
        line = one_line_error(r.stderr)
        assert "nothing-here/peer.json" in line and "make linux-peer" in line
    assert not (tmp_path / "x.cpio").exists()


def test_fetch_without_apt_lists_says_what_to_run(tmp_path):
    """apt with an empty package list (what a machine that never ran apt-get update
    has): one line naming the fix, status 1, nothing half-fetched."""
    if shutil.which("apt-cache") is None:
        pytest.skip("no apt-cache on this machine")
    lists, cache = tmp_path / "lists", tmp_path / "cache"
    (lists / "partial").mkdir(parents=True)
    cache.mkdir()
    conf = tmp_path / "apt.conf"
    conf.write_text(f'Dir::State::Lists "{lists}";\nDir::Cache "{cache}";\n'
                    'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n')
    r = tool("fetch", env_extra={"APT_CONFIG": str(conf),
                                 "LINUX_PEER_DIR": str(tmp_path / "peer")})
    assert r.returncode == 1
    assert "apt-get update" in one_line_error(r.stderr)
    assert not (tmp_path / "peer" / "peer.json").exists()


def test_initramfs_refuses_missing_program_dir(tmp_path):
    r = tool("initramfs", str(tmp_path / "x.cpio"), "--bin", str(tmp_path / "nobin"),
             env_extra={"LINUX_PEER_DIR": str(fake_peer(tmp_path))})
    assert r.returncode == peer.EXIT_RUNNER
    assert "nobin" in one_line_error(r.stderr)


# ---------------------------------------------------------------- the fetched peer

@pytest.mark.skipif(not peer.manifest_is_current(),
                    reason="the Linux peer is not fetched, or its debs changed: fetch would download")
def test_fetch_when_current_does_nothing():
    r = tool("fetch")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


@needs_peer
def test_info_uses_osruns_machine():
    r = tool("info", "--accel", "tcg")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    manifest = peer.load_manifest()
    assert info["kernel_release"] == manifest["kernel_release"]
    cmd = info["qemu_command"]
    osrun_cmd = peer.load_osrun().qemu_command(Path("ISO"), "tcg", 1, 256)
    for flag in ("-accel", "-cpu", "-m", "-smp"):
        assert cmd[cmd.index(flag) + 1] == osrun_cmd[osrun_cmd.index(flag) + 1]
    assert cmd[cmd.index("-kernel") + 1].endswith(manifest["kernel"])


@pytest.fixture(scope="module")
def initramfs():
    """$BUILD/linux/initramfs.cpio, made (never fetched) by its make rule."""
    build = build_dir()
    build.mkdir(parents=True, exist_ok=True)
    # The lock tools/osrun and conftest take: one make per build tree at a time.
    with open(build / ".osrun-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", f"BUILD={make_spelling(build)}", "linux-initramfs"],
                           cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return build / "linux" / "initramfs.cpio"


@needs_peer
def test_boot_runs_commands_in_order(initramfs):
    """One boot: a shell command, a posix program, output with no final newline, a
    failing command."""
    r = tool("run", "--initramfs", str(initramfs), "--timeout", "300", "--",
             "echo hi", "ptbench -q", "printf x", "exit 3", timeout=400)
    assert r.returncode == peer.EXIT_FAILED, r.stdout + r.stderr
    assert peer.exit_statuses(r.stdout, 4) == [0, 0, 0, 3]
    sections = re.split(r"^\$ ", r.stdout, flags=re.M)
    assert sections[1].splitlines() == ["echo hi", "hi", "@exit 0"]
    assert sections[2].startswith("ptbench -q\n")
    assert re.search(r"^@meta ptbench backend=posix tsc_hz=\d+$", sections[2], re.M)
    assert re.search(r"^@data ptbench msg_rtt ops=\d+ ", sections[2], re.M)
    assert sections[3].splitlines() == ["printf x", "x@exit 0"]
    assert re.search(r"^poweroff: status 1$", r.stdout, re.M)
    assert "command(s) 4 exited non-zero" in r.stderr
