//! The 3MF model part (core specification): resources with mesh and component
//! objects, build items, transforms and the unit. Elements are matched by local
//! name and parent, so extension namespaces (materials, production, slices)
//! neither confuse nor stop the parser.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::xml::{BEAM_LATTICE_NS, each_attr, required_extensions};
use crate::error::{Error, Result};
use crate::units::Unit;
use crate::weld::check_point;

/// A 3MF affine transform in the specification's order
/// `m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32` (row vectors: `p' = p·M`).
pub(super) type Transform = [f64; 12];

pub(super) const IDENTITY: Transform = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];

pub(super) fn apply(m: &Transform, p: [f64; 3]) -> [f64; 3] {
    [
        p[0] * m[0] + p[1] * m[3] + p[2] * m[6] + m[9],
        p[0] * m[1] + p[1] * m[4] + p[2] * m[7] + m[10],
        p[0] * m[2] + p[1] * m[5] + p[2] * m[8] + m[11],
    ]
}

/// `first` then `second`: the transform of a component (`first`) placed by its
/// parent (`second`).
pub(super) fn then(first: &Transform, second: &Transform) -> Transform {
    let mut out = [0.0; 12];
    for row in 0..4 {
        let p = [first[row * 3], first[row * 3 + 1], first[row * 3 + 2]];
        let q = if row < 3 {
            // A direction: rotate and scale, no translation.
            [
                p[0] * second[0] + p[1] * second[3] + p[2] * second[6],
                p[0] * second[1] + p[1] * second[4] + p[2] * second[7],
                p[0] * second[2] + p[1] * second[5] + p[2] * second[8],
            ]
        } else {
            apply(second, p)
        };
        out[row * 3..row * 3 + 3].copy_from_slice(&q);
    }
    out
}

pub(super) fn determinant(m: &Transform) -> f64 {
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
        + m[2] * (m[3] * m[7] - m[4] * m[6])
}

#[derive(Debug, Default)]
pub(super) struct ObjectMesh {
    pub vertices: Vec<[f64; 3]>,
    pub triangles: Vec<[u32; 3]>,
}

/// A reference to an object, from a component or a build item.
#[derive(Debug, Clone)]
pub(super) struct Reference {
    pub object: u32,
    /// Production extension `p:path`: the model part holding the object.
    pub path: Option<String>,
    pub transform: Transform,
    /// Byte offset of the referencing element, for errors.
    pub offset: u64,
}

/// What an object is for (3MF core §4.1, the `type` attribute).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum ObjectKind {
    /// `model` (the default) or `surface`: printed, weighed.
    #[default]
    Model,
    /// `support` or `solidsupport`: printed as support, never filled as part.
    Support,
    /// `other`: not printed (a fixture, a reference shape).
    Other,
}

#[derive(Debug, Default)]
pub(super) struct Object {
    pub kind: ObjectKind,
    /// The `name` attribute, for warnings.
    pub name: Option<String>,
    pub mesh: Option<ObjectMesh>,
    pub components: Vec<Reference>,
}

#[derive(Debug, Default)]
pub(super) struct Model {
    pub unit: Option<Unit>,
    /// Namespace of every extension in `requiredextensions`.
    pub required: Vec<String>,
    pub objects: HashMap<u32, Object>,
    pub build: Vec<Reference>,
}

pub(super) struct Ctx<'a> {
    part: &'a str,
    offset: u64,
}

impl Ctx<'_> {
    pub(super) fn err(&self, message: impl Into<String>) -> Error {
        Error::Model {
            part: self.part.to_owned(),
            offset: self.offset,
            message: message.into(),
        }
    }
}

fn number(ctx: &Ctx<'_>, name: &str, value: &[u8]) -> Result<f64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .ok_or_else(|| ctx.err(format!("attribute `{name}` is not a number")))
}

fn index(ctx: &Ctx<'_>, name: &str, value: &[u8]) -> Result<u32> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .ok_or_else(|| ctx.err(format!("attribute `{name}` is not a non-negative integer")))
}

fn transform(ctx: &Ctx<'_>, value: &[u8]) -> Result<Transform> {
    let text = std::str::from_utf8(value).map_err(|_| ctx.err("transform is not UTF-8"))?;
    let mut m = [0.0; 12];
    let mut n = 0;
    for word in text.split_ascii_whitespace() {
        if n == 12 {
            return Err(ctx.err("transform has more than 12 numbers"));
        }
        m[n] = word
            .parse::<f64>()
            .map_err(|_| ctx.err(format!("transform value `{word}` is not a number")))?;
        if !m[n].is_finite() {
            return Err(ctx.err("transform value is not finite"));
        }
        n += 1;
    }
    if n != 12 {
        return Err(ctx.err(format!("transform needs 12 numbers, found {n}")));
    }
    Ok(m)
}

fn reference(ctx: &Ctx<'_>, e: &BytesStart<'_>) -> Result<Reference> {
    let mut object = None;
    let mut path = None;
    let mut tf = IDENTITY;
    each_attr(ctx, e, |name, _, value| {
        match name {
            b"objectid" => object = Some(index(ctx, "objectid", value)?),
            b"transform" => tf = transform(ctx, value)?,
            b"path" => {
                let p = std::str::from_utf8(value).map_err(|_| ctx.err("path is not UTF-8"))?;
                path = Some(p.trim_start_matches('/').to_owned());
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(Reference {
        object: object.ok_or_else(|| ctx.err("missing `objectid`"))?,
        path,
        transform: tf,
        offset: ctx.offset,
    })
}

/// Parses one model part. `max_triangles` bounds the triangles declared in
/// this part; `max_depth` bounds element nesting.
pub(super) fn parse_model(
    bytes: &[u8],
    part: &str,
    max_triangles: u64,
    max_depth: u32,
) -> Result<Model> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Model {
        part: part.to_owned(),
        offset: e.valid_up_to() as u64,
        message: "model is not UTF-8".into(),
    })?;
    let mut reader = Reader::from_str(text);
    let mut model = Model::default();
    // Local names of the open elements; bounded by max_depth.
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<(u32, Object)> = None;
    let mut triangles_seen = 0u64;
    let mut beams = 0u64;
    loop {
        let event = reader.read_event().map_err(|e| Error::Model {
            part: part.to_owned(),
            offset: reader.error_position(),
            message: e.to_string(),
        })?;
        let ctx = Ctx {
            part,
            offset: reader.buffer_position(),
        };
        let (e, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                let closed = stack.pop().unwrap_or_default();
                if closed == b"object"
                    && stack.last().is_some_and(|p| p == b"resources")
                    && let Some((id, object)) = current.take()
                {
                    model.objects.insert(id, object);
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = e.local_name().as_ref().to_vec();
        let parent: &[u8] = stack.last().map(Vec::as_slice).unwrap_or(b"");
        let in_mesh = stack.len() >= 2 && stack[stack.len() - 2] == b"mesh";
        match (parent, name.as_slice()) {
            (b"", b"model") => {
                let mut declared: Vec<(Vec<u8>, String)> = Vec::new();
                let mut required: Option<Vec<u8>> = None;
                each_attr(&ctx, e, |name, key, value| {
                    if let Some(prefix) = key.strip_prefix(b"xmlns:") {
                        declared.push((prefix.to_vec(), String::from_utf8_lossy(value).into()));
                    } else if key == b"requiredextensions" {
                        required = Some(value.to_vec());
                    } else if name == b"unit" && key == b"unit" {
                        let u = String::from_utf8_lossy(value).into_owned();
                        model.unit = Some(
                            Unit::parse(&u)
                                .ok_or_else(|| ctx.err(format!("unknown unit `{u}`")))?,
                        );
                    }
                    Ok(())
                })?;
                if let Some(value) = required {
                    model.required = required_extensions(part, &declared, &value)?;
                }
            }
            (b"resources", b"object") => {
                let mut id = None;
                let mut kind = ObjectKind::Model;
                let mut object_name = None;
                each_attr(&ctx, e, |name, _, value| {
                    match name {
                        b"id" => id = Some(index(&ctx, "id", value)?),
                        b"name" => object_name = Some(String::from_utf8_lossy(value).into_owned()),
                        b"type" => {
                            kind = match value {
                                b"model" | b"surface" => ObjectKind::Model,
                                b"support" | b"solidsupport" => ObjectKind::Support,
                                b"other" => ObjectKind::Other,
                                v => {
                                    return Err(ctx.err(format!(
                                        "unknown object type `{}` (3MF core §4.1: model, \
                                         solidsupport, support, surface, other)",
                                        String::from_utf8_lossy(v)
                                    )));
                                }
                            }
                        }
                        _ => {}
                    }
                    Ok(())
                })?;
                let id = id.ok_or_else(|| ctx.err("object without `id`"))?;
                if model.objects.contains_key(&id) {
                    return Err(ctx.err(format!("duplicate object id {id}")));
                }
                let object = Object {
                    kind,
                    name: object_name,
                    ..Object::default()
                };
                if empty {
                    model.objects.insert(id, object);
                } else {
                    current = Some((id, object));
                }
            }
            (b"object", b"mesh") => {
                if let Some((_, o)) = current.as_mut() {
                    o.mesh = Some(ObjectMesh::default());
                }
            }
            (b"vertices", b"vertex") if in_mesh => {
                let Some(mesh) = current.as_mut().and_then(|(_, o)| o.mesh.as_mut()) else {
                    return Err(ctx.err("vertex outside a mesh"));
                };
                let mut p = [f64::NAN; 3];
                each_attr(&ctx, e, |name, _, value| {
                    match name {
                        b"x" => p[0] = number(&ctx, "x", value)?,
                        b"y" => p[1] = number(&ctx, "y", value)?,
                        b"z" => p[2] = number(&ctx, "z", value)?,
                        _ => {}
                    }
                    Ok(())
                })?;
                if let Err(value) = check_point(p) {
                    return Err(ctx.err(format!(
                        "vertex coordinate {value} is missing, not finite or out of range"
                    )));
                }
                if mesh.vertices.len() >= u32::MAX as usize - 1 {
                    return Err(ctx.err("too many vertices"));
                }
                mesh.vertices.push(p);
            }
            (b"triangles", b"triangle") if in_mesh => {
                let Some(mesh) = current.as_mut().and_then(|(_, o)| o.mesh.as_mut()) else {
                    return Err(ctx.err("triangle outside a mesh"));
                };
                let mut v = [u32::MAX; 3];
                each_attr(&ctx, e, |name, _, value| {
                    match name {
                        b"v1" => v[0] = index(&ctx, "v1", value)?,
                        b"v2" => v[1] = index(&ctx, "v2", value)?,
                        b"v3" => v[2] = index(&ctx, "v3", value)?,
                        _ => {}
                    }
                    Ok(())
                })?;
                let count = mesh.vertices.len();
                if let Some(&bad) = v.iter().find(|&&i| i as usize >= count) {
                    return Err(Error::IndexOutOfRange {
                        format: crate::Format::ThreeMf,
                        index: if bad == u32::MAX { -1 } else { i64::from(bad) },
                        count: count as u64,
                        at: crate::error::Location::Part {
                            part: part.to_owned(),
                            offset: ctx.offset,
                        },
                    });
                }
                triangles_seen += 1;
                if triangles_seen > max_triangles {
                    return Err(Error::TooManyTriangles {
                        limit: max_triangles,
                        at: crate::error::Location::Part {
                            part: part.to_owned(),
                            offset: ctx.offset,
                        },
                    });
                }
                mesh.triangles.push(v);
            }
            (b"components", b"component") => {
                let r = reference(&ctx, e)?;
                if let Some((_, o)) = current.as_mut() {
                    o.components.push(r);
                }
            }
            (b"build", b"item") => model.build.push(reference(&ctx, e)?),
            (b"beams", b"beam") => {
                beams += 1;
                each_attr(&ctx, e, |_, _, _| Ok(()))?;
            }
            // Elements we do not read must still be well-formed.
            _ => each_attr(&ctx, e, |_, _, _| Ok(()))?,
        }
        if !empty {
            if stack.len() as u32 >= max_depth {
                return Err(Error::NestingTooDeep {
                    limit: max_depth,
                    at: crate::error::Location::Part {
                        part: part.to_owned(),
                        offset: ctx.offset,
                    },
                });
            }
            stack.push(name);
        }
    }
    if beams > 0 && model.required.iter().any(|ns| ns == BEAM_LATTICE_NS) {
        return Err(Error::UnsupportedRequiredExtension {
            part: part.to_owned(),
            extension: BEAM_LATTICE_NS.to_owned(),
            reason: format!(
                "the part requires the beam lattice extension and has {beams} beams; \
                 beams are not measured, so the weight would be wrong"
            ),
        });
    }
    Ok(model)
}

/// Finds the target of the package's 3D model relationship in `_rels/.rels`.
pub(super) fn root_model_target(rels: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(rels).ok()?;
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                let mut target = None;
                let mut is_model = false;
                for attr in e.attributes().with_checks(false).flatten() {
                    match attr.key.local_name().as_ref() {
                        b"Target" => {
                            target = Some(String::from_utf8_lossy(&attr.value).into_owned())
                        }
                        b"Type" => is_model = attr.value.ends_with(b"/3dmodel"),
                        _ => {}
                    }
                }
                if is_model && let Some(t) = target {
                    return Some(t.trim_start_matches('/').to_owned());
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}
