//! Where holes may go on a face: inside its flat region with a wall to
//! spare, clear of keep-outs (gussets), and apart from each other.

use crate::spec::HolePattern;
use crate::validate::{Checker, MIN_WALL_MM, Rule, entry_radius};

/// The flat region of a face, in its `(u, v)` frame, where holes may go.
pub(crate) enum Region {
    Rect { u: [f64; 2], v: [f64; 2] },
    Annulus { inner: f64, outer: f64 },
}

/// An area of a face holes must stay clear of, in the face's frame.
pub(crate) struct Keepout {
    pub(crate) u: [f64; 2],
    pub(crate) v: [f64; 2],
}

/// Checks every pattern of a face: its own parameters, each hole inside the
/// region with [`MIN_WALL_MM`] to spare, clear of the keep-outs, and every
/// pair of holes at least [`MIN_WALL_MM`] apart at the entry face.
pub(crate) fn holes_on_face(
    c: &mut Checker,
    path: &str,
    patterns: &[HolePattern],
    depth: f64,
    region: &Region,
    keepouts: &[Keepout],
) {
    let mut placed: Vec<([f64; 2], f64, String)> = Vec::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if !c.pattern(&at, pattern, depth) {
            continue;
        }
        let r = entry_radius(&pattern.hole);
        for p in pattern.layout.positions() {
            let room = match region {
                Region::Rect { u, v } => {
                    (p[0] - u[0])
                        .min(u[1] - p[0])
                        .min(p[1] - v[0])
                        .min(v[1] - p[1])
                        - r
                }
                Region::Annulus { inner, outer } => {
                    let d = p[0].hypot(p[1]);
                    (d - inner).min(outer - d) - r
                }
            };
            if room.is_nan() || room < MIN_WALL_MM - 1e-9 {
                c.fail(
                    format!("{at}.layout"),
                    Rule::EdgeDistance,
                    format!(
                        "a hole at ({:.1}, {:.1}) leaves {room:.2} mm to the edge; at least {MIN_WALL_MM} mm is needed",
                        p[0], p[1]
                    ),
                );
                break;
            }
            let blocked = keepouts.iter().any(|k| {
                p[0] + r + MIN_WALL_MM > k.u[0]
                    && p[0] - r - MIN_WALL_MM < k.u[1]
                    && p[1] + r + MIN_WALL_MM > k.v[0]
                    && p[1] - r - MIN_WALL_MM < k.v[1]
            });
            if blocked {
                c.fail(
                    format!("{at}.layout"),
                    Rule::EdgeDistance,
                    "a hole runs into a gusset".to_string(),
                );
                break;
            }
            placed.push((p, r, at.clone()));
        }
    }
    for i in 0..placed.len() {
        for j in i + 1..placed.len() {
            let (a, ra, _) = &placed[i];
            let (b, rb, at) = &placed[j];
            let gap = (a[0] - b[0]).hypot(a[1] - b[1]) - ra - rb;
            if gap.is_nan() || gap < MIN_WALL_MM - 1e-9 {
                c.fail(
                    format!("{at}.layout"),
                    Rule::EdgeDistance,
                    format!("two holes are {gap:.2} mm apart; at least {MIN_WALL_MM} mm must stay between them"),
                );
                return;
            }
        }
    }
}
