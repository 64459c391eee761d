//! Where parts go on one plate: MaxRects (J. Jylänki, "A Thousand Ways to
//! Pack the Bin", 2010: the free space is kept as the list of maximal empty
//! rectangles), trying each part as it is and turned 90° about Z, with one
//! of Jylänki's free-rectangle rules ([`FitRule`]): best short side fit,
//! best area fit, bottom-left, or contact point. The scheduler packs a plate
//! with each rule and keeps the fullest.
//!
//! Margins: parts keep [`Margins::spacing_mm`] between each other and
//! [`Margins::edge_mm`] from the bed's edges. Both are done by packing
//! inflated rectangles (each part grown by the spacing, the usable area
//! grown by the spacing once) so the packer itself needs no special cases.

use crate::model::{Bed, Placement};

/// Clearances on a plate, mm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Margins {
    /// Between two parts' footprints.
    pub spacing_mm: f64,
    /// Between a part's footprint and the bed's edge.
    pub edge_mm: f64,
}

impl Margins {
    /// The farm's clearances: 5 mm between parts (room for a scraper and a
    /// skirt without parts fusing). The slicers' arrange defaults bracket
    /// it: PrusaSlicer spaces objects 6 mm apart (arrange `d_obj` default)
    /// and 0 mm from the bed's edge; Bambu Studio's automatic spacing grows
    /// each object by its brim width, 1 mm without supports (a 2 mm gap), 6
    /// mm with normal supports, and shrinks the bed only by the skirt
    /// distance. 5 mm from the edges is our own keep-out, stricter than
    /// either slicer.
    pub const FARM: Margins = Margins {
        spacing_mm: 5.0,
        edge_mm: 5.0,
    };
}

/// Which free rectangle a part goes into (Jylänki 2010, section 3.3 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitRule {
    /// Smallest leftover on the shorter side, then on the longer (BSSF).
    BestShortSideFit,
    /// Smallest free rectangle that holds it, then shorter leftover (BAF).
    BestAreaFit,
    /// Lowest top edge, then leftmost (Tetris-like, BL).
    BottomLeft,
    /// Longest perimeter touching the bed's edges or placed parts (CP).
    ContactPoint,
}

impl FitRule {
    /// Every rule, in the order the scheduler tries them (ties keep the first).
    pub const ALL: [FitRule; 4] = [
        FitRule::BestShortSideFit,
        FitRule::BestAreaFit,
        FitRule::BottomLeft,
        FitRule::ContactPoint,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn right(&self) -> f64 {
        self.x + self.w
    }
    fn top(&self) -> f64 {
        self.y + self.h
    }
    fn intersects(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.top() && o.y < self.top()
    }
    fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.right() <= self.right() && o.top() <= self.top()
    }
}

/// Tolerance for "fits exactly" comparisons of millimetre floats.
const EPS: f64 = 1e-9;

/// One plate being filled.
#[derive(Debug, Clone)]
pub struct PlatePacker {
    margins: Margins,
    rule: FitRule,
    /// The inflated usable area (see the module's note on margins).
    bin: Rect,
    free: Vec<Rect>,
    /// Inflated rectangles placed so far (for the contact-point rule).
    used: Vec<Rect>,
    placed: Vec<Placement>,
    used_area_mm2: f64,
    inflated_area_mm2: f64,
}

impl PlatePacker {
    /// An empty plate on `bed`, placing by best short side fit.
    pub fn new(bed: &Bed, margins: Margins) -> Self {
        Self::with_rule(bed, margins, FitRule::BestShortSideFit)
    }

    /// An empty plate on `bed` placing by `rule`.
    pub fn with_rule(bed: &Bed, margins: Margins, rule: FitRule) -> Self {
        let w = bed.width_mm - 2.0 * margins.edge_mm + margins.spacing_mm;
        let h = bed.depth_mm - 2.0 * margins.edge_mm + margins.spacing_mm;
        let bin = Rect {
            x: 0.0,
            y: 0.0,
            w: w.max(0.0),
            h: h.max(0.0),
        };
        let free = if w > 0.0 && h > 0.0 {
            vec![bin]
        } else {
            Vec::new()
        };
        Self {
            margins,
            rule,
            bin,
            free,
            used: Vec::new(),
            placed: Vec::new(),
            used_area_mm2: 0.0,
            inflated_area_mm2: 0.0,
        }
    }

    /// The parts placed so far.
    pub fn placements(&self) -> &[Placement] {
        &self.placed
    }

    /// The real footprint area placed so far (without margins), mm².
    pub fn used_area_mm2(&self) -> f64 {
        self.used_area_mm2
    }

    /// The area placed so far counting each part's spacing (what the plate
    /// has used of its capacity), mm².
    pub fn inflated_area_mm2(&self) -> f64 {
        self.inflated_area_mm2
    }

    /// True when no part of at least `min_side_mm` × `min_side_mm` can fit.
    pub fn is_full_for(&self, min_side_mm: f64) -> bool {
        let need = min_side_mm + self.margins.spacing_mm;
        !self
            .free
            .iter()
            .any(|r| r.w + EPS >= need && r.h + EPS >= need)
    }

    /// Places a part of `width_mm` × `depth_mm` if it fits anywhere, as it
    /// is or turned; returns where (bed coordinates of its lower-left
    /// corner, edge margin included).
    pub fn place(&mut self, part_id: u64, width_mm: f64, depth_mm: f64) -> Option<Placement> {
        let s = self.margins.spacing_mm;
        // (rect, rotated, primary score, secondary score): smaller is better.
        let mut best: Option<(Rect, bool, f64, f64)> = None;
        for (w, d, rotated) in [(width_mm, depth_mm, false), (depth_mm, width_mm, true)] {
            let (iw, id) = (w + s, d + s);
            for r in &self.free {
                if iw <= r.w + EPS && id <= r.h + EPS {
                    let rect = Rect {
                        x: r.x,
                        y: r.y,
                        w: iw,
                        h: id,
                    };
                    let (a, b) = self.score(r, &rect);
                    let better = best.as_ref().is_none_or(|&(_, _, ba, bb)| {
                        a < ba - EPS || (a <= ba + EPS && b < bb - EPS)
                    });
                    if better {
                        best = Some((rect, rotated, a, b));
                    }
                }
            }
            if width_mm == depth_mm {
                break; // a square turned is the same square
            }
        }
        let (rect, rotated, _, _) = best?;
        self.split_free(&rect);
        self.used.push(rect);
        let (w, d) = if rotated {
            (depth_mm, width_mm)
        } else {
            (width_mm, depth_mm)
        };
        let placement = Placement {
            part_id,
            x_mm: rect.x + self.margins.edge_mm,
            y_mm: rect.y + self.margins.edge_mm,
            width_mm: w,
            depth_mm: d,
            rotated,
        };
        self.placed.push(placement);
        self.used_area_mm2 += width_mm * depth_mm;
        self.inflated_area_mm2 += rect.w * rect.h;
        Some(placement)
    }

    /// The rule's score of putting `rect` at the corner of free rectangle
    /// `free`: (primary, tie-break), smaller is better.
    fn score(&self, free: &Rect, rect: &Rect) -> (f64, f64) {
        let (dw, dh) = (free.w - rect.w, free.h - rect.h);
        match self.rule {
            FitRule::BestShortSideFit => (dw.min(dh), dw.max(dh)),
            FitRule::BestAreaFit => (free.w * free.h - rect.w * rect.h, dw.min(dh)),
            FitRule::BottomLeft => (rect.top(), rect.x),
            FitRule::ContactPoint => (-self.contact(rect), rect.top()),
        }
    }

    /// Length of `rect`'s perimeter touching the bin's edges or a placed
    /// rectangle, mm.
    fn contact(&self, rect: &Rect) -> f64 {
        let mut len = 0.0;
        if rect.x.abs() < EPS || (rect.right() - self.bin.right()).abs() < EPS {
            len += rect.h;
        }
        if rect.y.abs() < EPS || (rect.top() - self.bin.top()).abs() < EPS {
            len += rect.w;
        }
        for u in &self.used {
            if (u.x - rect.right()).abs() < EPS || (u.right() - rect.x).abs() < EPS {
                len += overlap(rect.y, rect.top(), u.y, u.top());
            }
            if (u.y - rect.top()).abs() < EPS || (u.top() - rect.y).abs() < EPS {
                len += overlap(rect.x, rect.right(), u.x, u.right());
            }
        }
        len
    }

    /// Cuts `used` out of every free rectangle it overlaps (each leaves up
    /// to four maximal pieces), then drops pieces contained in others.
    fn split_free(&mut self, used: &Rect) {
        let mut next = Vec::with_capacity(self.free.len() + 4);
        for r in &self.free {
            if !r.intersects(used) {
                next.push(*r);
                continue;
            }
            if used.x > r.x + EPS {
                next.push(Rect {
                    x: r.x,
                    y: r.y,
                    w: used.x - r.x,
                    h: r.h,
                });
            }
            if used.right() < r.right() - EPS {
                next.push(Rect {
                    x: used.right(),
                    y: r.y,
                    w: r.right() - used.right(),
                    h: r.h,
                });
            }
            if used.y > r.y + EPS {
                next.push(Rect {
                    x: r.x,
                    y: r.y,
                    w: r.w,
                    h: used.y - r.y,
                });
            }
            if used.top() < r.top() - EPS {
                next.push(Rect {
                    x: r.x,
                    y: used.top(),
                    w: r.w,
                    h: r.top() - used.top(),
                });
            }
        }
        let mut keep = vec![true; next.len()];
        for i in 0..next.len() {
            if !keep[i] {
                continue;
            }
            for j in 0..next.len() {
                if i != j && keep[j] && next[j].contains(&next[i]) && (next[i] != next[j] || i > j)
                {
                    keep[i] = false;
                    break;
                }
            }
        }
        self.free = next
            .into_iter()
            .zip(keep)
            .filter_map(|(r, k)| k.then_some(r))
            .collect();
    }
}

/// Length shared by the intervals [a0, a1] and [b0, b1].
fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (a1.min(b1) - a0.max(b0)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Margins = Margins::FARM;

    /// Every placement lies inside the edge margin and keeps the spacing
    /// from every other: checked independently of the packer's own
    /// bookkeeping.
    fn assert_valid(bed: &Bed, placed: &[Placement], m: &Margins) {
        for p in placed {
            assert!(
                p.x_mm >= m.edge_mm - 1e-6 && p.y_mm >= m.edge_mm - 1e-6,
                "{p:?}"
            );
            assert!(
                p.x_mm + p.width_mm <= bed.width_mm - m.edge_mm + 1e-6,
                "{p:?}"
            );
            assert!(
                p.y_mm + p.depth_mm <= bed.depth_mm - m.edge_mm + 1e-6,
                "{p:?}"
            );
        }
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                let apart_x = a.x_mm + a.width_mm + m.spacing_mm <= b.x_mm + 1e-6
                    || b.x_mm + b.width_mm + m.spacing_mm <= a.x_mm + 1e-6;
                let apart_y = a.y_mm + a.depth_mm + m.spacing_mm <= b.y_mm + 1e-6
                    || b.y_mm + b.depth_mm + m.spacing_mm <= a.y_mm + 1e-6;
                assert!(
                    apart_x || apart_y,
                    "{a:?} and {b:?} are closer than the spacing"
                );
            }
        }
    }

    #[test]
    fn a_grid_of_equal_squares_fills_the_bed_exactly() {
        // 246 usable + 5 spacing = 251 = 5 × (45.2 + 5): a 5 × 5 grid of
        // 45.2 mm squares fits, a 26th does not.
        let bed = Bed::BAMBU_256;
        let mut packer = PlatePacker::new(&bed, M);
        for id in 0..25 {
            assert!(packer.place(id, 45.2, 45.2).is_some(), "square {id}");
        }
        assert!(packer.place(99, 45.2, 45.2).is_none());
        assert_valid(&bed, packer.placements(), &M);
    }

    #[test]
    fn mixed_parts_never_overlap_or_cross_the_margins_under_every_rule() {
        // A deterministic mix of sizes, packed until nothing more fits.
        let bed = Bed::BAMBU_256;
        for rule in FitRule::ALL {
            let mut packer = PlatePacker::with_rule(&bed, M, rule);
            let mut seed = 7u64;
            let mut next = || {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                10.0 + ((seed >> 33) % 90) as f64
            };
            for id in 0..200 {
                let (w, d) = (next(), next());
                packer.place(id, w, d);
            }
            assert!(packer.placements().len() > 5, "{rule:?}");
            assert_valid(&bed, packer.placements(), &M);
            // The real area placed is the sum of the parts' areas.
            let area: f64 = packer
                .placements()
                .iter()
                .map(|p| p.width_mm * p.depth_mm)
                .sum();
            assert!((area - packer.used_area_mm2()).abs() < 1e-6, "{rule:?}");
        }
    }

    #[test]
    fn every_rule_turns_a_part_when_only_that_fits() {
        let bed = Bed::BAMBU_256;
        for rule in FitRule::ALL {
            let mut packer = PlatePacker::with_rule(&bed, M, rule);
            packer.place(1, 246.0, 100.0).expect("slab");
            // 141 mm of depth left: 140 × 240 fits only as 240 wide, 140 deep.
            let turned = packer.place(2, 140.0, 240.0).expect("turned part");
            assert!(turned.rotated, "{rule:?}");
            assert_valid(&bed, packer.placements(), &M);
        }
    }

    #[test]
    fn bottom_left_puts_the_next_part_beside_the_first_not_above() {
        // After a 100 × 100 square at the corner (5, 5), a 50 × 50 one has
        // its lowest top edge at y = 5 beside it: x = 5 + 100 + 5 = 110.
        let mut packer = PlatePacker::with_rule(&Bed::BAMBU_256, M, FitRule::BottomLeft);
        let first = packer.place(1, 100.0, 100.0).expect("first");
        assert_eq!((first.x_mm, first.y_mm), (5.0, 5.0));
        let second = packer.place(2, 50.0, 50.0).expect("second");
        assert_eq!((second.x_mm, second.y_mm), (110.0, 5.0));
    }

    #[test]
    fn contact_point_prefers_the_spot_touching_most_and_then_the_lowest() {
        // Two 100 × 100 squares: beside the first (touching the front edge
        // and the first square: 105 + 105 mm inflated) or above it (the left
        // edge and the square: also 210 mm); the tie goes to the lower spot,
        // beside it at x = 110.
        let mut packer = PlatePacker::with_rule(&Bed::BAMBU_256, M, FitRule::ContactPoint);
        packer.place(1, 100.0, 100.0).expect("first");
        let second = packer.place(2, 100.0, 100.0).expect("second");
        assert_eq!((second.x_mm, second.y_mm), (110.0, 5.0));
        // A third square: above the first it touches the left edge (105)
        // and the first's top (105); above the second only the second's top
        // (105); right of the second there is no room (41 mm). Above the
        // first, at y = 110.
        let third = packer.place(3, 100.0, 100.0).expect("third");
        assert_eq!((third.x_mm, third.y_mm), (5.0, 110.0));
    }

    #[test]
    fn a_part_larger_than_the_usable_area_is_refused() {
        let mut packer = PlatePacker::new(&Bed::BAMBU_256, M);
        assert!(packer.place(1, 247.0, 10.0).is_none());
        assert!(packer.place(2, 246.0, 246.0).is_some());
    }
}
