//! A small z-buffered triangle rasteriser with flat Lambert shading, and PNG
//! encoding of its image.

/// The photo's background (a light grey bed), RGB.
pub const BACKGROUND: [u8; 3] = [228, 230, 233];

/// An RGB image with a depth buffer (larger depth = nearer the camera).
#[derive(Debug, Clone)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
    depth: Vec<f64>,
}

impl Image {
    /// A blank image of the background colour.
    pub fn new(width: usize, height: usize) -> Self {
        let mut rgb = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            rgb.extend_from_slice(&BACKGROUND);
        }
        Self {
            width,
            height,
            rgb,
            depth: vec![f64::NEG_INFINITY; width * height],
        }
    }

    /// The colour at (x, y), y growing downwards.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    fn set(&mut self, x: usize, y: usize, color: [u8; 3]) {
        let i = (y * self.width + x) * 3;
        self.rgb[i..i + 3].copy_from_slice(&color);
    }

    /// Fills the triangle with screen-space corners `p` (x, y in pixels, z
    /// depth) in `color` where it is nearer than what is there.
    pub fn triangle(&mut self, p: [[f64; 3]; 3], color: [u8; 3]) {
        let min_x = p
            .iter()
            .map(|v| v[0])
            .fold(f64::INFINITY, f64::min)
            .floor()
            .max(0.0) as usize;
        let max_x = p
            .iter()
            .map(|v| v[0])
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil();
        let min_y = p
            .iter()
            .map(|v| v[1])
            .fold(f64::INFINITY, f64::min)
            .floor()
            .max(0.0) as usize;
        let max_y = p
            .iter()
            .map(|v| v[1])
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil();
        if max_x < 0.0 || max_y < 0.0 {
            return;
        }
        let max_x = (max_x as usize).min(self.width.saturating_sub(1));
        let max_y = (max_y as usize).min(self.height.saturating_sub(1));
        let area = edge(p[0], p[1], p[2]);
        if area.abs() < 1e-12 {
            return;
        }
        for y in min_y..=max_y {
            for x in min_x..=max_x {
                let q = [x as f64 + 0.5, y as f64 + 0.5, 0.0];
                let w0 = edge(p[1], p[2], q) / area;
                let w1 = edge(p[2], p[0], q) / area;
                let w2 = edge(p[0], p[1], q) / area;
                if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                    continue;
                }
                let z = w0 * p[0][2] + w1 * p[1][2] + w2 * p[2][2];
                let i = y * self.width + x;
                if z > self.depth[i] {
                    self.depth[i] = z;
                    self.set(x, y, color);
                }
            }
        }
    }

    /// Draws a line `thickness` pixels wide over everything (no depth test).
    pub fn line(&mut self, a: [f64; 2], b: [f64; 2], thickness: f64, color: [u8; 3]) {
        let steps = ((b[0] - a[0]).abs().max((b[1] - a[1]).abs()).ceil() as usize).max(1);
        let r = (thickness / 2.0).max(0.5);
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let (cx, cy) = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t);
            let (x0, x1) = ((cx - r).floor().max(0.0) as usize, (cx + r).ceil() as usize);
            let (y0, y1) = ((cy - r).floor().max(0.0) as usize, (cy + r).ceil() as usize);
            for y in y0..y1.min(self.height) {
                for x in x0..x1.min(self.width) {
                    self.set(x, y, color);
                }
            }
        }
    }

    /// The image as a PNG (8-bit RGB).
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            // Writing to a Vec cannot fail; an error here would be a bug in
            // the dimensions, which `new` fixed.
            if let Ok(mut writer) = encoder.write_header() {
                let _ = writer.write_image_data(&self.rgb);
            }
        }
        out
    }
}

/// Twice the signed area of (a, b, c) in screen space.
fn edge(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}
