//! Weight, support and time estimates for pricing: a slicer's arithmetic on
//! the mesh's layer sections (crate::layers), with the printer's process
//! (crate::printer) and the material's infill, flow and density. The model is
//! summarised in the crate docs ("Estimates"); every constant is a setting
//! the slicer receives too (farm-slicing's `shared_settings`), except the
//! calibration factors below, fitted with benches/quote_accuracy.sh.

use crate::layers::sections;
use crate::material::MaterialProfile;
use crate::mesh::Mesh;
use crate::metrics::Metrics;
use crate::printer::PrinterProfile;

/// Gap between support lines, mm (the slicer's `support_material_spacing`).
pub const SUPPORT_SPACING_MM: f64 = 2.5;
/// Solid interface layers on top of supports (the slicer's
/// `support_material_interface_layers`).
pub const SUPPORT_INTERFACE_LAYERS: u32 = 2;
/// Overhangs flatter than this from horizontal get supports, degrees (the
/// slicer's `support_material_threshold`; the `overhang` check's default).
pub const SUPPORT_THRESHOLD_DEG: f64 = 45.0;

/// What printing the part would take.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    pub material_id: &'static str,
    pub printer_id: &'static str,
    /// Printed part, grams (walls + skins + infill).
    pub weight_g: f64,
    /// Support material, grams.
    pub support_g: f64,
    /// Part and support, grams.
    pub total_g: f64,
    /// Walls and top/bottom skins, cm³.
    pub shell_cm3: f64,
    /// Sparse infill, cm³.
    pub infill_cm3: f64,
    pub support_cm3: f64,
    pub layers: u64,
    /// Printing time including the printer's fixed setup time, hours.
    pub print_hours: f64,
    /// False when the mesh is not closed and consistently wound: the volume,
    /// and so everything derived from it, is then a guess.
    pub reliable: bool,
}

pub(crate) fn estimate(
    mesh: &Mesh,
    scale: f64,
    metrics: &Metrics,
    material: &MaterialProfile,
    printer: &PrinterProfile,
) -> Estimates {
    let h = printer.layer_height_mm;
    let s = printer.line_spacing_mm();
    let height = metrics.bbox_mm[2];
    let layers = (height / h).ceil().max(1.0) as usize;
    let sign = if metrics.signed_volume_cm3 < 0.0 {
        -1.0
    } else {
        1.0
    };
    let z_min = metrics.raw.bbox_min[2];
    let sec = sections(
        &mesh.vertices,
        &mesh.triangles,
        scale,
        sign,
        z_min,
        h,
        layers,
    );
    let support = support_areas(mesh, scale, sign, z_min, h, layers);

    // Every speed is capped by the material's flow: v × spacing × h ≤ flow.
    let cap = |v: f64| v.min(material.max_flow_mm3_s / (s * h));
    let sp = &printer.speeds;
    let (mut shell, mut infill, mut support_mm3, mut seconds) = (0.0, 0.0, 0.0, 0.0);
    let area = |i: isize| -> f64 {
        usize::try_from(i)
            .ok()
            .and_then(|i| sec.area_mm2.get(i).copied())
            .unwrap_or(0.0)
    };
    for (i, under) in support.iter().enumerate() {
        let a = sec.area_mm2[i];
        let outline = sec.outline_mm[i];
        // Walls: `wall_loops` lines along the outline, shorter inside the
        // corners (an inward offset by t of a convex outline loses π t² to
        // 4 t²; one outline per layer assumed), or the whole section where
        // it is thinner than the walls.
        let wall = f64::from(printer.wall_loops) * s;
        let ring = a.min((outline * wall - WALL_CORNER * wall * wall).max(0.0));
        let inner = a - ring;
        // Skins: the part of this section not covered by the section
        // `top_layers` above or `bottom_layers` below (sections nest on the
        // shapes parts mostly have, so an area difference is the uncovered
        // area). On a slope the uncovered band lies partly under the walls
        // (SLOPE_SKIN_UNDER_WALLS).
        let uncovered = |dir: isize, n: u32| {
            (1..=n as isize)
                .map(|k| (a - area(i as isize + dir * k)).max(0.0))
                .fold(0.0, f64::max)
        };
        let top = uncovered(1, printer.top_layers);
        let bottom = uncovered(-1, printer.bottom_layers);
        let band = top.max(bottom);
        let full = inner.min(band);
        let inside = inner.min((band - ring).max(0.0));
        let skin = SKIN_FLOW * (full - SLOPE_SKIN_UNDER_WALLS * (full - inside));
        let sparse_area = (inner - full).max(0.0);
        let anchors = if sparse_area > 0.0 {
            INFILL_ANCHOR * outline * s
        } else {
            0.0
        };
        let sparse = sparse_area * material.infill + anchors;
        let support_area = under.base * SUPPORT_BASE_FILL
            + under.interface * SUPPORT_INTERFACE_GROWTH
            + under.rim * s * SUPPORT_SHEATH;
        shell += (ring + skin) * h;
        infill += sparse * h;
        support_mm3 += support_area * h;

        // Time: each kind of line's length (area / spacing) at its speed,
        // plus the time lost accelerating (ACCEL_LENGTH), plus SEGMENT_S per
        // outline segment;
        // a layer faster than the minimum layer time is slowed down to it,
        // but not below MIN_SLOWDOWN_SPEED; then the layer's travel overhead.
        let outer = outline.min(ring / s);
        let lines = [
            (outer, sp.outer_wall),
            (ring / s - outer, sp.inner_wall),
            (
                skin / s,
                if top >= bottom {
                    sp.top_surface
                } else {
                    sp.solid_infill
                },
            ),
            (sparse / s, sp.sparse_infill),
            (support_area / s, sp.support),
        ];
        let moving: f64 = lines
            .iter()
            .map(|&(len, v)| {
                let v = cap(if i == 0 { sp.first_layer } else { v });
                len / v + len * v / ACCEL_LENGTH
            })
            .sum();
        let length: f64 = lines.iter().map(|l| l.0).sum();
        let t = moving + SEGMENT_S * f64::from(sec.segments[i]);
        let slowed = printer.min_layer_time_s.min(length / MIN_SLOWDOWN_SPEED);
        seconds += t.max(slowed) + printer.layer_overhead_s;
    }

    let grams = |mm3: f64| mm3 / 1000.0 * material.density_g_cm3;
    Estimates {
        material_id: material.id,
        printer_id: printer.id,
        weight_g: grams(shell + infill),
        support_g: grams(support_mm3),
        total_g: grams(shell + infill + support_mm3),
        shell_cm3: shell / 1000.0,
        infill_cm3: infill / 1000.0,
        support_cm3: support_mm3 / 1000.0,
        layers: layers as u64,
        print_hours: (seconds + printer.setup_s) / 3600.0,
        reliable: metrics.is_watertight && metrics.is_winding_consistent,
    }
}

// Calibration, fitted with benches/quote_accuracy.sh against PrusaSlicer
// 2.5 slicing the corpus and the generated shapes with the farm's profile
// (least squares on the grams of each part relative to the slicer's, with
// each component's extruded volume read per `;TYPE:` from the G-code as a
// check; a grid search on the time and on the support constants). Each states what the geometry
// above does not see.

/// Area an inward offset of the walls' thickness t loses at the corners,
/// in t² per layer: π for a round outline, 4 for a rectangle; π taken.
pub const WALL_CORNER: f64 = std::f64::consts::PI;
/// Skins extrude this much more than their area × layer height: bridge flow
/// over sparse infill and the overlap with the walls (flat tops and bottoms
/// of boxes: +5 %).
pub const SKIN_FLOW: f64 = 1.05;
/// On a slope, the share of the uncovered band that the walls already fill
/// instead of skin (spheres and tori; 0 on flat tops).
pub const SLOPE_SKIN_UNDER_WALLS: f64 = 0.25;
/// Infill anchors: sparse infill lines are joined along the walls, about this
/// many millimetres of line per millimetre of outline (fit: 0.3).
pub const INFILL_ANCHOR: f64 = 0.3;
/// Extruded share of a support column: rectilinear lines every
/// `SUPPORT_SPACING_MM`, 0.13 of the column on paper (fit: 0.16).
pub const SUPPORT_BASE_FILL: f64 = 0.16;
/// Lines of sheath around each support column, along the outline of the
/// overhang above (the slicer's `support_material_with_sheath`; one line on
/// paper, fit: 1.5, the columns being wider than the overhang). Narrow
/// overhangs (an interlocked chain) get supports that are mostly sheath.
pub const SUPPORT_SHEATH: f64 = 1.5;
/// The solid interface under an overhang is this many times the overhang's
/// projected area × `SUPPORT_INTERFACE_LAYERS` (widened contact areas under
/// sloped overhangs; fit: 2.8).
pub const SUPPORT_INTERFACE_GROWTH: f64 = 2.8;
/// Acceleration × mean line length, mm²/s²: a line of length ℓ at speed v
/// with acceleration a takes about ℓ/v + v/a, so lines of total length L
/// lose L × v / (a × ℓ̄) to acceleration; fast lines lose much, lines slowed
/// by the material's flow (TPU) almost nothing. About 10 000 mm/s² × 11 mm
/// (fit: lines at 250 mm/s take 57 % longer than length / speed).
pub const ACCEL_LENGTH: f64 = 110_000.0;
/// Seconds per outline segment (a mesh triangle crossing the layer): each is
/// a corner where the head slows down (fit: 0.025).
pub const SEGMENT_S: f64 = 0.025;
/// The slowest the slicer prints to reach the minimum layer time, mm/s
/// (fit: 15, the filament profiles' `min_print_speed` is 20).
pub const MIN_SLOWDOWN_SPEED: f64 = 15.0;

/// Support under one layer: the area of overhangs above it (base support)
/// and the area of overhangs just above it (solid interface layers), mm².
#[derive(Debug, Clone, Copy, Default)]
struct SupportArea {
    base: f64,
    interface: f64,
    /// Outline of the overhangs above, mm: where the sheath runs.
    rim: f64,
}

/// Per layer, the projected area of the overhangs (faces flatter than
/// [`SUPPORT_THRESHOLD_DEG`] from horizontal, facing down, off the bed) above
/// it: supports stand on the bed under every overhang.
fn support_areas(
    mesh: &Mesh,
    scale: f64,
    sign: f64,
    z_min: f64,
    h: f64,
    layers: usize,
) -> Vec<SupportArea> {
    let cos_limit = SUPPORT_THRESHOLD_DEG.to_radians().cos();
    // Projected overhang area by the layer its centroid is in.
    let mut at = vec![0.0; layers];
    // Edges of overhanging faces, sorted below to find those of one face
    // (a plain vector: a third of a hash map's memory on large meshes).
    let mut edges: Vec<(u32, u32)> = Vec::new();
    for t in &mesh.triangles {
        let p = t.map(|i| {
            let v = mesh.vertices[i as usize];
            [v[0] * scale, v[1] * scale, (v[2] - z_min) * scale]
        });
        let u = [p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]];
        let w = [p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]];
        let n = [
            u[1] * w[2] - u[2] * w[1],
            u[2] * w[0] - u[0] * w[2],
            u[0] * w[1] - u[1] * w[0],
        ];
        let twice = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        if twice <= 0.0 || sign * n[2] / twice >= -cos_limit {
            continue;
        }
        let zc = (p[0][2] + p[1][2] + p[2][2]) / 3.0;
        let layer = (zc / h).floor() as usize;
        if layer == 0 || layer >= layers {
            continue; // on the bed: nothing to support
        }
        at[layer] += (sign * n[2]).abs() / 2.0;
        for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
            edges.push((a.min(b), a.max(b)));
        }
    }
    // The overhang regions' outlines: edges of exactly one overhang face.
    edges.sort_unstable();
    let mut rim_at = vec![0.0; layers];
    for run in edges.chunk_by(|x, y| x == y) {
        if run.len() != 1 {
            continue;
        }
        let (a, b) = run[0];
        let (pa, pb) = (mesh.vertices[a as usize], mesh.vertices[b as usize]);
        let len = ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2)).sqrt() * scale;
        let z = ((pa[2] + pb[2]) / 2.0 - z_min) * scale;
        let layer = (z / h).floor() as usize;
        if layer > 0 && layer < layers {
            rim_at[layer] += len;
        }
    }
    let interface = SUPPORT_INTERFACE_LAYERS as usize;
    let mut out = vec![SupportArea::default(); layers];
    let (mut above, mut rim) = (0.0, 0.0);
    for i in (0..layers).rev() {
        let near: f64 = (i + 1..=i + interface).filter_map(|j| at.get(j)).sum();
        out[i] = SupportArea {
            base: above - near,
            interface: near,
            rim,
        };
        above += at[i];
        rim += rim_at[i];
    }
    out
}
