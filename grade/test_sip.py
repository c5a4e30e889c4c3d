"""The sip kernel through tools/osrun (docs/sip.md): sealed SIP images, the issue's
acceptance line (a pipeline over channels, then siptests, the hostile-SIP suite), every
siptests test as its own pytest result, the kernel's one line per killed SIP, the channel
stress test, and one test per sealed-process invariant.

`sip=NAME` on the command line runs the initrd's sip/NAME.sip with no arguments and powers
off with status 0 only if it exited with 0.  A tampered image is refused at load, with a
message naming the file, and nothing of it runs.

Boots are the expensive part (TCG), so the acceptance boot is shared: it runs once per
pytest session (across xdist workers too, through a file lock) and every test that needs
it reads the same transcript.  siptests prints one `test NAME: OK|FAILED (reason)` line per
test; the names come from the tests[] table in user/sip/siptests.c, so a new test there
becomes a new pytest result here by itself.

Every test that boots the sip kernel runs once in each protection-domain configuration
(docs/figure5.md; the `domcfg` fixture, the first part of every test id: test_x[c-...]):
a `sipdom=a` (kernel space, 2 MiB pages), b `sipdom=b` (kernel space, 4 KiB pages),
c `sipdom=c` (every SIP its own page table), d `sipdom=b` with the program the test
starts (and, in the acceptance boot, the shell) in ring 3 by `sipdom.NAME=d` while its
children and the services stay in b, so messages cross between rings, and e `sipdom=e`
(every SIP in ring 3). Each boot's `sip: domains:` line must show its configuration,
and user/sip/sipdomain, run in the acceptance boot, must report the domain it expects.
"""

import re
import subprocess
import sys

import pytest

from conftest import (EXIT_OK, EXIT_TEST_FAILED, ROOT, build_dir, shared_boot)

POWEROFF_RE = re.compile(r"^poweroff: status (\d+)", re.M)
EXIT_LINE_RE = re.compile(r"^sip (\d+) \((\w+)\): exited with status (-?\d+)$", re.M)
REFUSED_RE = re.compile(r"^sip: sip/hello\.sip: (.+)$", re.M)
TEST_LINE_RE = re.compile(r"^test (\S+): (OK|FAILED)(?: \((.*)\))?$", re.M)

# sipdomain twice: a plain one (in d: kernel space, like every child of the shell) and
# one selected by its first argument (sipdom.sipdomain/probe=d in d: ring 3).
ACCEPTANCE = ["echo hello world | wc", "siptests", "sipdomain", "sipdomain probe"]
ACCEPTANCE_RING3 = ("sh", "siptests", "sipdomain/probe")
PROMPT = "$ "


# ------------------------------------------------------------------ domain configurations

DOMAIN_CONFIGS = ("a", "b", "c", "d", "e")
# What the kernel's `sip: domains:` line says (proc_sip/domain.c): of the global letter,
# and of one selector's.
GLOBAL_WORDS = {"a": "sipdom=a (kernel space, 2 MiB pages)",
                "b": "sipdom=b (kernel space, 4 KiB pages)",
                "c": "sipdom=c (own page table, ring 0)",
                "d": "sipdom=d (ring 3)", "e": "sipdom=e (ring 3)"}
SIP_WORDS = {"a": "kernel space", "b": "kernel space", "c": "own page table, ring 0",
             "d": "ring 3", "e": "ring 3"}
NOT_APPLIED_RE = re.compile(r"^(sip: domain .*not available.*|sip: cmdline: .*)$", re.M)


@pytest.fixture(params=DOMAIN_CONFIGS)
def domcfg(request):
    """The test runs once per domain configuration."""
    return request.param


def domain_words(cfg, ring3=(), kernel=()):
    """(cmdline words, (global letter, [(selector, letter)])) of configuration cfg for a
    boot that starts the programs `ring3`: in d they alone go to ring 3, and `kernel`'s
    selectors (e.g. a program's own children, by their first argument) stay in b."""
    if cfg != "d":
        return f"sipdom={cfg}", (cfg, [])
    rules = [(sel, "d") for sel in ring3] + [(sel, "b") for sel in kernel]
    return "sipdom=b " + " ".join(f"sipdom.{sel}={l}" for sel, l in rules), ("b", rules)


def assert_domains(run, cfg, ring3=(), kernel=()):
    """The boot applied configuration cfg, in the kernel's own words."""
    text = run.transcript
    refused = NOT_APPLIED_RE.search(text)
    assert not refused, why(run, f"[{cfg}] the kernel did not apply it: {refused.group(0)!r}")
    line = re.search(r"^sip: domains: (.*)$", text, re.M)
    assert line, why(run, f"[{cfg}] no 'sip: domains:' line")
    glob, rules = domain_words(cfg, ring3, kernel)[1]
    for want in [GLOBAL_WORDS[glob]] + [f"{sel}: {SIP_WORDS[l]}" for sel, l in rules]:
        assert want in line.group(1), why(run, f"[{cfg}] the domain line lacks {want!r}")


def boot_sip(osrun, cfg, cmdline, ring3, kernel=(), **kw):
    """osrun of the sip kernel with cfg's words added, checked to have applied them."""
    words = domain_words(cfg, ring3, kernel)[0]
    run = osrun("sip", cmdline=f"{cmdline} {words}", **kw)
    assert_domains(run, cfg, ring3, kernel)
    return run


def why(run, what):
    return f"{what}\n--- transcript (kept in {run.log}) ---\n{run.transcript[-3000:]}"


# ------------------------------------------------------------------ one boot, many tests



def output_of(run, command):
    """What `command` (typed at the "$ " prompt) printed, up to the next prompt."""
    for piece in run.transcript.split("\n" + PROMPT)[1:]:
        typed, _, output = piece.partition("\n")
        if typed == command:
            return output
    raise AssertionError(why(run, f"the command {command!r} never ran"))


@pytest.fixture
def acceptance(request, domcfg):
    """One boot per configuration for the whole session (test_domain_applied checks its
    domain line and sipdomain's reports)."""
    words = domain_words(domcfg, ACCEPTANCE_RING3)[0]
    return shared_boot(request, "sip", f"acceptance-{domcfg}", ACCEPTANCE, timeout=600,
                       cmdline=words)


def siptests_names():
    """The test names, in order, from the tests[] table of user/sip/siptests.c, with the
    rounds siptests reports around them."""
    src = (ROOT / "user" / "sip" / "siptests.c").read_text()
    table = src[src.index("static const struct test tests[] = {"):]
    table = table[:table.index("};")]
    return ["watchdog_start", "warmup"] + re.findall(r'\{ "(\w+)", t_\w+ \}', table) + \
        ["frames", "watchdog"]


# ------------------------------------------------------------------ the acceptance line

def test_acceptance(acceptance, domcfg):
    """tools/osrun --variant sip -- 'echo hello world | wc' 'siptests': `1 2 12`, then
    ALL TESTS PASSED, and osrun exits 0 (the shell's poweroff with status 0)."""
    run = acceptance
    assert_domains(run, domcfg, ACCEPTANCE_RING3)
    wc = output_of(run, ACCEPTANCE[0]).split()
    assert wc[:3] == ["1", "2", "12"], why(run, f"'echo hello world | wc' printed {wc[:3]}, want 1 2 12")
    assert "ALL TESTS PASSED" in output_of(run, "siptests"), why(run, "no ALL TESTS PASSED")
    assert "PANIC" not in run.transcript, why(run, "the kernel panicked")
    assert run.code == EXIT_OK, why(run, f"osrun exit {run.code}, want 0")


# What user/sip/sipdomain reports in each configuration: (plain, selected by `probe`).
SIPDOMAIN_WANT = {"a": ("kernel", "2m", "kernel", "2m"), "b": ("kernel", "4k", "kernel", "4k"),
                  "c": ("own", "4k", "own", "4k"), "d": ("kernel", "4k", "ring3", "4k"),
                  "e": ("ring3", "4k", "ring3", "4k")}


def test_domain_applied(acceptance, domcfg):
    """The acceptance boot ran in its configuration: the kernel's domain line says so,
    and sipdomain, asking the kernel from inside a SIP, reports the domain and page size
    that configuration gives it (in d the one selected by sipdom.sipdomain/probe=d is in
    ring 3, the plain one in the kernel's space)."""
    assert_domains(acceptance, domcfg, ACCEPTANCE_RING3)
    d1, p1, d2, p2 = SIPDOMAIN_WANT[domcfg]
    for cmd, d, p in (("sipdomain", d1, p1), ("sipdomain probe", d2, p2)):
        want = f"sipdomain: domain={d} pages={p} args={cmd}"
        assert want in output_of(acceptance, cmd), why(acceptance, f"no {want!r}")


@pytest.mark.parametrize("name", siptests_names())
def test_siptests(acceptance, name):
    """One pytest result per siptests test, from the acceptance boot."""
    results = {m.group(1): m for m in TEST_LINE_RE.finditer(acceptance.transcript)}
    assert name in results, why(acceptance, f"no 'test {name}:' line (siptests stopped before it?)")
    m = results[name]
    assert m.group(2) == "OK", why(acceptance, f"test {name}: FAILED ({m.group(3)})")


# The kernel's line for each helper siptests expects to die (spec: one line per abnormal end).
KILLED_LINES = {
    "hostile_oob": r"trap: out of bounds, killed",
    "hostile_divz": r"trap: divide by zero, killed",
    "hostile_unreachable": r"trap: unreachable, killed",
    "hostile_badcall": r"trap: indirect call type mismatch, killed",
    "hostile_deep": r"trap: call stack exhausted, killed",
    "hostile_bigframe": r"trap: stack overflow, killed",
    "hostile_thread": r"trap: out of bounds, killed",
    "hostile_violate": r"contract Bad: state S0: message Two from a: .+, killed",
    "hostile_spin": r"killed by sip \d+",   # by siptests (spin) or by its parent's end (orphan)
}


# A build installed with SIP_MEMCHECK=none (docs/figure5.md: "no runtime checks") has no
# call-depth counter: a runaway recursion ends at a fault instead, its shadow stack leaving
# the linear memory (out of bounds) or its native stack reaching the guard page.
KILLED_LINES_NONE = {"hostile_deep": r"trap: (out of bounds|stack overflow), killed"}


def memcheck_mode():
    """The build's bounds-check mode, as mk/sip.mk recorded it (explicit if absent)."""
    mode = build_dir() / "sip" / "obj" / "memcheck.mode"
    return mode.read_text().strip() if mode.exists() else "explicit"


END_LINE_RE = re.compile(r"^sip (\d+) \((\w+)\): (.*)$", re.M)


@pytest.mark.parametrize("name", sorted(KILLED_LINES))
def test_killed_sip_gets_one_line(acceptance, name):
    """Every SIP of this helper ended with exactly one kernel line, the expected one.
    (siptests runs each test twice, the warm-up round and the counted one, and the orphan
    test's spinner is killed too: so a helper may have several SIPs, one line each.)"""
    ends = [(int(m.group(1)), m.group(3)) for m in END_LINE_RE.finditer(acceptance.transcript)
            if m.group(2) == name]
    assert ends, why(acceptance, f"no 'sip N ({name}): ...' line")
    ids = [sip for sip, _ in ends]
    assert len(ids) == len(set(ids)), why(acceptance, f"a {name} SIP ended with more than one line")
    lines = {**KILLED_LINES, **KILLED_LINES_NONE} if memcheck_mode() == "none" else KILLED_LINES
    want = re.compile(lines[name] + "$")
    wrong = [text for _, text in ends if not want.match(text)]
    assert not wrong, why(acceptance, f"{name}: {wrong[0]!r}, want {want.pattern!r}")


# ------------------------------------------------------------------ sip=NAME

def test_hello_sip_runs_and_exits_0(osrun, domcfg):
    run = boot_sip(osrun, domcfg, "sip=hello", ["hello"])
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


def test_tampered_image_is_refused_at_load(osrun, domcfg, build, tmp_path):
    run = boot_sip(osrun, domcfg, "sip=hello", ["hello"], initrd=tampered_initrd(build, tmp_path))
    refused = REFUSED_RE.search(run.transcript)
    assert refused, why(run, "no 'sip: sip/hello.sip: REASON' refusal line")
    assert "seal" in refused.group(1), why(run, f"the refusal does not name the seal: {refused.group(0)!r}")
    assert "hello from a SIP" not in run.transcript, why(run, "the tampered image ran")
    assert not EXIT_LINE_RE.search(run.transcript), why(run, "a SIP was started from a tampered image")
    assert run.code == EXIT_TEST_FAILED, why(run, "did not power off with status 1")


def test_unknown_sip_is_refused(osrun, domcfg):
    run = boot_sip(osrun, domcfg, "sip=nosuchprogram", ["nosuchprogram"])
    assert "sip: sip/nosuchprogram.sip: no such image" in run.transcript, \
        why(run, "no 'no such image' line")
    assert run.code == EXIT_TEST_FAILED, why(run, "did not power off with status 1")


# A few hostile SIPs (user/sip/hostile_*.c) as the only SIP of a boot: the kernel ends it
# alone with its one line and goes on to power off normally.  siptests runs all of them
# in one boot; these show the kernel's own line for the top SIP of sip=NAME.
HOSTILE = {
    "hostile_oob": ("trap: out of bounds, killed", EXIT_TEST_FAILED),
    "hostile_bigframe": ("trap: stack overflow, killed", EXIT_TEST_FAILED),
    "hostile_violate": ("contract Bad: state S0: message Two from a: ", EXIT_TEST_FAILED),
    # malloc until NULL, memory.grow refused at the 16 MiB cap, the last byte usable
    "hostile_oom": ("exited with status 0", EXIT_OK),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_sip_ends_alone(osrun, domcfg, name):
    run = boot_sip(osrun, domcfg, f"sip={name}", [name])
    want, code = HOSTILE[name]
    line = f"sip 1 ({name}): {want}"
    assert line in run.transcript, why(run, f"no '{line}' line")
    assert "PANIC" not in run.transcript, why(run, "the kernel panicked")
    assert run.code == code, why(run, f"did not power off with status {code}")


# ------------------------------------------------------------------ channel stress

CHANSTRESS_RE = re.compile(r"^chanstress: OK (\d+) messages from (\d+) SIPs$", re.M)


def test_chanstress(osrun, domcfg):
    """8 sender SIPs x 250 messages into one receiver over select: nothing lost,
    duplicated, reordered or changed (user/sip/chanstress.c checks sequence numbers,
    lengths, checksums and every payload byte). In d the receiver is in ring 3 and its
    senders (`chanstress -s ID N`) in the kernel's space."""
    run = boot_sip(osrun, domcfg, "sip=chanstress", ["chanstress"], kernel=["chanstress/-s"],
                   timeout=180)
    m = CHANSTRESS_RE.search(run.transcript)
    assert m, why(run, "no 'chanstress: OK N messages from M SIPs' line")
    assert (int(m.group(1)), int(m.group(2))) == (2000, 8), why(run, f"{m.group(0)!r}: want 2000 from 8")
    assert run.code == EXIT_OK, why(run, "did not power off with status 0")


# ------------------------------------------------------------------ the four invariants

def test_invariant_fixed_code(osrun, domcfg):
    """Fixed code: after load the kernel maps nothing executable and no call loads code.
    The process part's ktest checks it from inside the kernel (proc_sip/ktest_sip.c);
    it spawns hello, which d puts in ring 3."""
    run = boot_sip(osrun, domcfg, "ktest=sip_fixed_code", ["hello"])
    assert "PANIC" not in run.transcript, why(run, "the kernel panicked")
    assert run.code == EXIT_OK, why(run, "ktest sip_fixed_code did not pass")


def siptests_ok(run, names):
    results = {m.group(1): m for m in TEST_LINE_RE.finditer(run.transcript)}
    for name in names:
        assert name in results and results[name].group(2) == "OK", \
            why(run, f"siptests {name} did not pass")


def test_invariant_state_isolation(acceptance):
    """A SIP reaches no memory but its own: a child of the same image has its own globals
    and heap (isolation), reads past its memory trap (oob, bigframe) and pointers past it
    are refused by every ABI call (badptr); other SIPs' handles are nothing to it (badsend)."""
    siptests_ok(acceptance, ["isolation", "oob", "bigframe", "badptr", "badsend"])


def test_invariant_explicit_communication(acceptance):
    """SIPs talk only over channels they were given: a SIP spawned with no endpoints owns
    no handle number (badsend), a grandchild is not its grandparent's to wait for or kill
    (orphan), messages go only where the contract lets them (violate), and what is sent
    arrives intact and in order (flood, peer_closed)."""
    siptests_ok(acceptance, ["badsend", "orphan", "violate", "flood", "peer_closed"])


def test_invariant_closed_api(tmp_path, build):
    """Closed API: a program importing anything outside syscall/sip_abi.list is refused by
    tools/sipc at install.  grade/test_sipc.py::test_bad_program_is_refused covers every
    kind (a name outside the ABI, another module, a wrong signature); this is the invariant's
    own check, on the plainest case."""
    src = tmp_path / "escape.c"
    src.write_text("int fork(void);   /* a hw system call: no SIP may have it */\n"
                   "int main(void) { return fork(); }\n")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "sipc"), str(src),
                           "-o", str(tmp_path / "escape.sip"),
                           "--key", str(build / "gen" / "sip_seal.key"),
                           "--build", str(tmp_path / "obj"), "-I", str(build / "gen"),
                           "-I", str(build / "sip" / "gen")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1, f"sipc accepted it (exit {proc.returncode})\n{proc.stderr}"
    assert '"env.fork"' in proc.stderr and "not in the kernel ABI" in proc.stderr, proc.stderr
    assert not (tmp_path / "escape.sip").exists(), "a refused program left an image"


def test_malformed_domain_words_are_refused_at_boot(osrun):
    """Bad sipdom words on the command line (a letter out of range, an empty selector, a
    selector with no name) are each refused with one line naming the word and ignored:
    the kernel neither panics nor applies them, and hello runs in the default domain b."""
    run = osrun("sip", cmdline="sipdom=x sipdom.=c sipdom./fs=d sip=hello")
    for word in ("sipdom=x", "sipdom.=c", "sipdom./fs=d"):
        assert re.search(rf"^sip: cmdline: {re.escape(word)}: .+$", run.transcript, re.M), \
            why(run, f"no refusal line naming {word}")
    assert re.search(r"^sip: domains: sipdom=b \(kernel space, 4 KiB pages\)$",
                     run.transcript, re.M), why(run, "the defaults were not kept")
    assert "hello from a SIP" in run.transcript, why(run, "hello did not run")
    assert "PANIC" not in run.transcript, why(run, "the kernel panicked")
    assert run.code == EXIT_OK, why(run, f"osrun exit {run.code}, want 0")
