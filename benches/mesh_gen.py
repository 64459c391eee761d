"""Writes torus meshes as binary STL: mesh_gen.py OUT_DIR N_TRIANGLES...

A torus of m x n quads (2 triangles each), closed, one body, genus 1, so every
metric does real work (welding, edges, bodies)."""
import sys
from pathlib import Path

import numpy as np


def torus(triangles: int):
    n = int(round((triangles / 4) ** 0.5))
    m = triangles // (2 * n)
    big_r, r = 60.0, 20.0
    th = 2 * np.pi * np.arange(m) / m
    ph = 2 * np.pi * np.arange(n) / n
    T, P = np.meshgrid(th, ph, indexing="ij")
    rho = big_r + r * np.cos(P)
    verts = np.stack([rho * np.cos(T), rho * np.sin(T), r * np.sin(P) + r], axis=-1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    a = i * n + j
    b = ((i + 1) % m) * n + j
    c = ((i + 1) % m) * n + (j + 1) % n
    d = i * n + (j + 1) % n
    faces = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
    return verts, faces


def write_binary_stl(path: Path, verts, faces):
    rec = np.zeros(len(faces), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    rec["v"] = verts[faces].astype(np.float32)
    with open(path, "wb") as f:
        f.write(b"mesh-bench torus".ljust(80, b" "))
        f.write(np.uint32(len(faces)).tobytes())
        f.write(rec.tobytes())


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for count in map(int, sys.argv[2:]):
        path = out / f"torus_{count}.stl"
        if not path.exists():
            v, f = torus(count)
            write_binary_stl(path, v, f)
        print(path)
