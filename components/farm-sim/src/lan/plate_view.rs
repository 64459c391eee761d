//! What a simulated printer's camera sees: the plate as printed so far.
//!
//! The printer never receives the parts' meshes (a `.gcode.3mf` holds only
//! G-code), so the picture is built from the G-code it prints, as the real
//! plate is: every extruding move raises a 1 mm grid of the bed to the
//! move's height ([`Heightmap::from_gcode`]); the columns up to the height
//! printed so far become a mesh ([`Heightmap::mesh`]) that `farm-inspection`
//! renders from the iso view; the render is JPEG-encoded as the camera's
//! frame ([`frame_jpeg`]). Each job's picture is its own parts, at its own
//! progress; a print the printer's AI flagged shows spaghetti strands.

use farm_inspection::{DEFAULT_FILAMENT, Defect, View, render};

/// Side of the grid cells, mm.
pub const CELL_MM: f64 = 1.0;
/// The bed's side (P1S, X1C, A1: 256 × 256 mm), mm.
pub const BED_MM: f64 = 256.0;
/// Side of a camera frame, pixels.
pub const FRAME_PX: usize = 480;
/// The frames' JPEG quality (0–100).
pub const JPEG_QUALITY: u8 = 85;

const CELLS: usize = (BED_MM / CELL_MM) as usize;

/// The highest extrusion over each cell of the bed, mm (0: nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Heightmap {
    z: Vec<f32>,
}

impl Heightmap {
    /// Follows the G-code's moves: `G90`/`G91` (absolute or relative
    /// axes), `M82`/`M83` (absolute or relative extrusion), `G92` (set
    /// position), `G0`/`G1`/`G2`/`G3` (arcs taken as their chord). A move
    /// that extrudes (E grows) marks every cell it crosses, sampled every
    /// half cell, with its Z.
    pub fn from_gcode(gcode: &str) -> Self {
        let mut map = Self {
            z: vec![0.0; CELLS * CELLS],
        };
        let (mut pos, mut e) = ([0.0f64; 3], 0.0f64);
        let (mut relative_axes, mut relative_e) = (false, false);
        for line in gcode.lines() {
            let code = line.split(';').next().unwrap_or_default().trim();
            let mut words = code.split_whitespace();
            let Some(command) = words.next() else {
                continue;
            };
            let value = |letter: char| -> Option<f64> {
                code.split_whitespace()
                    .skip(1)
                    .find(|w| w.starts_with(letter))
                    .and_then(|w| w[1..].parse().ok())
            };
            match command {
                "G90" => relative_axes = false,
                "G91" => relative_axes = true,
                "M82" => relative_e = false,
                "M83" => relative_e = true,
                "G92" => {
                    for (i, axis) in ['X', 'Y', 'Z'].into_iter().enumerate() {
                        if let Some(v) = value(axis) {
                            pos[i] = v;
                        }
                    }
                    if let Some(v) = value('E') {
                        e = v;
                    }
                }
                "G0" | "G1" | "G2" | "G3" => {
                    let mut next = pos;
                    for (i, axis) in ['X', 'Y', 'Z'].into_iter().enumerate() {
                        if let Some(v) = value(axis) {
                            next[i] = if relative_axes { pos[i] + v } else { v };
                        }
                    }
                    let extruded = match value('E') {
                        Some(v) if relative_e => v,
                        Some(v) => {
                            let d = v - e;
                            e = v;
                            d
                        }
                        None => 0.0,
                    };
                    if extruded > 0.0 {
                        map.mark(pos, next);
                    }
                    pos = next;
                }
                _ => {}
            }
        }
        map
    }

    fn mark(&mut self, from: [f64; 3], to: [f64; 3]) {
        let length = ((to[0] - from[0]).powi(2) + (to[1] - from[1]).powi(2)).sqrt();
        let steps = (length / (CELL_MM / 2.0)).ceil().max(1.0) as usize;
        let z = to[2] as f32;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let (x, y) = (
                from[0] + t * (to[0] - from[0]),
                from[1] + t * (to[1] - from[1]),
            );
            if !(0.0..BED_MM).contains(&x) || !(0.0..BED_MM).contains(&y) {
                continue;
            }
            let cell = (y / CELL_MM) as usize * CELLS + (x / CELL_MM) as usize;
            if self.z[cell] < z {
                self.z[cell] = z;
            }
        }
    }

    /// The tallest column, mm.
    pub fn top_z(&self) -> f64 {
        f64::from(self.z.iter().copied().fold(0.0, f32::max))
    }

    /// How many cells hold plastic.
    pub fn cells(&self) -> usize {
        self.z.iter().filter(|z| **z > 0.0).count()
    }

    fn at(&self, x: isize, y: isize, up_to: f32) -> f32 {
        if x < 0 || y < 0 || x >= CELLS as isize || y >= CELLS as isize {
            return 0.0;
        }
        self.z[y as usize * CELLS + x as usize].min(up_to)
    }

    /// The columns cut at `up_to_z` mm as a closed-topped mesh (vertices in
    /// mm, triangles): a top per cell and a wall wherever a neighbour is
    /// lower.
    #[allow(clippy::type_complexity)]
    pub fn mesh(&self, up_to_z: f64) -> (Vec<[f64; 3]>, Vec<[u32; 3]>) {
        let up_to = up_to_z as f32;
        let (mut vertices, mut triangles) = (Vec::new(), Vec::new());
        let mut quad = |corners: [[f64; 3]; 4]| {
            let base = vertices.len() as u32;
            vertices.extend(corners);
            triangles.push([base, base + 1, base + 2]);
            triangles.push([base, base + 2, base + 3]);
        };
        for y in 0..CELLS as isize {
            for x in 0..CELLS as isize {
                let h = self.at(x, y, up_to);
                if h <= 0.0 {
                    continue;
                }
                let (x0, y0) = (x as f64 * CELL_MM, y as f64 * CELL_MM);
                let (x1, y1, top) = (x0 + CELL_MM, y0 + CELL_MM, f64::from(h));
                quad([[x0, y0, top], [x1, y0, top], [x1, y1, top], [x0, y1, top]]);
                for (dx, dy, a, b) in [
                    (-1, 0, [x0, y1], [x0, y0]),
                    (1, 0, [x1, y0], [x1, y1]),
                    (0, -1, [x0, y0], [x1, y0]),
                    (0, 1, [x1, y1], [x0, y1]),
                ] {
                    let low = f64::from(self.at(x + dx, y + dy, up_to));
                    if low < top {
                        quad([
                            [a[0], a[1], low],
                            [b[0], b[1], low],
                            [b[0], b[1], top],
                            [a[0], a[1], top],
                        ]);
                    }
                }
            }
        }
        (vertices, triangles)
    }
}

/// The camera's frame (JPEG, [`FRAME_PX`] square): the plate's columns up
/// to `done` (0–1) of its height, from the iso view; `spaghetti` (a seed)
/// draws the strands of a failed print. `None`: an empty bed.
pub fn frame_jpeg(plate: Option<&Heightmap>, done: f64, spaghetti: Option<u64>) -> Vec<u8> {
    let (vertices, triangles) = plate
        .map(|p| p.mesh(done.clamp(0.0, 1.0) * p.top_z()))
        .unwrap_or_default();
    let defect = spaghetti
        .filter(|_| !triangles.is_empty())
        .map(|seed| Defect::Stringing { seed });
    let image = render(
        &vertices,
        &triangles,
        View::Iso,
        defect,
        FRAME_PX,
        DEFAULT_FILAMENT,
    );
    let mut out = Vec::new();
    // Writing to a Vec fails only on wrong dimensions, fixed here.
    let _ = jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY).encode(
        &image.rgb,
        FRAME_PX as u16,
        FRAME_PX as u16,
        jpeg_encoder::ColorType::Rgb,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10 × 5 mm rectangle perimeter per layer, 0.2 mm layers, to 1 mm.
    fn box_gcode(relative_e: bool) -> String {
        let mut g = String::from(if relative_e {
            "G90\nM83\n"
        } else {
            "G90\nM82\n"
        });
        let mut e = 0.0;
        for layer in 1..=5 {
            let z = f64::from(layer) * 0.2;
            g.push_str(&format!("G1 Z{z:.1} F600\nG1 X100 Y100\n"));
            for (x, y) in [(110, 100), (110, 105), (100, 105), (100, 100)] {
                e += 0.5;
                let amount = if relative_e { 0.5 } else { e };
                g.push_str(&format!("G1 X{x} Y{y} E{amount:.2} ; perimeter\n"));
            }
        }
        // A travel (no extrusion) across the bed marks nothing.
        g.push_str("G1 X10 Y10\nG1 Z5 X200 Y200 E-0.8\n");
        g
    }

    #[test]
    fn extrusion_raises_the_cells_it_crosses_and_travel_does_not() {
        for relative in [true, false] {
            let map = Heightmap::from_gcode(&box_gcode(relative));
            assert!((map.top_z() - 1.0).abs() < 1e-6, "{}", map.top_z());
            // The perimeter of a 10 × 5 mm rectangle crosses 11 × 6 cells'
            // border: 2 × 11 + 2 × 4 = 30 cells.
            assert_eq!(map.cells(), 30, "relative E: {relative}");
            assert_eq!(map.at(105, 100, 9.0), 1.0);
            assert_eq!(map.at(105, 102, 9.0), 0.0, "inside the perimeter");
            assert_eq!(map.at(50, 50, 9.0), 0.0, "travel");
        }
    }

    #[test]
    fn the_frame_shows_the_plate_as_far_as_it_is_printed() {
        let map = Heightmap::from_gcode(&box_gcode(true));
        let (half, _) = map.mesh(0.5);
        let (full, _) = map.mesh(1.0);
        let top = |v: &[[f64; 3]]| v.iter().map(|p| p[2]).fold(0.0, f64::max);
        assert_eq!((top(&half), top(&full)), (0.5, 1.0));
        let done = frame_jpeg(Some(&map), 1.0, None);
        let empty = frame_jpeg(None, 1.0, None);
        let failed = frame_jpeg(Some(&map), 1.0, Some(7));
        assert!(done.starts_with(&[0xFF, 0xD8]) && done.ends_with(&[0xFF, 0xD9]));
        assert_ne!(done, empty);
        assert_ne!(done, failed);
    }
}
