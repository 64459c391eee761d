//! Renders a mesh file's inspection photos: `cargo run -p farm-inspection
//! --example render_file -- <mesh> <out-dir> [layer_shift|stringing]`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: render_file <mesh> <out-dir> [layer_shift|stringing]".into());
    };
    let defect = match args.get(3).map(String::as_str) {
        Some("layer_shift") => Some(farm_inspection::Defect::LayerShift {
            at: 0.5,
            shift: 0.15,
        }),
        Some("stringing") => Some(farm_inspection::Defect::Stringing { seed: 1 }),
        _ => None,
    };
    let bytes = std::fs::read(path)?;
    let mesh = mesh_engine::parse(&bytes, &mesh_engine::Limits::default())?;
    std::fs::create_dir_all(out)?;
    for photo in farm_inspection::render_views(
        mesh.vertices(),
        mesh.triangles(),
        defect,
        320,
        farm_inspection::DEFAULT_FILAMENT,
    ) {
        std::fs::write(format!("{out}/{}.png", photo.view.name()), &photo.png)?;
    }
    Ok(())
}
