//! Vertex welding: one pass with an open-addressing table keyed by the
//! coordinates quantised to 1e-8 (trimesh's `merge_vertices` rounds to 8
//! decimals, so the same vertices merge). No per-vertex allocation.

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
    // round_ties_even matches numpy's rint, which np.round uses.
    p.map(|c| (c * 1e8).round_ties_even() as i64)
}

#[inline]
fn hash(k: [i64; 3]) -> u64 {
    let mut h = (k[0] as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h = (h ^ (k[1] as u64)).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h = (h ^ (k[2] as u64)).wrapping_mul(0x1656_67B1_9E37_79F9);
    h ^ (h >> 29)
}

/// Assigns each distinct (quantised) point a dense index, in order of first
/// appearance; keeps the first point's exact coordinates.
pub(crate) struct Welder {
    /// Each slot: 0 when empty, else `(tag << 32) | (index + 1)` where the tag is
    /// the high half of the hash, so most probes compare without touching the
    /// vertex array.
    table: Vec<u64>,
    mask: usize,
    vertices: Vec<[f64; 3]>,
}

impl Welder {
    /// A welder sized for about `expected` distinct points.
    pub(crate) fn with_capacity(expected: usize) -> Welder {
        let slots = (expected.max(8) * 2).next_power_of_two();
        Welder {
            table: vec![0; slots],
            mask: slots - 1,
            vertices: Vec::with_capacity(expected.min(1 << 24)),
        }
    }

    /// Returns the index of `p`, adding it if new. `p` must have passed
    /// [`check_point`].
    #[inline]
    pub(crate) fn insert(&mut self, p: [f64; 3]) -> u32 {
        let key = quantise(p);
        let h = hash(key);
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
                if quantise(self.vertices[index as usize]) == key {
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
            let h = hash(quantise(*p));
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
    fn out_of_range_points_are_refused() {
        assert!(check_point([f64::NAN, 0.0, 0.0]).is_err());
        assert!(check_point([0.0, f64::INFINITY, 0.0]).is_err());
        assert!(check_point([0.0, 0.0, 2e10]).is_err());
        assert!(check_point([1e9, -1e9, 0.0]).is_ok());
    }
}
