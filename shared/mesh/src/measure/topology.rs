//! Edge topology with trimesh's definitions, in linear time and without
//! hashing: half-edges are bucketed by their smaller vertex (a counting sort),
//! each small bucket is sorted by the other vertex, and equal neighbours form
//! one undirected edge.
//!
//! - watertight: every undirected edge is used by exactly two faces;
//! - winding consistent: every edge used by exactly two faces is traversed once
//!   in each direction (edges used once or 3+ times are ignored);
//! - bodies: connected components of faces joined by edges used exactly twice
//!   (a face on a three-way edge alone is a body of its own);
//! - non-manifold vertex: a vertex whose faces form more than one fan (two
//!   shells touching at a point), found with a union-find over face corners.

/// Face indices kept as examples for each kind of problem.
pub(crate) const SAMPLE: usize = 16;

#[derive(Debug, Clone, Default)]
pub(crate) struct Topology {
    pub unique_edges: u64,
    pub boundary_edges: u64,
    pub non_manifold_edges: u64,
    pub inconsistent_edges: u64,
    pub non_manifold_vertices: u64,
    pub body_count: u64,
    /// First face (lowest index) of each body, up to [`SAMPLE`].
    pub body_first_faces: Vec<u32>,
    pub boundary_faces: Vec<u32>,
    pub non_manifold_faces: Vec<u32>,
    pub inconsistent_faces: Vec<u32>,
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n as u32).collect())
    }

    #[inline]
    fn find(&mut self, mut x: u32) -> u32 {
        let p = &mut self.0;
        while p[x as usize] != x {
            let grand = p[p[x as usize] as usize];
            p[x as usize] = grand;
            x = grand;
        }
        x
    }

    /// Whether `x` is its set's representative (the lowest index of the set).
    #[inline]
    fn is_root(&self, x: u32) -> bool {
        self.0[x as usize] == x
    }

    /// Links the larger root under the smaller, so every root is the lowest
    /// index of its set.
    #[inline]
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra < rb {
            self.0[rb as usize] = ra;
        } else if rb < ra {
            self.0[ra as usize] = rb;
        }
    }
}

fn push_sample(v: &mut Vec<u32>, face: u32) {
    if v.len() < SAMPLE && v.last() != Some(&face) {
        v.push(face);
    }
}

#[inline]
fn insertion_sort(s: &mut [u64]) {
    for i in 1..s.len() {
        let x = s[i];
        let mut j = i;
        while j > 0 && s[j - 1] > x {
            s[j] = s[j - 1];
            j -= 1;
        }
        s[j] = x;
    }
}

pub(crate) fn compute(triangles: &[[u32; 3]], vertex_count: usize) -> Topology {
    let n = triangles.len();
    // Bucket boundaries by smaller vertex.
    let mut start = vec![0u32; vertex_count + 1];
    for t in triangles {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            start[a.min(b) as usize + 1] += 1;
        }
    }
    for i in 0..vertex_count {
        start[i + 1] += start[i];
    }
    // Each entry: other vertex in the high half; in the low half the half-edge
    // id `4 × face + k` (k: its corner in the face, where it starts) and the
    // direction (1 when it runs from the smaller vertex to the larger).
    let mut entries = vec![0u64; 3 * n];
    let mut cursor = start.clone();
    for (f, t) in triangles.iter().enumerate() {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let h = (4 * f + k) as u64;
            let slot = &mut cursor[lo as usize];
            entries[*slot as usize] = (u64::from(hi) << 32) | (h << 1) | u64::from(a < b);
            *slot += 1;
        }
    }
    drop(cursor);

    let mut topo = Topology::default();
    let mut faces = UnionFind::new(n);
    let mut corners = UnionFind::new(3 * n);
    for v in 0..vertex_count {
        let seg = &mut entries[start[v] as usize..start[v + 1] as usize];
        if seg.len() <= 16 {
            insertion_sort(seg);
        } else {
            seg.sort_unstable();
        }
        let mut i = 0;
        while i < seg.len() {
            let other = seg[i] >> 32;
            let mut j = i + 1;
            while j < seg.len() && seg[j] >> 32 == other {
                j += 1;
            }
            let group = &seg[i..j];
            topo.unique_edges += 1;
            let face_of = |e: u64| (e as u32) >> 3;
            match group.len() {
                1 => {
                    topo.boundary_edges += 1;
                    push_sample(&mut topo.boundary_faces, face_of(group[0]));
                }
                2 => {
                    let (e1, e2) = (group[0] as u32, group[1] as u32);
                    let (f1, f2) = (e1 >> 3, e2 >> 3);
                    // A repeated-vertex edge (v, v) always counts as opposed, as in trimesh.
                    if (e1 & 1) == (e2 & 1) && other != v as u64 {
                        topo.inconsistent_edges += 1;
                        push_sample(&mut topo.inconsistent_faces, f1);
                        push_sample(&mut topo.inconsistent_faces, f2);
                    }
                    faces.union(f1, f2);
                    // The corner (3 × face + k) of each face at vertex `v` and at
                    // vertex `other`: where the half-edge starts, or where it ends.
                    let corner = |e: u32, at_tail: bool| {
                        let (f, k) = (e >> 3, (e >> 1) & 3);
                        let k = if at_tail {
                            k
                        } else if k == 2 {
                            0
                        } else {
                            k + 1
                        };
                        3 * f + k
                    };
                    // The tail of a half-edge is the smaller vertex when its direction bit is 1.
                    let (t1, t2) = (e1 & 1 == 1, e2 & 1 == 1);
                    corners.union(corner(e1, t1), corner(e2, t2));
                    corners.union(corner(e1, !t1), corner(e2, !t2));
                }
                _ => {
                    topo.non_manifold_edges += 1;
                    for &e in group {
                        push_sample(&mut topo.non_manifold_faces, face_of(e));
                    }
                }
            }
            i = j;
        }
    }
    drop(entries);
    drop(start);

    for f in 0..n as u32 {
        if faces.is_root(f) {
            topo.body_count += 1;
            push_sample(&mut topo.body_first_faces, f);
        }
    }
    drop(faces);

    let mut fans = vec![0u8; vertex_count];
    for (f, t) in triangles.iter().enumerate() {
        for (k, &v) in t.iter().enumerate() {
            if corners.is_root((3 * f + k) as u32) {
                let fan = &mut fans[v as usize];
                *fan = fan.saturating_add(1);
            }
        }
    }
    topo.non_manifold_vertices = fans.iter().filter(|&&c| c > 1).count() as u64;
    topo
}
