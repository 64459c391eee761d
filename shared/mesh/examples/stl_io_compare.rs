//! Times `stl_io` against the engine's own binary STL reader on one file:
//! `cargo run --release -p mesh-engine --example stl_io_compare -- FILE`.
//! Both produce an indexed mesh; the engine also welds with trimesh's rounding.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: stl_io_compare FILE"))?;
    let bytes = std::fs::read(&path)?;
    let mut best = (f64::INFINITY, f64::INFINITY);
    let (mut ours_v, mut theirs_v) = (0, 0);
    for _ in 0..3 {
        let t = Instant::now();
        let mesh = mesh_engine::parse(&bytes, &mesh_engine::Limits::default())?;
        best.0 = best.0.min(t.elapsed().as_secs_f64() * 1000.0);
        ours_v = mesh.vertices().len();
        let t = Instant::now();
        let indexed = stl_io::read_stl(&mut std::io::Cursor::new(&bytes))?;
        best.1 = best.1.min(t.elapsed().as_secs_f64() * 1000.0);
        theirs_v = indexed.vertices.len();
    }
    println!(
        "{{\"file\":{path:?},\"engine_parse_ms\":{:.1},\"stl_io_read_ms\":{:.1},\"engine_vertices\":{ours_v},\"stl_io_vertices\":{theirs_v}}}",
        best.0, best.1
    );
    Ok(())
}
