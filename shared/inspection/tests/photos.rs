//! The photos show the part: silhouettes measured on decoded PNGs, checked
//! against the part's own geometry.

use farm_inspection::{BACKGROUND, DEFAULT_FILAMENT, Defect, View, render, render_views};

/// An axis-aligned box as 12 triangles (outward winding).
fn cuboid(w: f64, d: f64, h: f64) -> (Vec<[f64; 3]>, Vec<[u32; 3]>) {
    let v = vec![
        [0.0, 0.0, 0.0],
        [w, 0.0, 0.0],
        [w, d, 0.0],
        [0.0, d, 0.0],
        [0.0, 0.0, h],
        [w, 0.0, h],
        [w, d, h],
        [0.0, d, h],
    ];
    let t = vec![
        [0, 2, 1],
        [0, 3, 2],
        [4, 5, 6],
        [4, 6, 7],
        [0, 1, 5],
        [0, 5, 4],
        [1, 2, 6],
        [1, 6, 5],
        [2, 3, 7],
        [2, 7, 6],
        [3, 0, 4],
        [3, 4, 7],
    ];
    (v, t)
}

fn decode(png_bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(png_bytes);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

fn part_pixels(rgb: &[u8]) -> usize {
    rgb.chunks(3).filter(|p| *p != BACKGROUND).count()
}

#[test]
fn every_view_is_a_decodable_png_of_the_requested_size() {
    let (v, t) = cuboid(40.0, 20.0, 10.0);
    let photos = render_views(&v, &t, None, 200, DEFAULT_FILAMENT);
    assert_eq!(photos.len(), 4);
    for photo in &photos {
        let (w, h, rgb) = decode(&photo.png);
        assert_eq!((w, h), (200, 200));
        assert!(part_pixels(&rgb) > 0, "{:?} shows nothing", photo.view);
    }
}

#[test]
fn the_top_view_of_a_box_is_its_footprint_to_scale() {
    // 40 × 20 from above: the larger side fills 85 % of 200 px = 170 px,
    // so the silhouette is 170 × 85 px.
    let (v, t) = cuboid(40.0, 20.0, 10.0);
    let image = render(&v, &t, View::Top, None, 200, DEFAULT_FILAMENT);
    let (_, _, rgb) = decode(&image.to_png());
    let expected = 170.0 * 85.0;
    let got = part_pixels(&rgb) as f64;
    assert!(
        (got - expected).abs() / expected < 0.03,
        "{got} px, expected about {expected}"
    );
}

#[test]
fn faces_towards_the_light_are_brighter_than_faces_away() {
    // In the iso view the top face (lit from above) is lighter than the
    // front face.
    let (v, t) = cuboid(30.0, 30.0, 30.0);
    let image = render(&v, &t, View::Iso, None, 200, DEFAULT_FILAMENT);
    let brightness = |p: [u8; 3]| p.iter().map(|&c| c as u32).sum::<u32>();
    // Top face centre projects above the image centre; a front face below it.
    let top = image.pixel(100, 60);
    let lower = image.pixel(80, 140);
    assert_ne!(top, BACKGROUND);
    assert_ne!(lower, BACKGROUND);
    assert_ne!(brightness(top), brightness(lower));
}

#[test]
fn a_failed_part_looks_different_from_a_good_one() {
    let (v, t) = cuboid(30.0, 30.0, 60.0);
    let good = render(&v, &t, View::Front, None, 200, DEFAULT_FILAMENT);
    for defect in [
        Defect::LayerShift {
            at: 0.5,
            shift: 0.3,
        },
        Defect::Stringing { seed: 7 },
    ] {
        let bad = render(&v, &t, View::Front, Some(defect), 200, DEFAULT_FILAMENT);
        let differing = good
            .rgb
            .chunks(3)
            .zip(bad.rgb.chunks(3))
            .filter(|(a, b)| a != b)
            .count();
        // At least 3 % of the photo changes: visible at a glance.
        assert!(
            differing > 200 * 200 * 3 / 100,
            "{defect:?}: {differing} px differ"
        );
    }
}

#[test]
fn rendering_is_deterministic_and_survives_bad_input() {
    let (v, t) = cuboid(10.0, 10.0, 10.0);
    assert_eq!(
        render_views(
            &v,
            &t,
            Some(Defect::Stringing { seed: 3 }),
            64,
            DEFAULT_FILAMENT
        ),
        render_views(
            &v,
            &t,
            Some(Defect::Stringing { seed: 3 }),
            64,
            DEFAULT_FILAMENT
        )
    );
    // Empty mesh and an out-of-range index: an empty bed, no panic.
    let empty = render(&[], &[], View::Iso, None, 32, DEFAULT_FILAMENT);
    assert_eq!(part_pixels(&empty.rgb), 0);
    let broken = render(&v, &[[0, 1, 99]], View::Iso, None, 32, DEFAULT_FILAMENT);
    assert_eq!(part_pixels(&broken.rgb), 0);
}

/// The part is drawn in its filament's colour: a black part photographs
/// dark and a red one red, each still shaded and apart from the bed.
#[test]
fn the_part_is_drawn_in_its_filament_colour() {
    let (v, t) = cuboid(20.0, 20.0, 20.0);
    let mean = |filament: [u8; 3]| {
        let image = render(&v, &t, View::Iso, None, 100, filament);
        let part: Vec<[u8; 3]> = (0..100)
            .flat_map(|y| (0..100).map(move |x| (x, y)))
            .map(|(x, y)| image.pixel(x, y))
            .filter(|p| *p != BACKGROUND)
            .collect();
        assert!(part.len() > 1000, "the part fills the frame");
        let shades: std::collections::HashSet<[u8; 3]> = part.iter().copied().collect();
        assert!(shades.len() >= 2, "its faces are shaded apart");
        let n = part.len() as f64;
        [0, 1, 2].map(|k| part.iter().map(|p| f64::from(p[k])).sum::<f64>() / n)
    };
    let black = mean([0, 0, 0]);
    assert!(black.iter().all(|&c| c < 80.0), "black: {black:?}");
    let red = mean([0xC1, 0x2E, 0x1F]);
    assert!(
        red[0] > red[1] + 40.0 && red[0] > red[2] + 40.0,
        "red: {red:?}"
    );
}
