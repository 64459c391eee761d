//! The camera views of an inspection, the defects a failed part shows, and
//! the render of a mesh to one photo per view.

use crate::raster::Image;

/// Where the camera stands. Orthographic, looking at the part's centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// From the front, right and above (the catalog-photo angle).
    Iso,
    /// From the front (−Y), looking along +Y.
    Front,
    /// From the right (+X).
    Side,
    /// From above (+Z).
    Top,
}

impl View {
    /// Every view, in the order photos are listed.
    pub const ALL: [View; 4] = [View::Iso, View::Front, View::Side, View::Top];

    /// The view's name in URLs and JSON (`iso`, `front`, `side`, `top`).
    pub fn name(self) -> &'static str {
        match self {
            View::Iso => "iso",
            View::Front => "front",
            View::Side => "side",
            View::Top => "top",
        }
    }

    /// World (x, y, z) → view (u right, v up, w towards the camera); a
    /// right-handed rotation, so u × v = w.
    fn project(self, p: [f64; 3]) -> [f64; 3] {
        let [x, y, z] = p;
        match self {
            View::Front => [x, z, -y],
            View::Side => [y, z, x],
            View::Top => [x, y, z],
            View::Iso => {
                let (s2, s3, s6) = (2f64.sqrt(), 3f64.sqrt(), 6f64.sqrt());
                [(x + y) / s2, (-x + y + 2.0 * z) / s6, (x - y + z) / s3]
            }
        }
    }
}

/// What a failed part looks like in its photos.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Defect {
    /// The layers above `at` (0–1 of the height) are offset along X by
    /// `shift` (a share of the part's width): a skipped stepper, the
    /// commonest visible failure.
    LayerShift { at: f64, shift: f64 },
    /// Thin strands of plastic across the part (stringing / spaghetti),
    /// placed by `seed`.
    Stringing { seed: u64 },
}

/// One inspection photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub view: View,
    /// PNG, 8-bit RGB.
    pub png: Vec<u8>,
}

/// The filament colour to draw when the part's is not known (a PLA
/// grey-blue).
pub const DEFAULT_FILAMENT: [u8; 3] = [86, 124, 170];
/// The share of mid grey mixed into the filament's colour before shading,
/// so a black part still shows its faces and a white one stands off the
/// background.
const GREY_MIX: f64 = 0.25;
const MID_GREY: f64 = 110.0;
/// Light direction in view space (from upper left, in front).
const LIGHT: [f64; 3] = [-0.4, 0.6, 0.7];
/// Share of the image the part's larger extent fills.
const FILL: f64 = 0.85;

/// Renders `vertices` (mm) and `triangles` from `view` into a `size` ×
/// `size` image in the part's `filament` colour (RGB), with `defect`
/// applied if the part failed. An empty mesh gives an empty bed.
pub fn render(
    vertices: &[[f64; 3]],
    triangles: &[[u32; 3]],
    view: View,
    defect: Option<Defect>,
    size: usize,
    filament: [u8; 3],
) -> Image {
    let part = filament.map(|c| f64::from(c) * (1.0 - GREY_MIX) + MID_GREY * GREY_MIX);
    let mut image = Image::new(size, size);
    let world: Vec<[f64; 3]> = match defect {
        Some(Defect::LayerShift { at, shift }) => layer_shift(vertices, at, shift),
        _ => vertices.to_vec(),
    };
    let viewed: Vec<[f64; 3]> = world.iter().map(|&p| view.project(p)).collect();
    let Some((lo, hi)) = bounds(&viewed) else {
        return image;
    };
    let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-9);
    let scale = FILL * size as f64 / extent;
    let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
    let half = size as f64 / 2.0;
    let screen = |p: [f64; 3]| {
        [
            half + (p[0] - centre[0]) * scale,
            half - (p[1] - centre[1]) * scale,
            p[2],
        ]
    };
    let light = normalise(LIGHT);
    for t in triangles {
        let Some(corners) = t
            .iter()
            .map(|&i| viewed.get(i as usize).copied())
            .collect::<Option<Vec<_>>>()
        else {
            continue; // an index outside the mesh: skip, never panic
        };
        let n = normalise(cross(
            sub(corners[1], corners[0]),
            sub(corners[2], corners[0]),
        ));
        // Two-sided: a mesh with flipped faces still photographs.
        let lit = 0.3 + 0.7 * dot(n, light).abs();
        let color = part.map(|c| (c * lit).clamp(0.0, 255.0) as u8);
        image.triangle(
            [screen(corners[0]), screen(corners[1]), screen(corners[2])],
            color,
        );
    }
    if let Some(Defect::Stringing { seed }) = defect {
        let (x0, y0) = (
            half + (lo[0] - centre[0]) * scale,
            half - (hi[1] - centre[1]) * scale,
        );
        let (w, h) = ((hi[0] - lo[0]) * scale, (hi[1] - lo[1]) * scale);
        let mut rng = seed | 1;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..14 {
            let a = [x0 + w * next(), y0 + h * next()];
            let b = [x0 + w * next(), y0 + h * next()];
            image.line(a, b, 2.0, [40, 36, 30]);
        }
    }
    image
}

/// One PNG per view of [`View::ALL`], the part in `filament` (RGB).
pub fn render_views(
    vertices: &[[f64; 3]],
    triangles: &[[u32; 3]],
    defect: Option<Defect>,
    size: usize,
    filament: [u8; 3],
) -> Vec<Photo> {
    View::ALL
        .iter()
        .map(|&view| Photo {
            view,
            png: render(vertices, triangles, view, defect, size, filament).to_png(),
        })
        .collect()
}

fn layer_shift(vertices: &[[f64; 3]], at: f64, shift: f64) -> Vec<[f64; 3]> {
    let Some((lo, hi)) = bounds(vertices) else {
        return Vec::new();
    };
    let cut = lo[2] + at.clamp(0.0, 1.0) * (hi[2] - lo[2]);
    let dx = shift * (hi[0] - lo[0]);
    vertices
        .iter()
        .map(|&[x, y, z]| if z > cut { [x + dx, y, z] } else { [x, y, z] })
        .collect()
}

fn bounds(points: &[[f64; 3]]) -> Option<([f64; 3], [f64; 3])> {
    let first = *points.first()?;
    Some(points.iter().fold((first, first), |(lo, hi), p| {
        (
            [lo[0].min(p[0]), lo[1].min(p[1]), lo[2].min(p[2])],
            [hi[0].max(p[0]), hi[1].max(p[1]), hi[2].max(p[2])],
        )
    }))
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn normalise(a: [f64; 3]) -> [f64; 3] {
    let l = dot(a, a).sqrt();
    if l < 1e-300 {
        [0.0, 0.0, 1.0]
    } else {
        a.map(|c| c / l)
    }
}
