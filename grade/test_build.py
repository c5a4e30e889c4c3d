"""The build's promises: two multiboot2 kernels from one tree, debugging
artifacts beside each, an ISO whose menu offers both, and shared code that
never asks which variant it is in."""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / os.environ.get("BUILD", "build")
SHARED_DIRS = ("arch", "kern", "mm")


@pytest.mark.parametrize("variant", ["hw", "sip"])
def test_kernel_is_multiboot2_with_debug_files(variant):
    elf = BUILD / variant / "kernel.elf"
    r = subprocess.run(["grub-file", "--is-x86-multiboot2", str(elf)])
    assert r.returncode == 0, f"{elf} has no valid multiboot2 header"
    assert "<kmain>:" in (BUILD / variant / "kernel.asm").read_text()
    assert re.search(r"^ffffffff8\w+ T kmain$", (BUILD / variant / "kernel.sym").read_text(), re.M)


@pytest.mark.parametrize("variant,other", [("hw", "sip"), ("sip", "hw")])
def test_each_kernel_links_its_own_variant_objects_only(variant, other):
    """The linker map names every object file linked in: this variant's
    proc_ objects must all be there, the other variant's none."""
    linked = set(re.findall(r"\S+\.o\b", (BUILD / variant / "kernel.map").read_text()))
    # From the sources, not from what lies in BUILD (a deleted source leaves a stale .o);
    # relative to BUILD, which may be inside the tree or anywhere (BUILD=/abs/path).
    src = ROOT / f"proc_{variant}"
    own = {f"{variant}/proc_{variant}/{p.relative_to(src).with_suffix('.o')}"
           for p in [*src.rglob("*.c"), *src.rglob("*.asm")]}
    assert own, f"no objects built for proc_{variant}/"
    missing = {o for o in own if not any(l.endswith(o) for l in linked)}
    assert not missing, f"{variant} kernel lacks {sorted(missing)}"
    foreign = sorted(l for l in linked if f"/{other}/" in l or f"proc_{other}/" in l)
    assert not foreign, f"{other} objects in the {variant} kernel: {foreign}"
    shared = [l for l in linked if "/shared/" in l]
    assert any(l.endswith("kern/main.o") for l in shared), "shared objects not linked from build/shared/"


def test_iso_menu_offers_both_kernels():
    cfg = (BUILD / "iso/boot/grub/grub.cfg").read_text()
    assert "multiboot2 /boot/hw/kernel.elf" in cfg
    assert "multiboot2 /boot/sip/kernel.elf" in cfg
    for v in ("hw", "sip"):
        assert (BUILD / f"iso/boot/{v}/initrd.tar").stat().st_size > 0
    assert (BUILD / "os.iso").stat().st_size > 0


def test_shared_code_never_asks_which_variant():
    """The design rule: per-variant source lists, no #ifdef forests in shared files."""
    cond = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif)\b.*\b(VARIANT|HW|SIP|hw|sip)\b")
    offenders = []
    for d in SHARED_DIRS:
        for f in (ROOT / d).rglob("*.[ch]"):
            for n, line in enumerate(f.read_text().splitlines(), 1):
                if cond.search(line):
                    offenders.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "variant conditionals in shared code:\n" + "\n".join(offenders)
