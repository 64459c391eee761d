//! Mesh exports of a welded [`TriMesh`]: binary STL, 3MF (millimetre unit)
//! and GLB (glTF 2.0 binary) for the browser preview. All deterministic.

use std::io::Write;

use crate::tess::TriMesh;
use crate::{Error, Model};

/// Binary STL: 80-byte header, little-endian triangle count, then per
/// triangle its unit normal and three corners (f32, mm) and a zero attribute.
pub fn to_stl(mesh: &TriMesh, name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(84 + 50 * mesh.triangles.len());
    let mut header = [b' '; 80];
    // Must not start with "solid" (readers would take it for ASCII STL).
    let title = format!("farm-cad binary STL {name}");
    let n = title.len().min(80);
    header[..n].copy_from_slice(&title.as_bytes()[..n]);
    out.extend_from_slice(&header);
    out.extend_from_slice(&(mesh.triangles.len() as u32).to_le_bytes());
    for t in &mesh.triangles {
        let [a, b, c] = t.map(|i| mesh.vertices[i as usize]);
        for f in normal(a, b, c)
            .iter()
            .chain(a.iter())
            .chain(b.iter())
            .chain(c.iter())
        {
            out.extend_from_slice(&(*f as f32).to_le_bytes());
        }
        out.extend_from_slice(&0u16.to_le_bytes());
    }
    out
}

fn normal(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> [f64; 3] {
    let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
    let n = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    let l = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if l > 0.0 { n.map(|x| x / l) } else { [0.0; 3] }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>"#;

/// 3MF (core spec 1.3): one mesh object in millimetres, placed once in the
/// build. The zip entries carry the fixed DOS epoch, so bytes are stable.
pub fn to_3mf(mesh: &TriMesh, name: &str) -> Result<Vec<u8>, Error> {
    let mut model = String::with_capacity(64 * (mesh.vertices.len() + mesh.triangles.len()));
    model.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model unit=\"millimeter\" xml:lang=\"en-US\" \
         xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\"><resources>",
    );
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_ .".contains(*c))
        .collect();
    model.push_str(&format!(
        "<object id=\"1\" type=\"model\" name=\"{safe}\"><mesh><vertices>"
    ));
    for v in &mesh.vertices {
        model.push_str(&format!(
            "<vertex x=\"{}\" y=\"{}\" z=\"{}\"/>",
            v[0], v[1], v[2]
        ));
    }
    model.push_str("</vertices><triangles>");
    for t in &mesh.triangles {
        model.push_str(&format!(
            "<triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>",
            t[0], t[1], t[2]
        ));
    }
    model.push_str(
        "</triangles></mesh></object></resources><build><item objectid=\"1\"/></build></model>",
    );

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let io = |e: std::io::Error| Error::Export(e.to_string());
    for (path, body) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("3D/3dmodel.model", model.as_str()),
    ] {
        zip.start_file(path, opts)
            .map_err(|e| Error::Export(e.to_string()))?;
        zip.write_all(body.as_bytes()).map_err(io)?;
    }
    let cursor = zip.finish().map_err(|e| Error::Export(e.to_string()))?;
    Ok(cursor.into_inner())
}

/// GLB (glTF 2.0 binary container): one mesh, f32 positions (metres are
/// glTF's unit, so the node scales mm by 0.001) and u32 indices; the
/// POSITION accessor carries the min/max the spec requires.
pub fn to_glb(mesh: &TriMesh) -> Vec<u8> {
    let mut bin = Vec::with_capacity(12 * mesh.vertices.len() + 12 * mesh.triangles.len());
    for v in &mesh.vertices {
        for c in v {
            bin.extend_from_slice(&(*c as f32).to_le_bytes());
        }
    }
    let pos_len = bin.len();
    for t in &mesh.triangles {
        for i in t {
            bin.extend_from_slice(&i.to_le_bytes());
        }
    }
    let idx_len = bin.len() - pos_len;
    while bin.len() % 4 != 0 {
        bin.push(0);
    }
    let (lo, hi) = mesh.bounds();
    let f = |a: [f64; 3]| format!("[{},{},{}]", a[0] as f32, a[1] as f32, a[2] as f32);
    let json = format!(
        concat!(
            r#"{{"asset":{{"version":"2.0","generator":"farm-cad"}},"scene":0,"scenes":[{{"nodes":[0]}}],"#,
            r#""nodes":[{{"mesh":0,"scale":[0.001,0.001,0.001]}}],"#,
            r#""meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"indices":1,"material":0}}]}}],"#,
            r#""materials":[{{"pbrMetallicRoughness":{{"baseColorFactor":[0.8,0.8,0.82,1],"metallicFactor":0,"roughnessFactor":0.7}}}}],"#,
            r#""buffers":[{{"byteLength":{}}}],"#,
            r#""bufferViews":[{{"buffer":0,"byteOffset":0,"byteLength":{},"target":34962}},{{"buffer":0,"byteOffset":{},"byteLength":{},"target":34963}}],"#,
            r#""accessors":[{{"bufferView":0,"componentType":5126,"count":{},"type":"VEC3","min":{},"max":{}}},{{"bufferView":1,"componentType":5125,"count":{},"type":"SCALAR"}}]}}"#
        ),
        bin.len(),
        pos_len,
        pos_len,
        idx_len,
        mesh.vertices.len(),
        f(lo),
        f(hi),
        3 * mesh.triangles.len()
    );
    let mut json = json.into_bytes();
    while json.len() % 4 != 0 {
        json.push(b' ');
    }
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// The export formats of `POST /v1/exports` (issue 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    Step,
    Stl,
    ThreeMf,
    Glb,
}

impl ExportFormat {
    /// Every format, in the API's order.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Step,
        ExportFormat::Stl,
        ExportFormat::ThreeMf,
        ExportFormat::Glb,
    ];

    /// The API's name: `step`, `stl`, `3mf`, `glb`.
    pub fn code(self) -> &'static str {
        match self {
            ExportFormat::Step => "step",
            ExportFormat::Stl => "stl",
            ExportFormat::ThreeMf => "3mf",
            ExportFormat::Glb => "glb",
        }
    }

    /// Parses [`ExportFormat::code`], ignoring ASCII case.
    pub fn parse(s: &str) -> Option<ExportFormat> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.code().eq_ignore_ascii_case(s.trim()))
    }

    /// The file extension (with the dot).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Step => ".step",
            ExportFormat::Stl => ".stl",
            ExportFormat::ThreeMf => ".3mf",
            ExportFormat::Glb => ".glb",
        }
    }

    /// The IANA media type (`model/step`, `model/stl`, `model/3mf` are
    /// registered; `model/gltf-binary` is glTF's).
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Step => "model/step",
            ExportFormat::Stl => "model/stl",
            ExportFormat::ThreeMf => "model/3mf",
            ExportFormat::Glb => "model/gltf-binary",
        }
    }
}

impl Model {
    /// The model's file in `format`; `name` goes into the file's header or
    /// object name where the format has one.
    pub fn export(&self, format: ExportFormat, name: &str) -> Result<Vec<u8>, Error> {
        Ok(match format {
            ExportFormat::Step => self.step(name).into_bytes(),
            ExportFormat::Stl => to_stl(&self.mesh, name),
            ExportFormat::ThreeMf => to_3mf(&self.mesh, name)?,
            ExportFormat::Glb => to_glb(&self.mesh),
        })
    }
}
