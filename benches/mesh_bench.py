"""Mesh engine benchmark driver (run by mesh.sh). Per size: our time (native,
parse + all metrics, file read included), trimesh's (in-process, import
excluded), the ratio, peak RSS of each, and Wasm/native."""
import json
import os
import subprocess
import sys
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


def ours(path, repeats):
    best = None
    for _ in range(repeats):
        out, _, rss = run_rss([str(NATIVE), "--unit", "mm", "--metrics-only", "--timing", str(path)])
        line = json.loads(out)
        t = line["timing_ms"]
        ms = t["read"] + t["parse"] + t["metrics"]
        if best is None or ms < best[0]:
            best = (ms, rss, line)
    return best


def wasm(path, repeats):
    best = None
    for _ in range(repeats):
        out, err, rss = run_rss([str(RUNNER), "--wasm", str(WASM), "--dir", str(path.parent),
                                 "--unit", "mm", "--metrics-only", "--timing", f"/data/{path.name}"])
        t = json.loads(out)["timing_ms"]
        host = json.loads(err.strip().splitlines()[-1])
        ms = t["read"] + t["parse"] + t["metrics"]
        if best is None or ms < best[0]:
            best = (ms, rss, host)
    return best


def trimesh_run(path, repeats):
    best = None
    for _ in range(repeats):
        out, _, rss = run_rss([PY, str(ROOT / "benches/mesh_trimesh.py"), str(path)])
        r = json.loads(out)
        if best is None or r["seconds"] < best[0]["seconds"]:
            best = (r, rss)
    return best


def main():
    sizes = [int(s) for s in (sys.argv[1:] or ["100000", "1000000", "4000000"])]
    files = subprocess.check_output([PY, str(ROOT / "benches/mesh_gen.py"), str(OUT)] + [str(s) for s in sizes]).decode().split()
    rows = []
    for size, f in zip(sizes, files):
        path = Path(f)
        n_ms, n_rss, line = ours(path, 3)
        w_ms, w_rss, host = wasm(path, 2)
        t, t_rss = trimesh_run(path, 2 if size <= 1_000_000 else 1)
        m = line["metrics"]
        agree = (m["triangle_count"] == t["triangles"] and m["vertex_count"] == t["vertices"]
                 and abs(m["raw"]["volume"] - t["volume"]) <= 1e-6 * abs(t["volume"])
                 and abs(m["raw"]["area"] - t["area"]) <= 1e-6 * t["area"]
                 and m["is_watertight"] == t["is_watertight"] and m["body_count"] == t["bodies"])
        rows.append(dict(size=size, ours_ms=n_ms, ours_rss_mb=n_rss / 1024, wasm_ms=w_ms, wasm_rss_mb=w_rss / 1024,
                         wasm_compile_ms=host["compile_ms"], trimesh_ms=t["seconds"] * 1000,
                         trimesh_rss_mb=t_rss / 1024, trimesh_after_import_mb=t["after_import_rss_kb"] / 1024,
                         agree=agree))
        print(json.dumps(rows[-1]), flush=True)
    print()
    print(f"{'triangles':>10} {'ours ms':>9} {'trimesh ms':>11} {'speedup':>8} {'ours MB':>8} {'trimesh MB':>11} "
          f"{'wasm ms':>9} {'wasm/nat':>9} {'wasm MB':>8} agree")
    for r in rows:
        print(f"{r['size']:>10} {r['ours_ms']:>9.1f} {r['trimesh_ms']:>11.1f} {r['trimesh_ms'] / r['ours_ms']:>7.1f}x "
              f"{r['ours_rss_mb']:>8.1f} {r['trimesh_rss_mb']:>11.1f} {r['wasm_ms']:>9.1f} "
              f"{r['wasm_ms'] / r['ours_ms']:>8.2f}x {r['wasm_rss_mb']:>8.1f} {r['agree']}")
    by = {r["size"]: r for r in rows}
    if 1_000_000 in by and 4_000_000 in by:
        print(f"\nlinearity: 4M/1M time = {by[4_000_000]['ours_ms'] / by[1_000_000]['ours_ms']:.2f}x (target <= 4.5x)")
    print("trimesh MB is the whole Python process (after-import baseline "
          f"{rows[0]['trimesh_after_import_mb']:.0f} MB); ours and wasm MB are whole processes too "
          "(wasm includes wasmtime and the compiled module).")


if __name__ == "__main__":
    main()
