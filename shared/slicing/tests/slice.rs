//! PrusaSlicer for real (Debian package `prusa-slicer`; scripts/test.sh
//! installs it): a plate of two cubes placed where asked.

use farm_slicing::{Plate, PlatePart, PrinterModel, PrusaSlicer, Slicer};
use mesh_engine::Unit;

/// A closed, outward-wound cube of side `s` mm with its min corner at 0, as
/// ASCII STL.
fn cube_stl(s: f64) -> Vec<u8> {
    let v = |x: u8, y: u8, z: u8| [x as f64 * s, y as f64 * s, z as f64 * s];
    // Each face as two triangles, counter-clockwise seen from outside.
    let quads = [
        [v(0, 0, 0), v(0, 1, 0), v(1, 1, 0), v(1, 0, 0)], // bottom (z = 0)
        [v(0, 0, 1), v(1, 0, 1), v(1, 1, 1), v(0, 1, 1)], // top
        [v(0, 0, 0), v(1, 0, 0), v(1, 0, 1), v(0, 0, 1)], // front (y = 0)
        [v(0, 1, 0), v(0, 1, 1), v(1, 1, 1), v(1, 1, 0)], // back
        [v(0, 0, 0), v(0, 0, 1), v(0, 1, 1), v(0, 1, 0)], // left (x = 0)
        [v(1, 0, 0), v(1, 1, 0), v(1, 1, 1), v(1, 0, 1)], // right
    ];
    let mut out = String::from("solid cube\n");
    for q in quads {
        for t in [[q[0], q[1], q[2]], [q[0], q[2], q[3]]] {
            out.push_str("facet normal 0 0 0\nouter loop\n");
            for p in t {
                out.push_str(&format!("vertex {} {} {}\n", p[0], p[1], p[2]));
            }
            out.push_str("endloop\nendfacet\n");
        }
    }
    out.push_str("endsolid cube\n");
    out.into_bytes()
}

fn plate() -> Plate {
    Plate {
        printer: PrinterModel::P1S,
        material: "pla".into(),
        parts: vec![
            PlatePart {
                part_id: "big".into(),
                mesh: cube_stl(20.0),
                unit: Unit::Millimeter,
                center_mm: [60.0, 60.0],
            },
            PlatePart {
                part_id: "small".into(),
                mesh: cube_stl(10.0),
                unit: Unit::Millimeter,
                center_mm: [180.0, 150.0],
            },
        ],
    }
}

/// The XY extent of the extruding moves (relative E > 0) in the G-code.
fn extrusion_extent(gcode: &str) -> ([f64; 2], [f64; 2]) {
    let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
    let (mut x, mut y) = (0.0, 0.0);
    for line in gcode.lines() {
        let code = line.split(';').next().unwrap_or("");
        let mut words = code.split_whitespace();
        if !matches!(words.next(), Some("G1")) {
            continue;
        }
        let mut extrudes = false;
        for w in words {
            let (k, n) = w.split_at(1);
            let n: f64 = n.parse().unwrap_or(0.0);
            match k {
                "X" => x = n,
                "Y" => y = n,
                "E" => extrudes = n > 0.0,
                _ => {}
            }
        }
        if extrudes {
            min = [min[0].min(x), min[1].min(y)];
            max = [max[0].max(x), max[1].max(y)];
        }
    }
    (min, max)
}

#[test]
fn a_plate_of_two_parts_is_sliced_where_the_parts_were_placed() -> anyhow::Result<()> {
    let plate = plate();
    let sliced = PrusaSlicer::default().slice(&plate)?;
    let gcode = String::from_utf8(sliced.gcode.clone())?;

    // Everything extruded lies within the two cubes' footprints:
    // x 50..70 and 175..185, y 50..60+... i.e. 50..190 by 50..155 overall.
    let (min, max) = extrusion_extent(&gcode);
    assert!((49.0..51.5).contains(&min[0]), "min x {}", min[0]);
    assert!((49.0..51.5).contains(&min[1]), "min y {}", min[1]);
    assert!((183.5..186.0).contains(&max[0]), "max x {}", max[0]);
    assert!((153.5..156.0).contains(&max[1]), "max y {}", max[1]);

    // 8 + 1 cm³ of PLA (1.24 g/cm³): more than the 15 % infill alone, less
    // than solid plastic.
    let stats = &sliced.stats;
    assert!(stats.filament_g > 9.0 * 1.24 * 0.15 && stats.filament_g < 9.0 * 1.24);
    assert!(stats.print_s > 60.0, "{} s", stats.print_s);
    // 20 mm at 0.2 mm layers.
    assert_eq!(stats.layers, Some(100));

    // Split by volume: 8 : 1.
    let [big, small] = &sliced.parts[..] else {
        panic!("two parts expected")
    };
    assert_eq!(
        (big.part_id.as_str(), small.part_id.as_str()),
        ("big", "small")
    );
    assert!((big.volume_cm3 - 8.0).abs() < 1e-9 && (small.volume_cm3 - 1.0).abs() < 1e-9);
    assert!((big.filament_g - stats.filament_g * 8.0 / 9.0).abs() < 1e-9);

    // The package carries this G-code.
    let package = sliced.gcode_3mf(&plate)?;
    assert!(package.len() > 100);
    Ok(())
}

#[test]
fn a_part_off_the_bed_is_refused_before_slicing() {
    let mut plate = plate();
    plate.parts[1].center_mm = [252.0, 100.0];
    let err = PrusaSlicer::default()
        .slice(&plate)
        .expect_err("off the bed");
    assert!(matches!(err, farm_slicing::Error::InvalidPlate(_)), "{err}");
}
