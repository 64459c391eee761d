"""trimesh baseline for one file: mesh_trimesh.py FILE

Times, in-process and after the imports: load (which merges vertices) +
volume + area + is_watertight + is_winding_consistent + split. Prints JSON with
the seconds and the process's peak RSS (and the RSS right after import)."""
import json
import resource
import sys
import time

import numpy  # noqa: F401  (import cost excluded)
import trimesh

path = sys.argv[1]
baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
mesh = trimesh.load(path)
volume = float(mesh.volume)
area = float(mesh.area)
watertight = bool(mesh.is_watertight)
winding = bool(mesh.is_winding_consistent)
bodies = len(mesh.split(only_watertight=False))
seconds = time.perf_counter() - t0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": seconds, "peak_rss_kb": peak_kb, "after_import_rss_kb": baseline_kb,
    "triangles": len(mesh.faces), "vertices": len(mesh.vertices), "volume": volume, "area": area,
    "is_watertight": watertight, "is_winding_consistent": winding, "bodies": bodies,
    "trimesh": trimesh.__version__,
}))
