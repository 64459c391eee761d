//! Expanding the 3MF build: every item and component placed with its
//! transform, counted first (instances, triangles, tree height; memoised per
//! object) and then emitted into welded geometry. Support objects are counted
//! apart, `other` objects excluded, empty meshes named.

use std::collections::HashMap;

use super::model::{self, Model, ObjectKind, Reference, Transform, apply, determinant, then};
use crate::error::{Error, Location, Result};
use crate::mesh::Format;
use crate::weld::{Welder, check_point};

/// The geometry emitted so far and the bounds on emitting more.
pub(super) struct Output {
    pub(super) welder: Welder,
    pub(super) triangles: Vec<[u32; 3]>,
    /// Object-vertex → welded index for the instance being emitted; entries
    /// touched are reset afterwards so the cost follows triangles, not vertices.
    pub(super) remap: Vec<u32>,
    pub(super) touched: Vec<u32>,
    pub(super) cap: u64,
    pub(super) visits: u64,
    pub(super) max_visits: u64,
    pub(super) max_depth: u32,
    /// Support objects (by name), their triangles and enclosed volume (file units³).
    pub(super) supports: Vec<String>,
    pub(super) support_triangles: u64,
    pub(super) support_volume: f64,
    /// `other` objects in the build, excluded.
    pub(super) others: Vec<String>,
    /// Objects with a mesh element and no triangles.
    pub(super) empty: Vec<String>,
    pub(super) root: String,
}

/// How an object's subtree is used: weighed as the part, reported as support.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Part,
    Support,
}

fn note(list: &mut Vec<String>, name: String) {
    if !list.contains(&name) {
        list.push(name);
    }
}

/// What one reference expands to: object instances, triangles, and the
/// height of its component tree.
#[derive(Clone, Copy)]
pub(super) struct Expansion {
    pub(super) instances: u64,
    pub(super) triangles: u64,
    height: u32,
}

/// Expands `reference` by counting only, memoised per object (a shared
/// subtree is counted once however often it is placed).
pub(super) fn expansion(
    models: &HashMap<String, Model>,
    part: &str,
    reference: &Reference,
    depth: u32,
    max_depth: u32,
    memo: &mut HashMap<(String, u32), Expansion>,
) -> Result<Expansion> {
    let too_deep = || Error::NestingTooDeep {
        limit: max_depth,
        at: Location::Part {
            part: part.to_owned(),
            offset: reference.offset,
        },
    };
    if depth > max_depth {
        return Err(too_deep());
    }
    let key = (part.to_owned(), reference.object);
    if let Some(&e) = memo.get(&key) {
        if depth + e.height > max_depth {
            return Err(too_deep());
        }
        return Ok(e);
    }
    let object = models
        .get(part)
        .and_then(|m| m.objects.get(&reference.object))
        .ok_or_else(|| Error::Model {
            part: part.to_owned(),
            offset: reference.offset,
            message: format!("reference to unknown object id {}", reference.object),
        })?;
    let mut e = Expansion {
        instances: 1,
        triangles: object.mesh.as_ref().map_or(0, |m| m.triangles.len() as u64),
        height: 0,
    };
    for component in &object.components {
        let child_part = component.path.as_deref().unwrap_or(part);
        let c = expansion(models, child_part, component, depth + 1, max_depth, memo)?;
        e.instances = e.instances.saturating_add(c.instances);
        e.triangles = e.triangles.saturating_add(c.triangles);
        e.height = e.height.max(c.height + 1);
    }
    memo.insert(key, e);
    Ok(e)
}

/// Emits the object `reference` points at, with `transform`, and its
/// components: as part geometry, or (under a support object) counted apart.
pub(super) fn emit(
    models: &HashMap<String, Model>,
    part: &str,
    reference: &Reference,
    transform: &Transform,
    depth: u32,
    role: Role,
    out: &mut Output,
) -> Result<()> {
    let at = || Location::Part {
        part: part.to_owned(),
        offset: reference.offset,
    };
    if depth > out.max_depth {
        return Err(Error::NestingTooDeep {
            limit: out.max_depth,
            at: at(),
        });
    }
    out.visits += 1;
    if out.visits > out.max_visits {
        return Err(Error::TooManyInstances {
            limit: out.max_visits,
            at: at(),
        });
    }
    let model = models.get(part).ok_or_else(|| Error::Model {
        part: part.to_owned(),
        offset: reference.offset,
        message: "model part not loaded".into(),
    })?;
    let object = model
        .objects
        .get(&reference.object)
        .ok_or_else(|| Error::Model {
            part: part.to_owned(),
            offset: reference.offset,
            message: format!("reference to unknown object id {}", reference.object),
        })?;
    let in_root = part == out.root;
    let name = || {
        let mut n = format!("object {}", reference.object);
        if let Some(label) = &object.name {
            n.push_str(&format!(" ({label:?})"));
        }
        if !in_root {
            n.push_str(&format!(" in {part}"));
        }
        n
    };
    let role = match (role, object.kind) {
        (_, ObjectKind::Other) => {
            // Not printed (3MF core §4.1): never weighed, whatever it contains.
            let n = name();
            note(&mut out.others, n);
            return Ok(());
        }
        (Role::Part, ObjectKind::Support) => {
            let n = name();
            note(&mut out.supports, n);
            Role::Support
        }
        (r, _) => r,
    };
    if let Some(mesh) = &object.mesh {
        if mesh.triangles.is_empty() && object.components.is_empty() {
            let n = name();
            note(&mut out.empty, n);
        }
        if role == Role::Support {
            support(mesh, transform, out, &at)?;
        } else {
            instance(mesh, transform, out, &at)?;
        }
    }
    for component in &object.components {
        let child_part = component.path.as_deref().unwrap_or(part);
        let composed = then(&component.transform, transform);
        emit(
            models,
            child_part,
            component,
            &composed,
            depth + 1,
            role,
            out,
        )?;
    }
    Ok(())
}

/// Adds one instance of `mesh` to the part's geometry.
fn instance(
    mesh: &model::ObjectMesh,
    transform: &Transform,
    out: &mut Output,
    at: &dyn Fn() -> Location,
) -> Result<()> {
    let flip = determinant(transform) < 0.0;
    if out.remap.len() < mesh.vertices.len() {
        out.remap.resize(mesh.vertices.len(), u32::MAX);
    }
    for tri in &mesh.triangles {
        if out.triangles.len() as u64 + out.support_triangles >= out.cap {
            return Err(Error::TooManyTriangles {
                limit: out.cap,
                at: at(),
            });
        }
        let mut t = [0u32; 3];
        for (slot, &v) in t.iter_mut().zip(tri) {
            let r = &mut out.remap[v as usize];
            if *r == u32::MAX {
                let p = apply(transform, mesh.vertices[v as usize]);
                check_point(p).map_err(|value| Error::BadCoordinate {
                    format: Format::ThreeMf,
                    value,
                    at: at(),
                })?;
                *r = out.welder.insert(p);
                out.touched.push(v);
            }
            *slot = *r;
        }
        if flip {
            t.swap(1, 2);
        }
        out.triangles.push(t);
    }
    for v in out.touched.drain(..) {
        out.remap[v as usize] = u32::MAX;
    }
    Ok(())
}

/// Counts one instance of a support mesh: its triangles and its enclosed
/// volume as placed (the divergence-theorem sum; a mirroring transform's
/// sign is undone so instances add up).
fn support(
    mesh: &model::ObjectMesh,
    transform: &Transform,
    out: &mut Output,
    at: &dyn Fn() -> Location,
) -> Result<()> {
    let count = mesh.triangles.len() as u64;
    if out.triangles.len() as u64 + out.support_triangles + count > out.cap {
        return Err(Error::TooManyTriangles {
            limit: out.cap,
            at: at(),
        });
    }
    let sign = if determinant(transform) < 0.0 {
        -1.0
    } else {
        1.0
    };
    let mut six_v = 0.0;
    for tri in &mesh.triangles {
        let [a, b, c] = tri.map(|v| apply(transform, mesh.vertices[v as usize]));
        six_v += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
            + a[2] * (b[0] * c[1] - b[1] * c[0]);
    }
    out.support_triangles += count;
    out.support_volume += sign * six_v / 6.0;
    Ok(())
}
