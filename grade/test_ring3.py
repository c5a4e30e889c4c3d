"""Ring-3 SIPs (domains d, e; proc_sip/ring3*.c): the syscall numbers against the ABI list.

A ring-3 SIP's ABI stubs are numbered by the lines of syscall/sip_abi.list (stub i does
`mov eax, i; syscall`), and the kernel's dispatcher (proc_sip/ring3_sip.c, abi_call) calls
the ABI function of line i with that line's arguments. The list, the kernel's resolution
table (sip_abi_symbols in proc_sip/sip_abi.c), the ring-3 names (abi_names in
proc_sip/ring3.c) and the dispatcher's cases must agree line by line: a new line in the
list without a new case would send a SIP's call to the wrong function. No boot needed: the
in-kernel side is ktest sip_ring3_stubs (grade/test_boot.py).

Run from the repo root: /usr/bin/python3 -m pytest grade/test_ring3.py
"""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def abi_list():
    """[(name, number of parameters)] in the order of syscall/sip_abi.list."""
    out = []
    for line in read("syscall/sip_abi.list").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^(\w+)\s*\(([^)]*)\)\s*->", line)
        assert m, f"sip_abi.list: cannot read {line!r}"
        params = [p for p in m.group(2).split(",") if p.strip()]
        out.append((m.group(1), len(params)))
    return out


def test_kernel_table_follows_the_list():
    names = re.findall(r"KSYM\((Z_envZ_\w+)\)", read("proc_sip/sip_abi.c"))
    assert names == ["Z_envZ_" + n for n, _ in abi_list()]


def test_ring3_names_follow_the_list():
    body = re.search(r"abi_names\[NR_ABI_COUNT\] = \{(.*?)\};", read("proc_sip/ring3.c"), re.S)
    assert body, "proc_sip/ring3.c: no abi_names table"
    names = re.findall(r'"(Z_envZ_\w+)"', body.group(1))
    assert names == ["Z_envZ_" + n for n, _ in abi_list()]


def test_dispatcher_cases_follow_the_list():
    """case i calls line i's function with env and exactly its parameters, in order."""
    src = read("proc_sip/ring3_sip.c")
    cases = re.findall(r"case (\d+): (?:return )?(Z_envZ_\w+)\(e((?:, [^;]*?)?)\);", src)
    want = abi_list()
    assert len(cases) == len(want)
    for (num, fn, args), (i, (name, nparams)) in zip(cases, enumerate(want)):
        assert int(num) == i and fn == "Z_envZ_" + name, f"case {num}: {fn}, line {i}: {name}"
        got = re.findall(r"(?:A\((\d)\)|a\[(\d)\])", args)
        assert [int(x or y) for x, y in got] == list(range(nparams)), f"{name}: arguments {args!r}"
    assert f"NR_ABI_COUNT = {len(want)}" in src and f"NR_ABI_COUNT = {len(want)}" in read("proc_sip/ring3.c")
    assert f"%rep {len(want)}" in read("proc_sip/ring3_entry.asm")
