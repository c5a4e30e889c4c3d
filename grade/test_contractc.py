"""tools/contractc: a contract (ipc/contracts/NAME.contract) to the SIP-side header
<contracts/NAME.h> (docs/sip.md, "Contracts").

Every contract of the tree is accepted and its header compiles for wasm32 as SIP programs
are compiled; the stubs put messages on the wire as the kernel checks them (scalars packed
little endian in order, then the bytes; endpoints in handles[]) and the receive decodes
them back (run on the host against a fake kernel); bad contracts are refused with
"contractc: FILE: line N: problem" and no header.

Run from the repo root: BUILD=build /usr/bin/python3 -m pytest grade/test_contractc.py
"""

import fcntl
import glob
import os
import shlex
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
CONTRACTS = sorted(glob.glob(os.path.join(ROOT, "ipc", "contracts", "*.contract")))
SIP_INCLUDE = os.path.join(ROOT, "user", "sip", "include")


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          errors="replace", timeout=timeout, **kw)


@pytest.fixture(scope="module")
def contractc():
    target = os.path.join(BUILD, "host", "contractc")
    os.makedirs(os.path.join(ROOT, BUILD, "host"), exist_ok=True)
    with open(os.path.join(ROOT, BUILD, "host", ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = run(shlex.split(os.environ.get("MAKE", "make")) + ["-s", f"BUILD={BUILD}", target],
                   timeout=300)
    assert proc.returncode == 0, f"make {target} failed\n{proc.stdout}\n{proc.stderr}"
    return os.path.join(ROOT, target)


def need_clang():
    if shutil.which("clang") is None:
        pytest.skip("clang not found (SIP programs need it too)")


def generate(contractc, src, gen_dir):
    name = os.path.basename(src)[:-len(".contract")]
    out = gen_dir / "contracts" / f"{name}.h"
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = run([contractc, src, "-o", str(out), "--contracts", os.path.dirname(src)])
    return proc, out


@pytest.fixture(scope="module")
def gen_dir(contractc, tmp_path_factory):
    """Every ipc/contracts header, generated into one folder."""
    d = tmp_path_factory.mktemp("gen")
    for src in CONTRACTS:
        proc, out = generate(contractc, src, d)
        assert proc.returncode == 0, f"{src} refused: {proc.stderr}"
        assert out.read_text().startswith("// generated from ")
    return d


@pytest.mark.parametrize("src", CONTRACTS, ids=os.path.basename)
def test_header_compiles_for_wasm32(gen_dir, src, tmp_path):
    need_clang()
    name = os.path.basename(src)[:-len(".contract")]
    prog = tmp_path / "use.c"
    # Included twice: #pragma once. Every stub is used, so each one is compiled.
    prog.write_text(f"#include <contracts/{name}.h>\n#include <contracts/{name}.h>\n"
                    f"int use(int h) {{ struct {name}_msg m; int a, b;\n"
                    f"    return {name}_create(&a, &b) + {name}_recv(h, &m); }}\n")
    proc = run(["clang", "--target=wasm32", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
                "-ffreestanding", "-nostdlib", "-I", SIP_INCLUDE, "-I", str(gen_dir),
                "-c", str(prog), "-o", str(tmp_path / "use.o")])
    assert proc.returncode == 0, proc.stderr


# A fake kernel on the host: send keeps the message, recv hands it back.
WIRE_TEST = r"""
#include <stdio.h>
#include <string.h>
#include <contracts/Ping.h>
#include <contracts/Connect.h>
#include <contracts/FileService.h>
#include <contracts/Bad.h>
static struct sip_msg last;
static int sends;
int32_t sip_chan_send(int32_t h, const struct sip_msg *m) {
    (void)h; sends++; memcpy(&last, m, 28 + (m->len > 0 ? m->len : 0)); return 0; }
int32_t sip_chan_recv(int32_t h, struct sip_msg *m) { (void)h; memcpy(m, &last, sizeof last); return 0; }
int32_t sip_chan_create(const char *c, int32_t len, int32_t *hs) {
    if (len != (int32_t)strlen(c)) return -1; hs[0] = 10 + (int)strlen(c); hs[1] = 20; return 0; }
static int fails;
#define EXPECT(c) do { if (!(c)) { printf("FAILED line %d: %s\n", __LINE__, #c); fails++; } } while (0)
int main(void) {
    int a = 0, b = 0;
    EXPECT(Ping_create(&a, &b) == 0 && a == 14 && b == 20);
    EXPECT(Ping_send_Ping(3, 0x01020304, "hello", 5) == 0);
    EXPECT(last.tag == Ping_Ping && last.len == 9 && last.nhandles == 0);
    EXPECT(last.data[0] == 4 && last.data[3] == 1 && memcmp(last.data + 4, "hello", 5) == 0);
    struct Ping_msg pm;
    EXPECT(Ping_recv(3, &pm) == Ping_Ping && pm.Ping.seq == 0x01020304 && pm.Ping.pad_len == 5
           && memcmp(pm.Ping.pad, "hello", 5) == 0);
    EXPECT(Ping_send_Pong(3, 9, NULL, 0) == 0 && last.tag == Ping_Pong && last.len == 4);
    int before = sends;
    EXPECT(Ping_send_Ping(3, 1, "x", SIP_MSG_MAX - 3) == -22 && sends == before);
    EXPECT(Ping_send_Ping(3, 1, "x", -1) == -22 && sends == before);
    EXPECT(Ping_send_Ping(3, 1, last.data, SIP_MSG_MAX - 4) == 0 && last.len == SIP_MSG_MAX);
    EXPECT(FileService_send_Seek(3, 7, -2, 1) == 0 && last.len == 16);
    struct FileService_msg fm;
    EXPECT(FileService_recv(3, &fm) == FileService_Seek && fm.Seek.fd == 7 && fm.Seek.offset == -2
           && fm.Seek.whence == 1);
    EXPECT(last.data[4] == 0xfe && last.data[11] == 0xff && last.data[12] == 1);
    EXPECT(FileService_send_Entry(3, 5, 2, "name", 4) == 0 && last.len == 16);
    EXPECT(FileService_recv(3, &fm) == FileService_Entry && fm.Entry.ino == 5 && fm.Entry.type == 2
           && fm.Entry.name_len == 4 && memcmp(fm.Entry.name, "name", 4) == 0);
    EXPECT(Connect_send_Connect(3, 42) == 0 && last.nhandles == 1 && last.handles[0] == 42
           && last.len == 0);
    struct Connect_msg cm;
    EXPECT(Connect_recv(3, &cm) == Connect_Connect && cm.Connect.client == 42);
    EXPECT(Bad_send_Two(3) == 0 && last.tag == Bad_Two && last.len == 0 && Bad_b == 1);
    last.tag = 7;
    struct Bad_msg bm;
    EXPECT(Bad_recv(3, &bm) == -22);
    printf("%d failed\n", fails);
    return fails != 0;
}
"""


def test_stubs_encode_and_decode_the_wire_layout(gen_dir, tmp_path):
    need_clang()
    (tmp_path / "wire.c").write_text(WIRE_TEST)
    # sip.h's import attributes mean nothing off wasm: that warning only.
    proc = run(["clang", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unknown-attributes",
                "-Wno-ignored-attributes", "-I", SIP_INCLUDE, "-I", str(gen_dir),
                str(tmp_path / "wire.c"), "-o", str(tmp_path / "wire")])
    assert proc.returncode == 0, proc.stderr
    proc = run([str(tmp_path / "wire")])
    assert proc.returncode == 0, proc.stdout + proc.stderr


BAD = [
    ("line_number", "contract X\nroles a b\n\nmessage M(i32 x,)\n", "line 4: expected a field type"),
    ("name_mismatch", "contract Y\n", "line 1: contract 'Y' in the file of contract 'X'"),
    ("turn_rule", "contract X\nroles a b\nmessage M()\nmessage N()\ninitial S\nS: a M -> S\n"
     "S: b N -> S\n", "line 7: turn rule"),
    ("unused", "contract X\nroles a b\nmessage M()\ninitial S\n", "line 3: message 'M' is not used"),
    ("c_keyword_field", "contract X\nroles a b\nmessage M(i32 int)\ninitial S\nS: a M -> S\n",
     "line 3: field name 'int' is reserved"),
    ("len_clash", "contract X\nroles a b\nmessage M(i32 d_len, bytes d)\ninitial S\nS: a M -> S\n",
     "line 3: field 'd_len' clashes"),
    ("role_as_message", "contract X\nroles a b\nmessage a()\ninitial S\nS: a a -> S\n",
     "line 3: message 'a' has the name of a role"),
    ("ep_unknown_contract", "contract X\nroles a b\nmessage M(ep Nope:r e)\ninitial S\n"
     "S: a M -> S\n", "line 3: ep field 'e': contract Nope:"),
    ("ep_unknown_role", "contract X\nroles a b\nmessage M(ep X:c e)\ninitial S\nS: a M -> S\n",
     "line 3: ep field 'e': contract X has no role c"),
]


@pytest.mark.parametrize("name,text,problem", BAD, ids=[b[0] for b in BAD])
def test_bad_contract_refused(contractc, tmp_path, name, text, problem):
    src = tmp_path / "X.contract"
    src.write_text(text)
    proc, out = generate(contractc, str(src), tmp_path)
    assert proc.returncode == 1, f"{name} accepted: {proc.stdout}{proc.stderr}"
    assert proc.stderr.startswith(f"contractc: {src}: {problem}"), proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert not out.exists() and not os.path.exists(str(out) + ".tmp")


def test_good_ep_reference_accepted(contractc, tmp_path):
    (tmp_path / "X.contract").write_text(
        "contract X\nroles a b\nmessage M(ep Y:r e, ep X:b self, ep any z)\ninitial S\n"
        "S: a M -> S\n")
    (tmp_path / "Y.contract").write_text("contract Y\nroles q r\ninitial T\n")
    proc, out = generate(contractc, str(tmp_path / "X.contract"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "int X_send_M(int h, int e, int self, int z)" in out.read_text()


# ---- The kernel's registry (ipc/contract_registry.c) on a boot with extra contracts ----

EXTRA = {
    "Broken": "contract Broken\nroles a b\nmessage M()\nmessage N()\ninitial S\nS: a M -> S\n"
              "S: b N -> S\n",
    "Misnamed": "contract Other\nroles a b\ninitial S\n",
    "Dangling": "contract Dangling\nroles a b\nmessage M(ep Nope:r e)\ninitial S\nS: a M -> S\n",
    "Chain": "contract Chain\nroles a b\nmessage M(ep Dangling:a e)\ninitial S\nS: a M -> S\n",
    "Extra": "contract Extra\nroles a b\nmessage M(ep Ping:server e)\ninitial S\nS: a M -> S\n",
}
REFUSED = {
    "Broken": "line 7: turn rule",
    "Misnamed": "line 1: contract 'Other' in the file of contract 'Misnamed'",
    "Dangling": "line 3: ep field 'e': no contract Nope loaded",
    "Chain": "line 3: ep field 'e': no contract Dangling loaded",
}


def test_registry_refuses_bad_contracts_at_boot(osrun, tmp_path):
    """The build's sip initrd plus five contracts: four refused with one line each
    (the Chain one only because Dangling was), Extra loaded, and boot goes on (the
    kernel loads them in variant_init; sip=hello then runs as usual)."""
    import io
    import re
    import tarfile
    base = os.path.join(ROOT, BUILD, "sip", "initrd.tar")
    initrd = tmp_path / "initrd.tar"
    shutil.copyfile(base, initrd)
    with tarfile.open(base) as t:
        ours = [n for n in t.getnames() if re.fullmatch(r"(\./)?contracts/\w+\.contract", n)]
    with tarfile.open(initrd, "a", format=tarfile.USTAR_FORMAT) as t:
        for name, text in EXTRA.items():
            info = tarfile.TarInfo(f"contracts/{name}.contract")
            info.size = len(text)
            t.addfile(info, io.BytesIO(text.encode()))
    run = osrun("sip", cmdline="sip=hello", initrd=initrd)
    out = run.transcript
    for name, problem in REFUSED.items():
        lines = [l for l in out.splitlines() if l.startswith(f"contract: contracts/{name}.contract: ")]
        assert len(lines) == 1 and problem in lines[0], f"{name}: {lines}\n{out}"
    assert "contracts/Extra.contract" not in out, out
    assert f"contracts: {len(ours) + 1} loaded" in out, out
    assert len(re.findall(r"^contracts: \d+ loaded", out, re.M)) == 1, out
    assert "sip 1 (hello): exited with status 0" in out, out


# ---- mk/contracts.mk, run in a scratch tree holding only what it needs ----

def scratch_tree(tmp_path):
    tree = tmp_path / "tree"
    for rel in ("mk/contracts.mk", "tools/contractc.c", "ipc/contract.c", "ipc/contract.h",
                "syscall/errno_list.h"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, rel), tree / rel)
    (tree / "ipc" / "contracts").mkdir()
    (tree / "GNUmakefile").write_text("BUILD := build\nsay = @true\nQ :=\ninclude mk/contracts.mk\n")
    return tree


def make_in(tree):
    """make contracts in the scratch tree, not inheriting a calling make's variables
    (`make test BUILD=...` passes BUILD down through MAKEFLAGS)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return run(["make", "-C", str(tree), "BUILD=build", "contracts"], env=env)


GOOD = "contract {0}\nroles a b\nmessage M(i32 x)\ninitial S\nS: a M -> S\n"


def test_make_rules_headers_rootfs_and_removal(tmp_path):
    tree = scratch_tree(tmp_path)
    for name in ("A", "B"):
        (tree / "ipc" / "contracts" / f"{name}.contract").write_text(GOOD.format(name))
    proc = make_in(tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gen, root = tree / "build" / "sip" / "gen" / "contracts", tree / "build" / "sip" / "rootfs" / "contracts"
    assert sorted(os.listdir(gen)) == ["A.h", "B.h"] and sorted(os.listdir(root)) == ["A.contract", "B.contract"]
    (tree / "ipc" / "contracts" / "B.contract").unlink()
    proc = make_in(tree)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.listdir(gen) == ["A.h"] and os.listdir(root) == ["A.contract"]


def test_make_stops_on_a_bad_contract(tmp_path):
    tree = scratch_tree(tmp_path)
    (tree / "ipc" / "contracts" / "A.contract").write_text(GOOD.format("A"))
    (tree / "ipc" / "contracts" / "X.contract").write_text("contract X\nroles a b\nroles c d\n")
    proc = make_in(tree)
    assert proc.returncode != 0
    assert "contractc: ipc/contracts/X.contract: line 3: a second roles line" in proc.stderr, proc.stderr
    assert not (tree / "build" / "sip" / "rootfs" / "contracts" / "X.contract").exists()
