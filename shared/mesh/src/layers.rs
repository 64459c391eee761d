//! Cross-sections of a closed mesh at every layer: the area and the outline
//! length the slicer will see, without building polygons.
//!
//! A triangle crossing the plane z = c contributes one segment of the
//! section's outline. Oriented so that the triangle's outward normal points
//! to its right (counter-clockwise around material), the segments' shoelace
//! sum Σ (p × q) / 2 is the section's area (holes subtract themselves) and
//! their lengths add up to the outline's length. Cost: one step per triangle
//! and layer it spans.

/// Area (mm²) and outline length (mm) of the section at the middle of each
/// layer, from the bottom of the part. `scale` turns file units into mm;
/// `sign` is −1 for an inside-out mesh.
pub(crate) struct Sections {
    pub area_mm2: Vec<f64>,
    pub outline_mm: Vec<f64>,
    /// Outline segments (one per mesh triangle crossing the layer).
    pub segments: Vec<u32>,
}

pub(crate) fn sections(
    vertices: &[[f64; 3]],
    triangles: &[[u32; 3]],
    scale: f64,
    sign: f64,
    z_min: f64,
    layer_mm: f64,
    layers: usize,
) -> Sections {
    let mut area = vec![0.0; layers];
    let mut outline = vec![0.0; layers];
    let mut segments = vec![0u32; layers];
    for t in triangles {
        let p = t.map(|i| {
            let v = vertices[i as usize];
            [v[0] * scale, v[1] * scale, (v[2] - z_min) * scale]
        });
        let lo = p[0][2].min(p[1][2]).min(p[2][2]);
        let hi = p[0][2].max(p[1][2]).max(p[2][2]);
        // Layers whose middle z = (i + ½) h lies strictly inside (lo, hi).
        let first = ((lo / layer_mm - 0.5).floor() + 1.0).max(0.0) as usize;
        let last = ((hi / layer_mm - 0.5).ceil() - 1.0).min(layers as f64 - 1.0);
        if last < first as f64 {
            continue;
        }
        let n = cross(sub(p[1], p[0]), sub(p[2], p[0]));
        let (nx, ny) = (sign * n[0], sign * n[1]);
        for i in first..=last as usize {
            let z = (i as f64 + 0.5) * layer_mm;
            let Some((a, b)) = segment(&p, z) else {
                continue;
            };
            // Direction with the outward normal on its right: (−ny, nx).
            let (mut a, mut b) = (a, b);
            if (b[0] - a[0]) * -ny + (b[1] - a[1]) * nx < 0.0 {
                std::mem::swap(&mut a, &mut b);
            }
            area[i] += (a[0] * b[1] - b[0] * a[1]) / 2.0;
            outline[i] += ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
            segments[i] += 1;
        }
    }
    // A section of a closed mesh is never negative; rounding can make an
    // empty one a hair below zero.
    for a in &mut area {
        *a = a.max(0.0);
    }
    Sections {
        area_mm2: area,
        outline_mm: outline,
        segments,
    }
}

/// Where the plane z crosses the triangle: the two points on its edges.
fn segment(p: &[[f64; 3]; 3], z: f64) -> Option<([f64; 2], [f64; 2])> {
    let mut pts = [[0.0; 2]; 2];
    let mut n = 0;
    for (a, b) in [(p[0], p[1]), (p[1], p[2]), (p[2], p[0])] {
        if (a[2] < z) != (b[2] < z) && n < 2 {
            let t = (z - a[2]) / (b[2] - a[2]);
            pts[n] = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
            n += 1;
        }
    }
    (n == 2).then_some((pts[0], pts[1]))
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
