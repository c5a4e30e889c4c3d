"""tools/sipc, the SIP install pipeline, and the image check the kernel uses.

sipc builds user/sip/hello.c, linked with the SIP C library (user/sip/lib), into a sealed
abi=2 image whose layout, manifest, digest and seal are checked here in Python and by grade/host/sip_check (the kernel's proc_sip/image.c on
the host); changed bytes are refused; a program importing anything outside
syscall/sip_abi.list, invalid wasm and other bad input are refused with a message naming
the file and the problem. Format: docs/sip-image.md.

Run from the repo root: BUILD=build /usr/bin/python3 -m pytest grade/test_sipc.py
"""

import fcntl
import hashlib
import hmac
import os
import shlex
import struct
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
SIPC = os.path.join(ROOT, "tools", "sipc")
HELLO = os.path.join(ROOT, "user", "sip", "hello.c")


def run(cmd, timeout=300):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          errors="replace", timeout=timeout)


def make(target):
    """make TARGET under a lock (pytest-xdist workers share $BUILD)."""
    os.makedirs(os.path.join(ROOT, BUILD), exist_ok=True)
    with open(os.path.join(ROOT, BUILD, ".sipc-test.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = run(shlex.split(os.environ.get("MAKE", "make")) + ["-s", f"BUILD={BUILD}", target])
    assert proc.returncode == 0, f"make {target} failed\n{proc.stdout}\n{proc.stderr}"
    return os.path.join(ROOT, target)


@pytest.fixture(scope="module")
def sip_check():
    return make(os.path.join(BUILD, "host", "sip_check"))


@pytest.fixture(scope="module", autouse=True)
def generated():
    """The generated headers every SIP's C needs (see sipc())."""
    make(os.path.join(BUILD, "gen", "hw_syscalls.h"))
    make("contracts")


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "seal.key"
    path.write_bytes(os.urandom(32))
    return path


def sipc(src, out, key, *extra):
    """tools/sipc with the generated headers the SIP C library includes: hw_syscalls.h
    ($BUILD/gen) and <contracts/NAME.h> ($BUILD/sip/gen), made by the generated fixture."""
    gen = os.path.join(ROOT, BUILD)
    return run([SIPC, str(src), "-o", str(out), "--key", str(key),
                "--build", str(os.path.dirname(out)) + "/obj",
                "-I", os.path.join(gen, "gen"), "-I", os.path.join(gen, "sip", "gen")]
               + list(extra))


def manifest_lines(data):
    """The manifest of a TWOSIP1 image as (key, value) pairs, in file order."""
    assert data[:8] == b"TWOSIP1\0"
    mlen, olen = struct.unpack_from("<II", data, 8)
    assert len(data) == 16 + mlen + olen + 32
    text = data[16:16 + mlen].decode()
    assert text.endswith("\n")
    return [tuple(line.split("=", 1)) for line in text.splitlines()]


def split_image(data):
    """-> (manifest dict without the endpoint lines, object bytes, seal, sealed body)."""
    mlen, olen = struct.unpack_from("<II", data, 8)
    manifest = dict(kv for kv in manifest_lines(data) if kv[0] != "endpoint")
    return manifest, data[16 + mlen:16 + mlen + olen], data[-32:], data[:-32]


def endpoints(data):
    return [v for k, v in manifest_lines(data) if k == "endpoint"]


@pytest.fixture
def hello(tmp_path, key):
    out = tmp_path / "hello.sip"
    proc = sipc(HELLO, out, key)
    assert proc.returncode == 0, proc.stderr
    return out


def test_hello_image_layout_manifest_digest_seal(hello, key, tmp_path):
    manifest, obj, seal, body = split_image(hello.read_bytes())
    assert manifest == {
        "name": "hello", "module": "hello", "abi": "2", "entry": "Z_helloZ__start",
        "init_module": "Z_hello_init_module", "instantiate": "Z_hello_instantiate",
        "free": "Z_hello_free", "memory": "Z_helloZ_memory",
        "thread_entry": "Z_helloZ___sip_thread_entry",
        "stack_pointer": "Z_helloZ___stack_pointer",
        "instance_size": manifest["instance_size"],
        "digest": hashlib.sha256(obj).hexdigest(), "memcheck": "explicit"}
    assert 0 < int(manifest["instance_size"]) < 4096
    # the library's crt declares stdin and stdout: every SIP's endpoints 0 and 1
    assert endpoints(hello.read_bytes()) == ["Stream:reader", "Stream:writer"]
    assert seal == hmac.new(key.read_bytes(), body, hashlib.sha256).digest()
    assert obj[:7] == b"\x7fELF\x02\x01\x01"
    assert struct.unpack_from("<HH", obj, 16) == (1, 62)       # ET_REL, x86_64
    for ext in ("wasm", "c", "h", "o", "undef"):               # kept for students
        assert (tmp_path / "obj" / f"hello.{ext}").is_file()


def test_hello_object_needs_only_the_abi_and_runtime(hello, tmp_path):
    undef = (tmp_path / "obj" / "hello.undef").read_text().split()
    assert "Z_envZ_sip_print" in undef and "Z_envZ_sip_exit" in undef
    assert all(s.startswith(("Z_envZ_sip_", "wasm_rt_", "mem")) for s in undef), undef


def test_kernel_check_accepts_hello(hello, key, sip_check):
    proc = run([sip_check, str(hello), str(key)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "name=hello\n" in proc.stdout and "entry=Z_helloZ__start\n" in proc.stdout
    assert "abi=2\n" in proc.stdout and "thread_entry=Z_helloZ___sip_thread_entry\n" in proc.stdout


def test_abi2_exports_are_defined_by_the_object(hello, tmp_path):
    """The kernel calls _start and __sip_thread_entry and swaps __stack_pointer per
    thread: the wasm module exports them and wasm2c's object defines what the
    manifest names."""
    c_text = (tmp_path / "obj" / "hello.c").read_text()
    for sym in ("Z_helloZ__start", "Z_helloZ___sip_thread_entry", "Z_helloZ___stack_pointer"):
        assert sym + "(" in c_text, sym


@pytest.mark.parametrize("where", ["header", "manifest", "object", "seal"])
def test_flipped_byte_is_refused(hello, key, sip_check, where):
    data = bytearray(hello.read_bytes())
    mlen, olen = struct.unpack_from("<II", data, 8)
    offset = {"header": 9, "manifest": 16 + 3, "object": 16 + mlen + olen // 2,
              "seal": len(data) - 1}[where]
    data[offset] ^= 0x01
    hello.write_bytes(bytes(data))
    proc = run([sip_check, str(hello), str(key)])
    assert proc.returncode == 1, proc.stdout
    assert str(hello) in proc.stdout
    assert ("bad seal" if where != "header" else "image:") in proc.stdout


def test_other_key_is_refused(hello, sip_check, tmp_path):
    other = tmp_path / "other.key"
    other.write_bytes(b"\x55" * 32)
    proc = run([sip_check, str(hello), str(other)])
    assert proc.returncode == 1 and "bad seal" in proc.stdout


BAD_PROGRAMS = {
    "open": ('__attribute__((import_module("env"), import_name("open_file")))\n'
             'int open_file(const char *path, int flags);\n'
             'int main(void) { return open_file("/etc/passwd", 0); }\n',
             '"env.open_file", which is not in the kernel ABI'),
    "undefined": ('int launch_missiles(void);\n'
                  'int main(void) { return launch_missiles(); }\n',
                  '"env.launch_missiles", which is not in the kernel ABI'),
    # hw-only calls are declared (unistd.h) but the SIP C library does not define them:
    # the closed API refuses the program at install, naming the call.
    "fork": ('#include <unistd.h>\nint main(void) { return fork(); }\n',
             '"env.fork", which is not in the kernel ABI'),
    "pipe": ('#include <unistd.h>\nint main(void) { int p[2]; return pipe(p); }\n',
             '"env.pipe", which is not in the kernel ABI'),
    "wasi": ('__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write")))\n'
             'int fd_write(int, int, int, int);\n'
             'int main(void) { return fd_write(1, 0, 0, 0); }\n',
             '"wasi_snapshot_preview1.fd_write"'),
    "signature": ('__attribute__((import_module("env"), import_name("sip_kill")))\n'
                  'long long sip_kill(long long p);\n'
                  'int main(void) { return (int)sip_kill(0); }\n',
                  'but the kernel ABI has (i32) -> i32'),
    "nomain": ('#include <sip.h>\nvoid main2(void) { sip_exit(0); }\n',
               'the program defines no main function'),
    "syntax": ('int main(void) { this is not C }\n', 'clang --target=wasm32 failed'),
}


@pytest.mark.parametrize("case", sorted(BAD_PROGRAMS))
def test_bad_program_is_refused(case, tmp_path, key):
    text, message = BAD_PROGRAMS[case]
    src = tmp_path / f"bad_{case}.c"
    src.write_text(text)
    out = tmp_path / f"bad_{case}.sip"
    proc = sipc(src, out, key)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"sipc: {src}: "), proc.stderr
    assert message in proc.stderr, proc.stderr
    assert not out.exists()


def wasm_module(*sections):
    """A wasm binary from (id, payload) sections."""
    def section(sid, payload):
        return bytes([sid, len(payload)]) + payload
    return b"\0asm\1\0\0\0" + b"".join(section(i, p) for i, p in sections)


def test_invalid_wasm_is_refused(tmp_path, key):
    bad = tmp_path / "garbage.wasm"
    bad.write_bytes(b"\0asm\1\0\0\0\x01\x05\x01\x60\x09")      # truncated type section
    proc = sipc(bad, tmp_path / "garbage.sip", key)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"sipc: {bad}: invalid wasm"), proc.stderr


def test_imported_memory_is_refused(tmp_path, key):
    imports = b"\x01\x03env\x06memory\x02\x00\x01"              # env.memory, min 1 page
    wasm = tmp_path / "mem.wasm"
    wasm.write_bytes(wasm_module((2, imports)))
    proc = sipc(wasm, tmp_path / "mem.sip", key)
    assert proc.returncode == 1
    assert 'imports memory "env.memory"' in proc.stderr, proc.stderr


def test_bad_name_and_key_are_refused(tmp_path, key):
    proc = sipc(HELLO, tmp_path / "Hello-World.sip", key)
    assert proc.returncode == 1 and "is not [a-z][a-z0-9_]" in proc.stderr
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 5)
    proc = sipc(HELLO, tmp_path / "hello.sip", short)
    assert proc.returncode == 1 and f"sipc: {short}: the seal key must be 32 bytes" in proc.stderr


def test_memcheck_guard(hello, key, sip_check, tmp_path):
    """--memcheck guard: the manifest says so, the kernel's check accepts it, and the
    object is the same module compiled without a bounds check before each access."""
    out = tmp_path / "guard" / "hello.sip"
    proc = sipc(HELLO, out, key, "--memcheck", "guard")
    assert proc.returncode == 0, proc.stderr
    guard_manifest, guard_obj, _, _ = split_image(out.read_bytes())
    explicit_manifest, explicit_obj, _, _ = split_image(hello.read_bytes())
    assert guard_manifest["memcheck"] == "guard"
    assert {k: v for k, v in guard_manifest.items() if k not in ("memcheck", "digest")} == \
        {k: v for k, v in explicit_manifest.items() if k not in ("memcheck", "digest")}
    assert len(guard_obj) < len(explicit_obj)
    proc = run([sip_check, str(out), str(key)])
    assert proc.returncode == 0 and "memcheck=guard\n" in proc.stdout, proc.stdout + proc.stderr


def test_memcheck_none(hello, key, sip_check, tmp_path):
    """--memcheck none (UNSAFE, for measuring): sipc warns, the manifest says none, the
    kernel's check accepts it, and the object is guard's without the call-depth counter."""
    guard = tmp_path / "guard" / "hello.sip"
    assert sipc(HELLO, guard, key, "--memcheck", "guard").returncode == 0
    out = tmp_path / "none" / "hello.sip"
    proc = sipc(HELLO, out, key, "--memcheck", "none")
    assert proc.returncode == 0, proc.stderr
    assert f"sipc: warning: {HELLO}: --memcheck none:" in proc.stderr, proc.stderr
    assert "UNSAFE" in proc.stderr
    none_manifest, none_obj, _, _ = split_image(out.read_bytes())
    guard_manifest, guard_obj, _, _ = split_image(guard.read_bytes())
    assert none_manifest["memcheck"] == "none"
    assert {k: v for k, v in none_manifest.items() if k not in ("memcheck", "digest")} == \
        {k: v for k, v in guard_manifest.items() if k not in ("memcheck", "digest")}
    assert len(none_obj) < len(guard_obj)
    assert b"wasm_rt_call_stack_depth" in guard_obj
    assert b"wasm_rt_call_stack_depth" not in none_obj
    proc = run([sip_check, str(out), str(key)])
    assert proc.returncode == 0 and "memcheck=none\n" in proc.stdout, proc.stdout + proc.stderr


def test_memory_base_read_once_per_function(hello, tmp_path):
    """sipc rewrites wasm2c's C so that every load and store takes the memory's base from
    a local of its function (read once), not from the instance after every store; and
    gcc may not turn a loop over SIP memory into a call of the kernel's memset/memcpy."""
    c = (tmp_path / "obj" / "hello.c").read_text()
    assert "u8* const w2c_mem_base = instance->w2c_memory.data;" in c
    assert "i32_load(w2c_mem_base, &instance->w2c_memory, " in c
    assert "_load(&instance->w2c_memory" not in c and "_store(&instance->w2c_memory" not in c
    undef = (tmp_path / "obj" / "hello.undef").read_text().split()
    assert "memset" not in undef, "a loop over SIP memory became a call of the kernel's memset"


def test_no_warning_without_none(hello, key, tmp_path):
    proc = sipc(HELLO, tmp_path / "guard" / "hello.sip", key, "--memcheck", "guard")
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("mode", ["None", "unsafe", "", "guard,none"])
def test_bad_memcheck_is_refused(tmp_path, key, mode):
    out = tmp_path / "hello.sip"
    proc = sipc(HELLO, out, key, "--memcheck", mode)
    assert proc.returncode == 1
    assert f"sipc: {HELLO}: --memcheck {mode!r}: not explicit, guard or none" in proc.stderr, \
        proc.stderr
    assert not out.exists()


def test_folder_program(tmp_path, key):
    prog = tmp_path / "two"
    prog.mkdir()
    (prog / "main.c").write_text('#include <sip.h>\nint twice(int);\n'
                                 'int main(void) { return twice(21); }\n')
    (prog / "twice.c").write_text("int twice(int x) { return 2 * x; }\n")
    out = tmp_path / "two.sip"
    proc = sipc(prog, out, key)
    assert proc.returncode == 0, proc.stderr
    assert split_image(out.read_bytes())[0]["name"] == "two"


def test_make_puts_sealed_images_in_the_sip_initrd(sip_check):
    initrd = make(os.path.join(BUILD, "sip", "initrd.tar"))
    with open(initrd[:-4] + ".list") as f:
        names = [line.split()[0] for line in f]
    for prog in ("hello", "sh", "echo", "cat", "ls", "wc", "grep"):
        assert f"sip/{prog}.sip" in names, names
    # wc.c wraps the hw source: its image is rebuilt when user/hw/wc.c changes
    with open(os.path.join(ROOT, BUILD, "sip", "obj", "wc.d")) as f:
        deps = f.read()
    files = {os.path.normpath(os.path.join(ROOT, f)) for f in deps.replace("\\\n", " ").split()}
    assert os.path.join(ROOT, "user", "hw", "wc.c") in files, deps[:2000]
    gen = os.path.join(ROOT, BUILD, "gen")
    image = os.path.join(ROOT, BUILD, "sip", "rootfs", "sip", "hello.sip")
    proc = run([sip_check, image, os.path.join(gen, "sip_seal.key")])
    assert proc.returncode == 0, proc.stdout
    header = make(os.path.join(BUILD, "gen", "sip_seal_key.h"))
    with open(os.path.join(gen, "sip_seal.key"), "rb") as f:
        key = f.read()
    with open(header) as f:
        assert ", ".join(f"0x{b:02x}" for b in key) in f.read()


@pytest.fixture
def contracts(tmp_path):
    """A contracts folder with Stream (the library's stdin/stdout) and Stdio."""
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "Stream.contract").write_text(
        open(os.path.join(ROOT, "ipc", "contracts", "Stream.contract")).read())
    (folder / "Stdio.contract").write_text("contract Stdio\nroles  exp imp  # two roles\n")
    return folder


def test_endpoints_from_library_source_and_options(tmp_path, key, contracts):
    src = tmp_path / "ep.c"
    src.write_text('#include <sip.h>\n// sip: endpoint=Stdio:exp\n'
                   'int main(void) { return 0; }\n')
    out = tmp_path / "ep.sip"
    proc = sipc(src, out, key, "--contracts", str(contracts), "--endpoint", "Stdio:imp")
    assert proc.returncode == 0, proc.stderr
    assert endpoints(out.read_bytes()) == ["Stream:reader", "Stream:writer",
                                           "Stdio:exp", "Stdio:imp"]


def test_unknown_contract_is_refused(tmp_path, key, contracts):
    src = tmp_path / "ep.c"
    src.write_text('#include <sip.h>\n// sip: endpoint=Nosuch:exp\n'
                   'int main(void) { return 0; }\n')
    proc = sipc(src, tmp_path / "ep.sip", key, "--contracts", str(contracts))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"sipc: {src}: endpoint 'Nosuch:exp': unknown contract Nosuch")


def test_unknown_role_is_refused(tmp_path, key, contracts):
    src = tmp_path / "ep.c"
    src.write_text('#include <sip.h>\n// sip: endpoint=Stdio:server\n'
                   'int main(void) { return 0; }\n')
    proc = sipc(src, tmp_path / "ep.sip", key, "--contracts", str(contracts))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"sipc: {src}: endpoint 'Stdio:server': contract Stdio "
                                  "has no role server (its roles: exp imp)"), proc.stderr
    assert not (tmp_path / "ep.sip").exists()


def test_wasm_without_the_thread_entry_is_refused(tmp_path, key):
    """A module built elsewhere must follow the abi 2 entry convention too."""
    types = b"\x01\x60\x00\x00"                            # one type: () -> ()
    funcs = b"\x01\x00"                                      # one function of it
    exports = b"\x01\x06_start\x00\x00"                      # _start = function 0
    code = b"\x01\x02\x00\x0b"                               # its body: end
    wasm = tmp_path / "old.wasm"
    wasm.write_bytes(wasm_module((1, types), (3, funcs), (7, exports), (10, code)))
    proc = sipc(wasm, tmp_path / "old.sip", key)
    assert proc.returncode == 1
    assert "no exported function __sip_thread_entry" in proc.stderr, proc.stderr


def test_compiler_warnings_are_shown(tmp_path, key):
    src = tmp_path / "warn.c"
    src.write_text("int main(void) { int unused; return 0; }\n")
    proc = sipc(src, tmp_path / "warn.sip", key)
    assert proc.returncode == 0, proc.stderr
    assert "unused variable 'unused'" in proc.stderr, proc.stderr


def test_intermediate_files_never_overwrite_the_source(tmp_path, key):
    src = tmp_path / "hello.c"
    src.write_text(open(HELLO).read())
    proc = run([SIPC, str(src), "-o", str(tmp_path / "hello.sip"), "--key", str(key),
                "--build", str(tmp_path), "-I", os.path.join(ROOT, BUILD, "gen"),
                "-I", os.path.join(ROOT, BUILD, "sip", "gen")])
    assert proc.returncode == 1 and "would overwrite it: choose another" in proc.stderr
    assert src.read_text() == open(HELLO).read()


# ------------------------------------------------------------------ portable programs (--add)

def test_added_source_endpoints_come_between_library_and_program(tmp_path, key, contracts):
    """--add FILE.c is linked in, and its endpoint lines follow the library's (stdin,
    stdout) and come before the program's: a portable backend's links are 2, 3, ..."""
    added = tmp_path / "backend.c"
    added.write_text("// sip: endpoint=Stdio:imp\nint twice(int x) { return 2 * x; }\n")
    src = tmp_path / "ep.c"
    src.write_text('#include <sip.h>\n// sip: endpoint=Stdio:exp\nint twice(int);\n'
                   'int main(void) { return twice(21); }\n')
    out = tmp_path / "ep.sip"
    proc = sipc(src, out, key, "--contracts", str(contracts), "--add", str(added))
    assert proc.returncode == 0, proc.stderr
    assert endpoints(out.read_bytes()) == ["Stream:reader", "Stream:writer",
                                           "Stdio:imp", "Stdio:exp"]


def test_missing_added_source_is_refused(tmp_path, key):
    missing = tmp_path / "nosuch.c"
    proc = sipc(HELLO, tmp_path / "hello.sip", key, "--add", str(missing))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"sipc: {missing}: no such C file (--add)"), proc.stderr


def test_portable_program_gets_the_sip_backend_and_four_link_ends(tmp_path, key):
    """A portable program built as mk/sip.mk does: PT_LINKS_MAX Link server ends after
    stdin and stdout, so pt_link_arg(i) is initial endpoint 2+i."""
    src = tmp_path / "pt.c"
    src.write_text('#include <portable.h>\n'
                   'int main(void) { return pt_link_arg(0) < 0 && pt_null_call() > 0 ? 0 : 1; }\n')
    out = tmp_path / "pt.sip"
    proc = sipc(src, out, key, "--add",
                os.path.join(ROOT, "user", "portable", "backend", "sip.c"))
    assert proc.returncode == 0, proc.stderr
    assert endpoints(out.read_bytes()) == ["Stream:reader", "Stream:writer"] + \
        ["Link:server"] * 4


def test_portable_programs_and_webdata_are_in_the_sip_initrd(sip_check):
    """Every user/portable/NAME.c is sip/NAME.sip in the sip initrd, with no Makefile
    edit, and the WebFiles data set is data/webfiles.disk there."""
    initrd = make(os.path.join(BUILD, "sip", "initrd.tar"))
    with open(initrd[:-4] + ".list") as f:
        names = [line.split()[0] for line in f]
    portable = os.path.join(ROOT, "user", "portable")
    progs = [f[:-2] for f in os.listdir(portable) if f.endswith(".c")]
    for prog in progs:
        assert f"sip/{prog}.sip" in names, names
    assert "data/webfiles.disk" in names, names


def test_portable_name_clash_is_a_make_error(tmp_path):
    """A name in both user/sip/ and user/portable/ stops make with both files named
    (mk/sip.mk alone, in a scratch tree: the check is made when the file is read)."""
    for folder in ("user/sip", "user/portable/backend"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "user/sip/twin.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "user/portable/twin.c").write_text("int main(void) { return 0; }\n")
    proc = subprocess.run(["make", "-C", str(tmp_path), "-f", os.path.join(ROOT, "mk", "sip.mk"),
                           "BUILD=b", "sip-programs"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "user/portable/twin.c and user/sip/twin.c are both the SIP program twin" in \
        proc.stderr, proc.stderr
