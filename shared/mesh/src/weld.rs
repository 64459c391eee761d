//! Vertex welding: one pass with an open-addressing table keyed by the
//! coordinates quantised to 1e-8 (trimesh's `merge_vertices` rounds to 8
//! decimals, so the same vertices merge). No per-vertex allocation.
//!
//! The table is much larger than the CPU caches on big meshes, so each probe
//! is a cache miss. A small direct-mapped cache of recently seen points, keyed
//! by their exact bits, sits in front of it: mesh files list neighbouring
//! triangles close together, so most corners (each vertex is a corner of about
//! six triangles) are found there without touching the table.
//!
//! Binary STL holds single-precision floats, whose neighbours at magnitude
//! 0.25 and above are more than 1e-8 apart: such a point (every coordinate
//! that large) merges only with its exact copies, so its exact bits key the
//! table and the rounding is skipped.
//!
//! What still reaches the table (first occurrences, and vertices met again
//! far apart in the file) is welded in batches: a first pass computes every
//! miss's slot and loads it, then its vertex, before any is needed, so the
//! CPU waits for many cache misses at once instead of one after another.
//! Plain loads (kept by `black_box`) do this on every target, Wasm included
//! (no prefetch instruction, no `unsafe`).

/// Coordinates beyond this magnitude are refused: their 1e-8 grid index would
/// not fit an `i64`, and no printable part is ten thousand kilometres wide.
pub(crate) const MAX_COORD: f64 = 1e10;

/// Checks a point is finite and within range; returns the offending value.
#[inline]
pub(crate) fn check_point(p: [f64; 3]) -> Result<(), f64> {
    for c in p {
        if !c.is_finite() || c.abs() > MAX_COORD {
            return Err(c);
        }
    }
    Ok(())
}

#[inline]
fn quantise(p: [f64; 3]) -> [i64; 3] {
    p.map(|c| round_ties_even(c * 1e8) as i64)
}

/// `f64::round_ties_even` (numpy's rint, which np.round uses) without the libm
/// call it becomes on baseline x86-64: adding and removing 2^52 rounds to an
/// integer in the default ties-to-even mode, and beyond 2^52 every f64 already
/// is one.
#[inline]
fn round_ties_even(x: f64) -> f64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let a = x.abs();
    if a < TWO_52 {
        ((a + TWO_52) - TWO_52).copysign(x)
    } else {
        x
    }
}

#[inline]
fn hash(k: [i64; 3]) -> u64 {
    let mut h = (k[0] as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h = (h ^ (k[1] as u64)).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h = (h ^ (k[2] as u64)).wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^ (h >> 29)
}

/// Slots in the recent-points cache (512 KiB or less, which stays in L2).
const RECENT_SLOTS: usize = 1 << 14;

/// Points per batch in [`Welder::insert_batch`].
pub(crate) const BATCH: usize = 96;

/// How a parser hands a point to the welder: its exact bits, which key the
/// recent-points cache, and its value.
pub(crate) trait Corner: Copy {
    /// Equal bits mean the same point.
    type Bits: Copy + Eq;
    /// Bits for an empty cache slot (told apart by its index, [`EMPTY`]).
    const NO_BITS: Self::Bits;
    /// Every point is an exact f32 value (see [`COARSE`]).
    const SINGLE_PRECISION: bool;
    fn bits(self) -> Self::Bits;
    /// A well-mixed hash of the bits; its top bits pick the cache slot.
    fn mix(bits: Self::Bits) -> u64;
    fn point(self) -> [f64; 3];
}

impl Corner for [f64; 3] {
    type Bits = [u64; 3];
    const NO_BITS: [u64; 3] = [0; 3];
    const SINGLE_PRECISION: bool = false;

    #[inline]
    fn bits(self) -> [u64; 3] {
        self.map(f64::to_bits)
    }

    #[inline]
    fn mix(b: [u64; 3]) -> u64 {
        (b[0] ^ b[1].rotate_left(21) ^ b[2].rotate_left(42)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[inline]
    fn point(self) -> [f64; 3] {
        self
    }
}

/// A binary STL vertex as its three f32 bit patterns: a 16-byte cache entry
/// instead of 32, and no conversion until the table needs the value.
#[derive(Clone, Copy)]
pub(crate) struct F32Bits(pub [u32; 3]);

impl Corner for F32Bits {
    type Bits = [u32; 3];
    const NO_BITS: [u32; 3] = [0; 3];
    const SINGLE_PRECISION: bool = true;

    #[inline]
    fn bits(self) -> [u32; 3] {
        self.0
    }

    #[inline]
    fn mix(b: [u32; 3]) -> u64 {
        ((u64::from(b[0]) << 32 | u64::from(b[1])) ^ u64::from(b[2]).rotate_left(17))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[inline]
    fn point(self) -> [f64; 3] {
        self.0.map(|w| f64::from(f32::from_bits(w)))
    }
}

/// Slot in the recent-points cache for a point's exact bits.
#[inline]
fn recent_slot<C: Corner>(bits: C::Bits) -> usize {
    (C::mix(bits) >> (64 - RECENT_SLOTS.trailing_zeros())) as usize
}

/// An empty slot of the recent-points cache.
const EMPTY: u32 = u32::MAX;
/// Recent-cache indices from here up (below [`EMPTY`]) name a point still
/// pending in the current batch, by its position among the batch's misses. No
/// vertex index gets this high: a mesh has at most 3 × 500M vertices.
const PENDING: u32 = EMPTY - BATCH as u32;
/// [`Miss::same_as`] of a point that is not a repeat within its batch.
const NO_MISS: u32 = u32::MAX;

/// A point of a batch that the recent cache did not answer.
#[derive(Clone, Copy)]
struct Miss {
    /// Position in the batch.
    at: u32,
    /// The earlier miss of the batch with the same bits, or [`NO_MISS`].
    same_as: u32,
    /// Its slot in the recent cache.
    recent: u32,
    key: Key,
    hash: u64,
}

/// Below this magnitude a single-precision coordinate can round to the same
/// 1e-8 grid point as its neighbours (the f32 spacing just under 0.25 is
/// 2⁻²⁶ ≈ 1.5e-8, so from 0.25 up any two distinct values are farther apart
/// than the grid and round apart).
const COARSE: f64 = 0.25;

/// What the table compares: the exact bits of a coarse single-precision
/// point, or the quantised coordinates of any other. The two kinds never
/// weld to each other (see [`COARSE`]).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    exact: bool,
    k: [i64; 3],
}

/// Assigns each distinct (quantised) point a dense index, in order of first
/// appearance; keeps the first point's exact coordinates. `C` is how points
/// arrive (see [`Corner`]).
pub(crate) struct Welder<C: Corner = [f64; 3]> {
    /// Recently seen points by exact bits, with their index ([`EMPTY`]: none).
    /// Equal bits imply equal quantised keys, so a hit is always right.
    recent: Vec<(C::Bits, u32)>,
    /// Scratch space of [`Welder::insert_batch`], kept to avoid reallocating.
    misses: Vec<Miss>,
    /// Each slot: 0 when empty, else `(tag << 32) | (index + 1)` where the tag is
    /// the high half of the hash, so most probes compare without touching the
    /// vertex array.
    table: Vec<u64>,
    mask: usize,
    vertices: Vec<[f64; 3]>,
}

impl<C: Corner> Welder<C> {
    /// A welder sized for about `expected` distinct points.
    pub(crate) fn with_capacity(expected: usize) -> Welder<C> {
        let slots = (expected.max(8) * 2).next_power_of_two();
        Welder {
            recent: vec![(C::NO_BITS, EMPTY); RECENT_SLOTS],
            misses: Vec::with_capacity(BATCH),
            table: vec![0; slots],
            mask: slots - 1,
            vertices: Vec::with_capacity(expected.min(1 << 24)),
        }
    }

    /// The table key of `p` and its hash.
    #[inline]
    fn key_of(&self, p: [f64; 3]) -> (Key, u64) {
        let key = if C::SINGLE_PRECISION && p.iter().all(|c| c.abs() >= COARSE) {
            // An f32 widened to f64 has 29 zero low bits; drop them for the hash.
            Key {
                exact: true,
                k: p.map(|c| (c.to_bits() >> 29) as i64),
            }
        } else {
            Key {
                exact: false,
                k: quantise(p),
            }
        };
        (key, hash(key.k))
    }

    /// Welds `points` in order, writing each one's index to `out` (the same
    /// length); the same result as [`Welder::insert`] on each in turn, with
    /// the table's cache misses overlapped. Every point must have passed
    /// [`check_point`]; at most [`BATCH`] points.
    pub(crate) fn insert_batch(&mut self, points: &[C], out: &mut [u32]) {
        debug_assert!(points.len() <= BATCH && points.len() == out.len());
        let mut misses = std::mem::take(&mut self.misses);
        misses.clear();
        let mut touched = 0u64;
        for (i, p) in points.iter().enumerate() {
            let bits = p.bits();
            let recent = recent_slot::<C>(bits);
            let (seen, index) = self.recent[recent];
            let mut miss = Miss {
                at: i as u32,
                same_as: NO_MISS,
                recent: recent as u32,
                key: Key {
                    exact: false,
                    k: [0; 3],
                },
                hash: 0,
            };
            if index != EMPTY && seen == bits {
                if index < PENDING {
                    out[i] = index;
                    continue;
                }
                // The same point as an earlier miss of this batch.
                miss.same_as = index - PENDING;
            } else {
                (miss.key, miss.hash) = self.key_of(p.point());
                touched ^= self.table[(miss.hash as usize) & self.mask];
                self.recent[recent] = (bits, PENDING + misses.len() as u32);
            }
            misses.push(miss);
        }
        for m in misses.iter().filter(|m| m.same_as == NO_MISS) {
            let e = self.table[(m.hash as usize) & self.mask];
            if e != 0 {
                touched ^= self.vertices[(e as u32 - 1) as usize][0].to_bits();
            }
        }
        // Keeps the early loads: their values matter to nothing but the cache.
        std::hint::black_box(touched);
        // Every pending mark set above is replaced here by its real index.
        for m in &misses {
            let i = m.at as usize;
            out[i] = if m.same_as == NO_MISS {
                let index = self.lookup_or_add(points[i].point(), m.key, m.hash);
                self.recent[m.recent as usize] = (points[i].bits(), index);
                index
            } else {
                out[misses[m.same_as as usize].at as usize]
            };
        }
        self.misses = misses;
    }

    /// Returns the index of `p`, adding it if new. `p` must have passed
    /// [`check_point`].
    #[inline]
    pub(crate) fn insert(&mut self, p: C) -> u32 {
        let bits = p.bits();
        let slot = recent_slot::<C>(bits);
        let (seen, index) = self.recent[slot];
        if index != EMPTY && seen == bits {
            return index;
        }
        let (key, h) = self.key_of(p.point());
        let index = self.lookup_or_add(p.point(), key, h);
        self.recent[slot] = (bits, index);
        index
    }

    /// The table lookup for `p`, whose key is `key` with hash `h`.
    #[inline]
    fn lookup_or_add(&mut self, p: [f64; 3], key: Key, h: u64) -> u32 {
        let tag = h >> 32;
        let mut slot = (h as usize) & self.mask;
        loop {
            let e = self.table[slot];
            if e == 0 {
                let index = self.vertices.len() as u32;
                self.table[slot] = (tag << 32) | u64::from(index + 1);
                self.vertices.push(p);
                if self.vertices.len() * 2 > self.table.len() {
                    self.grow();
                }
                return index;
            }
            if e >> 32 == tag {
                let index = (e as u32) - 1;
                // Equal coordinates (the usual case) need no rounding.
                let v = self.vertices[index as usize];
                if v == p || (!key.exact && quantise(v) == key.k) {
                    return index;
                }
            }
            slot = (slot + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let slots = self.table.len() * 2;
        let mut table = vec![0u64; slots];
        let mask = slots - 1;
        for (index, p) in self.vertices.iter().enumerate() {
            let (_, h) = self.key_of(*p);
            let mut slot = (h as usize) & mask;
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = ((h >> 32) << 32) | (index as u64 + 1);
        }
        self.table = table;
        self.mask = mask;
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.vertices.len()
    }

    pub(crate) fn into_vertices(self) -> Vec<[f64; 3]> {
        self.vertices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_equal_after_rounding_to_8_decimals_merge() {
        let mut w = Welder::with_capacity(2);
        let a = w.insert([1.0, 2.0, 3.0]);
        let b = w.insert([1.0 + 1e-10, 2.0, 3.0]);
        let c = w.insert([1.0 + 2e-8, 2.0, 3.0]);
        let d = w.insert([-0.0, 0.0, 0.0]);
        let e = w.insert([0.0, -0.0, 0.0]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(d, e);
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn growing_keeps_every_index() {
        let mut w = Welder::with_capacity(1);
        let ids: Vec<u32> = (0..10_000)
            .map(|i| w.insert([f64::from(i), 0.5, -1.0]))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(*id as usize, i);
            assert_eq!(w.insert([i as f64, 0.5, -1.0]), *id);
        }
    }

    #[test]
    fn recent_cache_hits_and_evictions_agree_with_a_plain_map() {
        // Points drawn from a small grid, some nudged below the 1e-8 grid, in
        // an order that both hits and evicts the recent-points cache.
        let mut w = Welder::with_capacity(4);
        let mut reference = std::collections::HashMap::new();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let cell = (state % 30_000) as i64;
            let nudge = if state & (1 << 40) != 0 { 3e-10 } else { 0.0 };
            let p = [cell as f64 * 0.25 + nudge, (cell % 7) as f64, -0.5];
            let id = w.insert(p);
            let expected = *reference.entry(quantise(p)).or_insert(id);
            assert_eq!(id, expected, "point {p:?}");
        }
        assert_eq!(w.len(), reference.len());
    }

    #[test]
    fn batches_weld_exactly_like_one_point_at_a_time() {
        // Repeats inside a batch, across batches, nudged copies that only
        // merge after rounding, and batches of every length up to BATCH.
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let mut points = Vec::new();
        for _ in 0..60_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let cell = (state % 5_000) as f64;
            let nudge = if state & (1 << 33) != 0 { 4e-9 } else { 0.0 };
            points.push([cell * 0.5 + nudge, (cell * 7.0) % 3.0, 1.0]);
        }
        let mut one = Welder::with_capacity(4);
        let expected: Vec<u32> = points.iter().map(|p| one.insert(*p)).collect();
        let mut batched = Welder::with_capacity(4);
        let mut got = vec![0u32; points.len()];
        let (mut at, mut len) = (0, 1);
        while at < points.len() {
            let end = (at + len).min(points.len());
            batched.insert_batch(&points[at..end], &mut got[at..end]);
            at = end;
            len = len % BATCH + 1;
        }
        assert_eq!(got, expected);
        assert_eq!(batched.into_vertices(), one.into_vertices());
    }

    #[test]
    fn single_precision_points_weld_as_by_rounding() {
        // f32 values around the COARSE threshold, tiny ones that merge after
        // rounding, and their f32 neighbours; checked against a plain map of
        // rounded keys, through both entry points.
        let mut state = 0xDEAD_BEEF_CAFE_F00Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let bases = [
            0.25f32, -0.25, 0.2499999, 0.1, -0.07, 1e-8, -3e-8, 0.0, -0.0, 1.5, 100.0, 7e-9,
        ];
        let mut points = Vec::new();
        for _ in 0..40_000 {
            let mut p = [0u32; 3];
            for c in &mut p {
                let r = next();
                let base = bases[(r % bases.len() as u64) as usize];
                let steps = ((r >> 8) % 5) as u32;
                let mut v = base;
                for _ in 0..steps {
                    v = f32::from_bits(v.to_bits() + 1);
                }
                *c = v.to_bits();
            }
            points.push(F32Bits(p));
        }
        let mut reference = std::collections::HashMap::new();
        let mut w = Welder::<F32Bits>::with_capacity(4);
        let mut got = vec![0u32; points.len()];
        for (chunk, out) in points.chunks(BATCH).zip(got.chunks_mut(BATCH)) {
            w.insert_batch(chunk, out);
        }
        for (p, id) in points.iter().zip(&got) {
            let expected = *reference.entry(quantise(p.point())).or_insert(*id);
            assert_eq!(*id, expected, "point {:?}", p.point());
            assert_eq!(w.insert(*p), *id);
        }
        assert_eq!(w.len(), reference.len());
    }

    #[test]
    fn rounding_matches_the_standard_library() {
        let mut values = vec![
            0.5,
            1.5,
            2.5,
            -0.5,
            -1.5,
            -2.5,
            0.49999999999999994,
            4503599627370495.5,
        ];
        values.extend([
            2f64.powi(52),
            2f64.powi(52) + 1.0,
            2f64.powi(53) + 2.0,
            1e18,
            -1e18,
            -0.0,
            0.0,
        ]);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let f = f64::from_bits(state);
            if f.is_finite() && f.abs() <= MAX_COORD * 1e8 {
                values.push(f);
            }
            values.push((state % 2_000_001) as f64 / 2.0 - 500_000.0);
        }
        for x in values {
            assert_eq!(
                round_ties_even(x).to_bits(),
                x.round_ties_even().to_bits(),
                "{x}"
            );
        }
    }

    #[test]
    fn out_of_range_points_are_refused() {
        assert!(check_point([f64::NAN, 0.0, 0.0]).is_err());
        assert!(check_point([0.0, f64::INFINITY, 0.0]).is_err());
        assert!(check_point([0.0, 0.0, 2e10]).is_err());
        assert!(check_point([1e9, -1e9, 0.0]).is_ok());
    }
}
