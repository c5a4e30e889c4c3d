"""The sip kernel runs sealed SIP images (docs/sip.md): `sip=NAME` on the command line
runs the initrd's sip/NAME.sip and powers off with status 0 only if the SIP exited
with 0.  A tampered image is refused at load, with a message naming the file, and
nothing of it runs."""

import re
import subprocess
import sys

import pytest

from conftest import EXIT_OK, EXIT_TEST_FAILED, ROOT

POWEROFF_RE = re.compile(r"^poweroff: status (\d+)", re.M)
EXIT_LINE_RE = re.compile(r"^sip (\d+) \((\w+)\): exited with status (-?\d+)$", re.M)
REFUSED_RE = re.compile(r"^sip: sip/hello\.sip: (.+)$", re.M)


def why(run, what):
    return f"{what}\n--- transcript (kept in {run.log}) ---\n{run.transcript[-3000:]}"


def test_hello_sip_runs_and_exits_0(osrun):
    run = osrun("sip", cmdline="sip=hello")
    assert "hello from a SIP" in run.transcript, why(run, "no 'hello from a SIP' line")
    m = EXIT_LINE_RE.search(run.transcript)
    assert m and m.group(2) == "hello" and m.group(3) == "0", \
        why(run, "no 'sip N (hello): exited with status 0' line")
    assert run.code == EXIT_OK, why(run, "did not power off with status 0")


def tampered_initrd(build, tmp_path):
    """The sip initrd's hello.sip with one byte of its object flipped after sealing."""
    image = bytearray((build / "sip" / "rootfs" / "sip" / "hello.sip").read_bytes())
    manifest_len = int.from_bytes(image[8:12], "little")
    image[16 + manifest_len + 100] ^= 0x01          # inside the ELF object
    root = tmp_path / "root"
    (root / "sip").mkdir(parents=True)
    (root / "sip" / "hello.sip").write_bytes(bytes(image))
    out = tmp_path / "initrd-tampered.tar"
    subprocess.run([sys.executable, str(ROOT / "tools" / "mkinitrd"), str(out),
                    str(ROOT / "user" / "files"), str(root)], check=True)
    return out


def test_tampered_image_is_refused_at_load(osrun, build, tmp_path):
    run = osrun("sip", cmdline="sip=hello", initrd=tampered_initrd(build, tmp_path))
    refused = REFUSED_RE.search(run.transcript)
    assert refused, why(run, "no 'sip: sip/hello.sip: REASON' refusal line")
    assert "seal" in refused.group(1), why(run, f"the refusal does not name the seal: {refused.group(0)!r}")
    assert "hello from a SIP" not in run.transcript, why(run, "the tampered image ran")
    assert not EXIT_LINE_RE.search(run.transcript), why(run, "a SIP was started from a tampered image")
    assert run.code == EXIT_TEST_FAILED, why(run, "did not power off with status 1")


def test_unknown_sip_is_refused(osrun):
    run = osrun("sip", cmdline="sip=nosuchprogram")
    assert "sip: sip/nosuchprogram.sip: no such image" in run.transcript, \
        why(run, "no 'no such image' line")
    assert run.code == EXIT_TEST_FAILED, why(run, "did not power off with status 1")


# Hostile SIPs built here with tools/sipc and this build's key: each trap ends the SIP
# alone with one line, and the kernel goes on to power off normally.
HOSTILE = {
    "oob": ("void _start(void) { volatile int *p = (int *)0x7ffffff0; sip_exit(*p); }",
            "trap: out of bounds, killed"),
    "divz": ("volatile int zero;\nvoid _start(void) { sip_exit(10 / zero); }",
             "trap: divide by zero, killed"),
    "deep": ("int (*volatile fp)(int);\n"
             "int f(int n) { char b[64]; b[n & 63] = (char)n; return fp(n + 1) + b[(n * 7) & 63]; }\n"
             "void _start(void) { fp = f; sip_exit(f(1)); }",
             "trap: call stack exhausted, killed"),
    "badptr": ("void _start(void) {\n"
               "    int r = sip_print((const char *)0x7ffffff0, 100);\n"
               "    sip_exit(r == -1 ? 7 : 1);\n}",
               "exited with status 7"),
    # memory.grow until refused (the 16 MiB cap: 256 wasm pages), then use the last byte.
    "grow": ("void _start(void) {\n"
             "    while (__builtin_wasm_memory_grow(0, 1) != (__SIZE_TYPE__)-1) {}\n"
             "    unsigned long n = __builtin_wasm_memory_size(0);\n"
             "    volatile char *last = (char *)(n * 65536 - 1);\n"
             "    *last = 1;\n"
             "    sip_exit(*last == 1 ? (int)n : -2);\n}",
             "exited with status 256"),
}


def hostile_initrd(build, tmp_path, name):
    src = tmp_path / f"{name}.c"
    src.write_text("#include <sip.h>\n" + HOSTILE[name][0] + "\n")
    root = tmp_path / "root"
    (root / "sip").mkdir(parents=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "sipc"), str(src),
                    "-o", str(root / "sip" / f"{name}.sip"),
                    "--key", str(build / "gen" / "sip_seal.key"),
                    "--build", str(tmp_path / "obj")], check=True, cwd=ROOT)
    out = tmp_path / "initrd.tar"
    subprocess.run([sys.executable, str(ROOT / "tools" / "mkinitrd"), str(out),
                    str(ROOT / "user" / "files"), str(root)], check=True)
    return out


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_sip_ends_alone(osrun, build, tmp_path, name):
    run = osrun("sip", cmdline=f"sip={name}", initrd=hostile_initrd(build, tmp_path, name))
    line = f"sip 1 ({name}): {HOSTILE[name][1]}"
    assert line in run.transcript, why(run, f"no '{line}' line")
    assert "PANIC" not in run.transcript, why(run, "the kernel panicked")
    assert run.code == EXIT_TEST_FAILED, why(run, "did not power off with status 1")


def big_frame_wat(nlocals=300):
    """A recursive function with a C frame of ~2.4 KiB once wasm2c and gcc are done: its
    locals are loads from memory, all live across the call.  500 calls (the depth
    counter's limit) need more than the 256 KiB SIP stack, so it runs off the end."""
    lines = ['(module (import "env" "sip_exit" (func $exit (param i32)))',
             '  (memory (export "memory") 1)',
             '  (func $f (param $p i32) (result i32)',
             '    ' + " ".join(f"(local $l{i} i64)" for i in range(nlocals))]
    lines += [f"    (local.set $l{i} (i64.load offset={i} (i32.const 0)))" for i in range(nlocals)]
    lines.append("    (local.set $p (call $f (i32.add (local.get $p) (i32.const 1))))")
    expr = "(local.get $l0)"
    for i in range(1, nlocals):
        expr = f"(i64.xor {expr} (local.get $l{i}))"
    lines.append(f"    (i32.add (local.get $p) (i32.wrap_i64 {expr})))")
    lines.append('  (func (export "_start") (call $exit (call $f (i32.const 1)))))')
    return "\n".join(lines) + "\n"


def test_stack_overflow_ends_the_sip_alone(osrun, build, tmp_path):
    wat, wasm = tmp_path / "bigframe.wat", tmp_path / "bigframe.wasm"
    wat.write_text(big_frame_wat())
    subprocess.run(["wat2wasm", str(wat), "-o", str(wasm)], check=True)
    root = tmp_path / "root"
    (root / "sip").mkdir(parents=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "sipc"), str(wasm),
                    "-o", str(root / "sip" / "bigframe.sip"),
                    "--key", str(build / "gen" / "sip_seal.key"),
                    "--build", str(tmp_path / "obj")], check=True, cwd=ROOT)
    initrd = tmp_path / "initrd.tar"
    subprocess.run([sys.executable, str(ROOT / "tools" / "mkinitrd"), str(initrd),
                    str(ROOT / "user" / "files"), str(root)], check=True)
    run = osrun("sip", cmdline="sip=bigframe", initrd=initrd)
    line = "sip 1 (bigframe): trap: stack overflow, killed"
    assert line in run.transcript, why(run, f"no '{line}' line")
    assert "PANIC" not in run.transcript, why(run, "the kernel panicked")
    assert run.code == EXIT_TEST_FAILED, why(run, "did not power off with status 1")
