"""Mesh engine benchmark driver (run by mesh.sh). Per size: our time (native,
file read + parse + all metrics, against trimesh's load, which reads the file
too), trimesh's (in-process, import excluded), the ratio, peak RSS of each, and
Wasm/native on the engine alone (parse + metrics).

Wasm/native leaves the file read out: inside the guest, reading goes through
the runner's WASI file implementation (a dev build of wasmtime, and in
production the bytes arrive as an HTTP body instead), which says nothing about
the engine compiled to Wasm. The read is still printed for both.

Wasm peak memory is the guest's linear-memory high-water mark (the runner's
ResourceLimiter), for the whole analysis the analyze component runs (parse,
metrics, checks with thin walls, estimates with a material), with the file's
bytes in guest memory as the component holds them; printed per size, per
million triangles, and for the largest upload the API accepts (32 MiB of
binary STL) run under hosted Spin's 128 MiB cap."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "target/release/mesh-report"
WASM = ROOT / "target/wasm32-wasip2/release/mesh-report.wasm"
RUNNER = Path(os.environ.get("MESH_WASM_RUNNER", ROOT / "target/debug/mesh-wasm"))
PY = sys.executable
OUT = ROOT / "benches/out"


def run_rss(cmd):
    """Runs cmd; returns (stdout, stderr, peak RSS in KiB of that process)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed: {err.decode()[-2000:]}")
    return out.decode(), err.decode(), usage.ru_maxrss


def ours_once(path):
    """(read + parse + metrics ms, engine ms, read ms, peak RSS, report) of one native run."""
    out, _, rss = run_rss([str(NATIVE), "--unit", "mm", "--metrics-only", "--timing", str(path)])
    line = json.loads(out)
    t = line["timing_ms"]
    return (t["read"] + t["parse"] + t["metrics"], t["parse"] + t["metrics"], t["read"], rss, line)


def wasm_once(path):
    """(engine ms, read ms, peak RSS, runner's report) of one run in the Wasm runner."""
    out, err, rss = run_rss([str(RUNNER), "--wasm", str(WASM), "--dir", str(path.parent),
                             "--unit", "mm", "--metrics-only", "--timing", f"/data/{path.name}"])
    t = json.loads(out)["timing_ms"]
    host = json.loads(err.strip().splitlines()[-1])
    return (t["parse"] + t["metrics"], t["read"], rss, host)


MIB = 1024 * 1024
HOSTED_MEMORY = 128 * MIB
HOSTED_MAX_FILE = 32 * MIB


def wasm_peak(path, cap=None):
    """(peak linear memory in bytes, run ms) of the full analysis in the Wasm runner;
    with `cap`, memory growth beyond it is refused (None when the run then fails)."""
    cmd = [str(RUNNER), "--wasm", str(WASM), "--dir", str(path.parent), "--material", "pla"]
    if cap:
        cmd[1:1] = ["--max-memory", str(cap)]
    cmd.append(f"/data/{path.name}")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, None
    host = json.loads(p.stderr.strip().splitlines()[-1])
    return host["peak_memory_bytes"], host["run_ms"]


def trimesh_once(path):
    """(trimesh's report, peak RSS) of one run."""
    out, _, rss = run_rss([PY, str(ROOT / "benches/mesh_trimesh.py"), str(path)])
    return json.loads(out), rss


def measure(path, rounds):
    """Best of several runs of each, interleaved round by round: the machine is a
    shared VM whose speed wanders over minutes, and interleaving exposes all
    three to the same spells. `rounds`: (native, wasm, trimesh) run counts."""
    n = w = t = None
    for r in range(max(rounds)):
        if r < rounds[0]:
            x = ours_once(path)
            n = x if n is None or x[0] < n[0] else n
        if r < rounds[1]:
            y = wasm_once(path)
            w = y if w is None or y[0] < w[0] else w
        if r < rounds[2]:
            z = trimesh_once(path)
            t = z if t is None or z[0]["seconds"] < t[0]["seconds"] else t
    return n, w, t


def instructions(path):
    """Instructions our native run executes (valgrind's callgrind), or None
    without valgrind: a count that the machine's speed does not move."""
    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
                            str(NATIVE), "--unit", "mm", "--metrics-only", str(path)],
                           capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", p.stderr)
    return int(found.group(1)) if found else None


def main():
    sizes = [int(s) for s in (sys.argv[1:] or ["100000", "1000000", "4000000"])]
    files = subprocess.check_output([PY, str(ROOT / "benches/mesh_gen.py"), str(OUT)] + [str(s) for s in sizes]).decode().split()
    rows = []
    for size, f in zip(sizes, files):
        path = Path(f)
        n, w, (t, t_rss) = measure(path, (9, 5, 3) if size <= 1_000_000 else (7, 3, 2))
        n_ms, n_engine, n_read, n_rss, line = n
        w_ms, w_read, w_rss, host = w
        m = line["metrics"]
        agree = (m["triangle_count"] == t["triangles"] and m["vertex_count"] == t["vertices"]
                 and abs(m["raw"]["volume"] - t["volume"]) <= 1e-6 * abs(t["volume"])
                 and abs(m["raw"]["area"] - t["area"]) <= 1e-6 * t["area"]
                 and m["is_watertight"] == t["is_watertight"] and m["body_count"] == t["bodies"])
        peak, _ = wasm_peak(path)
        rows.append(dict(size=size, wasm_peak_mb=peak / MIB if peak else None,
                         wasm_peak_mb_per_mtri=peak / MIB / (size / 1e6) if peak else None, ours_ms=n_ms, ours_engine_ms=n_engine, ours_read_ms=n_read,
                         ours_rss_mb=n_rss / 1024, wasm_ms=w_ms, wasm_read_ms=w_read, wasm_rss_mb=w_rss / 1024,
                         wasm_compile_ms=host["compile_ms"], trimesh_ms=t["seconds"] * 1000,
                         trimesh_rss_mb=t_rss / 1024, trimesh_after_import_mb=t["after_import_rss_kb"] / 1024,
                         agree=agree))
        print(json.dumps(rows[-1]), flush=True)
    print()
    print("ours ms = read + parse + metrics, natively (trimesh's load reads the file too);")
    print("engine ms = parse + metrics; wasm/native compares engine times; read ms = the file read, native / wasm.")
    print(f"{'triangles':>10} {'ours ms':>9} {'trimesh ms':>11} {'speedup':>8} {'ours MB':>8} {'trimesh MB':>11} "
          f"{'engine ms':>10} {'wasm ms':>9} {'wasm/nat':>9} {'read ms':>13} {'wasm MB':>8} agree")
    for r in rows:
        reads = f"{r['ours_read_ms']:.0f} / {r['wasm_read_ms']:.0f}"
        print(f"{r['size']:>10} {r['ours_ms']:>9.1f} {r['trimesh_ms']:>11.1f} {r['trimesh_ms'] / r['ours_ms']:>7.1f}x "
              f"{r['ours_rss_mb']:>8.1f} {r['trimesh_rss_mb']:>11.1f} {r['ours_engine_ms']:>10.1f} {r['wasm_ms']:>9.1f} "
              f"{r['wasm_ms'] / r['ours_engine_ms']:>8.2f}x {reads:>13} {r['wasm_rss_mb']:>8.1f} {r['agree']}")
    by = {r["size"]: r for r in rows}
    if 1_000_000 in by and 4_000_000 in by:
        a, b = by[1_000_000], by[4_000_000]
        print(f"\nlinearity: 4M/1M time = {b['ours_ms'] / a['ours_ms']:.2f}x with the read, "
              f"{b['ours_engine_ms'] / a['ours_engine_ms']:.2f}x engine only (target <= 4.5x)")
        counts = [instructions(OUT / f"torus_{n}.stl") for n in (1_000_000, 4_000_000)]
        if None not in counts:
            print(f"instructions (callgrind, whole run): 1M {counts[0] / 1e9:.3f} G, 4M {counts[1] / 1e9:.3f} G, "
                  f"4M/1M = {counts[1] / counts[0]:.2f}x")
    print("\nWasm peak linear memory, full analysis (file bytes in guest memory included):")
    for r in rows:
        if r["wasm_peak_mb"] is not None:
            print(f"{r['size']:>10} triangles: {r['wasm_peak_mb']:.1f} MiB, "
                  f"{r['wasm_peak_mb_per_mtri']:.1f} MiB per million triangles")
    most = (HOSTED_MAX_FILE - 84) // 50
    hosted = Path(subprocess.check_output([PY, str(ROOT / "benches/mesh_gen.py"), str(OUT), str(most)]).decode().split()[0])
    peak, ms = wasm_peak(hosted, cap=HOSTED_MEMORY)
    if peak is None:
        print(f"largest accepted upload ({hosted.stat().st_size} bytes): DOES NOT FIT in 128 MiB")
    else:
        print(f"largest accepted upload ({hosted.stat().st_size} bytes, {most} triangles): "
              f"peak {peak / MIB:.1f} MiB of 128 MiB in {ms:.0f} ms "
              f"({peak / MIB / (most / 1e6):.1f} MiB per million triangles)")
    print("trimesh MB is the whole Python process (after-import baseline "
          f"{rows[0]['trimesh_after_import_mb']:.0f} MB); ours and wasm MB are whole processes too "
          "(wasm includes wasmtime and the compiled module).")


if __name__ == "__main__":
    main()
