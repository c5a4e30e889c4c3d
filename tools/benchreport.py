"""benchreport: tools/bench's results written out: results.json, results.md and the
two charts (matplotlib, Agg backend: no display needed).

results.md shows the Singularity rows and WebFiles; the TLB demo's rows are in
results.json only (tools/demo-tlb is their report).
"""
import json

SYSTEMS = ("hw", "sip", "linux")
NAMES = {"hw": "hw", "sip": "sip", "linux": "Linux"}
COLOURS = {"hw": "#1f77b4", "sip": "#2ca02c", "linux": "#ff7f0e", "singularity": "#7f7f7f"}
TABLE_PROGRAMS = ("ptbench", "webfiles")


# ---------------------------------------------------------------- numbers as text

def fmt_cycles(v):
    if v is None:
        return "—"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def fmt_ns(v):
    if v is None:
        return "—"
    for limit, unit, scale in ((1e3, "ns", 1), (1e6, "µs", 1e3), (1e9, "ms", 1e6)):
        if v < limit:
            return f"{v / scale:.3g} {unit}"
    return f"{v / 1e9:.3g} s"


def fmt_ratio(r):
    return "—" if r is None else f"{r:.3g}"


def label_of(row):
    return row["label"]


# ---------------------------------------------------------------- results.md

def header(res):
    q = res["qemu"]
    git = res["git"]
    state = {True: "with uncommitted changes", False: "clean", None: "state unknown"}[git["dirty"]]
    m = res["machine"]
    if res["emulated"]:
        how = "Bochs" if q["emulator"] == "bochs" else f"QEMU {q['accel'].upper()}"
        banner = (f"> **Emulated ({how}): the cycles below are the emulator's, not hardware "
                  f"cycles.** {res['emulation_note']}")
    else:
        banner = f"> Run under KVM on the host CPU. {res['emulation_note']}"
    hz = ", ".join(f"{NAMES[s]} {res['systems'][s]['tsc_hz'] / 1e6:.0f} MHz"
                   for s in SYSTEMS if res["systems"][s].get("tsc_hz"))
    lines = ["# Twofold benchmarks: hw, sip and Linux", "", banner, "",
             f"* Created {res['created']} from git {git['revision'][:12]} ({state}).",
             f"* Host: {m['cpu']}, {m['cores']} cores, {m['kernel']}.",
             f"* {q['version']}; every system booted with `-accel {q['accel']} -cpu {q['cpu']} "
             f"-m {q['memory_mb']}M -smp {q['smp']}`.",
             *[f"* {NAMES[s]}: {res['systems'][s]['what']}." for s in SYSTEMS],
             f"* Each figure: the median of {res['runs']} runs of the cost of one operation "
             f"in TSC cycles, and that in time from the TSC rate each program measured "
             f"({hz or 'none measured'}). Fastest, slowest and every run: results.json."]
    if res["quick"]:
        lines.append("* **Quick run** (the programs' -q: few operations per run): a check "
                     "that everything runs, not figures to quote.")
    return lines + [""]


TABLE_HEAD = ["Operation", "hw cycles", "hw time", "sip cycles", "sip time", "Linux cycles",
              "Linux time", "Singularity (published) cycles", "sip/hw", "hw/Linux",
              "sip/Linux", "Singularity/Linux (published)"]


def table_row(row, reasons):
    cells = [label_of(row)]
    for s in SYSTEMS:
        c = row["systems"][s]
        if "median" in c:
            cells += [fmt_cycles(c["median"]), fmt_ns(c["median_ns"])]
        else:
            mark = reasons.setdefault(c["why"], len(reasons) + 1)
            cells += [f"— [{mark}]", "—"]
    ref = row["singularity"]
    cells.append(f"{ref['cycles']:,}" if ref else "—")
    r = row["ratios"]
    cells += [fmt_ratio(r["sip/hw"]), fmt_ratio(r["hw/linux"]), fmt_ratio(r["sip/linux"]),
              fmt_ratio(ref["singularity_over_linux"]) if ref else "—"]
    return "| " + " | ".join(cells) + " |"


def table(res):
    reasons = {}
    rows = [r for r in res["rows"] if r["program"] in TABLE_PROGRAMS]
    out = ["| " + " | ".join(TABLE_HEAD) + " |", "|" + "---|" * len(TABLE_HEAD)]
    out += [table_row(r, reasons) for r in rows]
    out.append("")
    out += [f"[{n}] No figure: {why}" + "  " for why, n in reasons.items()]
    web = next((r for r in rows if r["program"] == "webfiles"), None)
    if web:
        rates = [f"{NAMES[s]} {web['systems'][s]['ops_per_s']:,.0f}" for s in SYSTEMS
                 if web["systems"][s].get("ops_per_s")]
        out.append(f"WebFiles throughput (whole files read per second): "
                   f"{', '.join(rates) or 'none measured'}.")
    return out + [""]


def references(res):
    refs = res["references"]
    main = refs["sources"][refs["reference"]]
    lines = ["Singularity column and published ratio: " + main["cite"] + f" ({main['machine']})."
             + ("" if main["checked"] else " " + main["note"])]
    for name, src in refs["sources"].items():
        if name == refs["reference"]:
            continue
        figs = []
        for key, rows in refs["rows"].items():
            if name in rows:
                f = rows[name]
                figs.append(f"{f['label']} {f['singularity']:,} (Linux {f['linux']:,})")
        lines.append(f"Also {src['cite']}: Singularity cycles " + "; ".join(figs) + ".")
    return [l + "  " for l in lines] + [""]


def targets(res):
    out = ["## The issue's targets (reported, never a failure)", "",
           "| Target | Ratio | Measured | Met |", "|---|---|---|---|"]
    for t in res["targets"]:
        met = "—" if t["met"] is None else "met" if t["met"] else "not met"
        # 4 digits: a ratio just over the limit must not print as the limit itself
        measured = f"{t['ratio']:.4g}" if t["ratio"] is not None else t["why"]
        num, den = (NAMES[s] for s in t["ratio_of"].split("/"))
        out.append(f"| {t['what']} | {num}/{den} <= {t['limit_text']} | {measured} | {met} |")
    if res["emulated"]:
        out += ["", "Ratios compare systems measured in the same run under the same emulator; "
                "under emulation they say how the emulated work compares, not how the same "
                "code would compare on hardware."]
    return out + [""]


def markdown(res):
    return "\n".join(header(res) + table(res) + references(res) + targets(res))


# ---------------------------------------------------------------- charts

def title_suffix(res):
    q = res["qemu"]
    if not res["emulated"]:
        return "KVM"
    return ("Bochs" if q["emulator"] == "bochs" else f"QEMU {q['accel'].upper()}") + \
        ": emulator cycles, not hardware cycles"


def bar_group(ax, labels, series, base=0, log=True):
    """series: [(name, colour, [value or None per label], [(lo, hi) or None per label])],
    drawn side by side, each bar from base to its value (ratios: from 1, so a faster one
    hangs below the line), with a whisker from lo to hi where given."""
    width = 0.8 / len(series)
    for i, (name, colour, values, spans) in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(labels))]
        keep = [k for k, v in enumerate(values) if v]
        ax.bar([xs[k] for k in keep], [values[k] - base for k in keep], width,
               bottom=base, label=name, color=colour)
        whiskers = [k for k in keep if spans[k]]
        if whiskers:
            ax.errorbar([xs[k] for k in whiskers], [values[k] for k in whiskers],
                        yerr=[[values[k] - spans[k][0] for k in whiskers],
                              [spans[k][1] - values[k] for k in whiskers]],
                        fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)


def min_max(cell):
    return (cell["min"], cell["max"]) if "median" in cell else None


def chart_cycles(res, path, plt):
    rows = [r for r in res["rows"] if r["program"] in TABLE_PROGRAMS]
    labels = [label_of(r) for r in rows]
    series = [(NAMES[s], COLOURS[s], [r["systems"][s].get("median") for r in rows],
               [min_max(r["systems"][s]) for r in rows]) for s in SYSTEMS]
    series.append(("Singularity (published)", COLOURS["singularity"],
                   [r["singularity"]["cycles"] if r["singularity"] else None for r in rows],
                   [None] * len(rows)))
    fig, ax = plt.subplots(figsize=(11, 5.5))
    bar_group(ax, labels, series)
    ax.set_ylabel("median cycles per operation, fastest to slowest run (log scale)")
    ax.set_title(f"Twofold benchmarks ({title_suffix(res)})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def chart_ratios(res, path, plt):
    rows = [r for r in res["rows"] if r["program"] in TABLE_PROGRAMS]
    labels = [label_of(r) for r in rows]
    none = [None] * len(rows)
    series = [("sip/hw", "#9467bd", [r["ratios"]["sip/hw"] for r in rows], none),
              ("hw/Linux", "#8c564b", [r["ratios"]["hw/linux"] for r in rows], none),
              ("sip/Linux", "#17becf", [r["ratios"]["sip/linux"] for r in rows], none),
              ("Singularity/Linux (published)", COLOURS["singularity"],
               [r["singularity"]["singularity_over_linux"] if r["singularity"] else None
                for r in rows], none)]
    fig, ax = plt.subplots(figsize=(11, 5.5))
    bar_group(ax, labels, series, base=1)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_ylabel("ratio of medians (log scale; below 1: the first is faster)")
    ax.set_title(f"Ratios beside Singularity's published ratio ({title_suffix(res)})",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def write_all(res, out):
    """results.json, results.md, bench-cycles.png and bench-ratios.png into out."""
    (out / "results.json").write_text(json.dumps(res, indent=1, ensure_ascii=False,
                                                 allow_nan=False, default=str) + "\n")
    (out / "results.md").write_text(markdown(res))
    plt = pyplot()
    chart_cycles(res, out / "bench-cycles.png", plt)
    chart_ratios(res, out / "bench-ratios.png", plt)
    print(markdown(res))
    print(f"bench: wrote {out}/results.json, results.md, bench-cycles.png, bench-ratios.png")
