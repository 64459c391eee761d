//! Spin's HTTP route syntax: exact paths (`/a/b`), trailing wildcards
//! (`/a/...`, matching `/a` and everything below it) and `:name` parameter
//! segments. When several routes match, the most specific wins: an exact route
//! beats a parameterised one, which beats a wildcard; among wildcards the
//! longest prefix wins.

use anyhow::bail;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone)]
struct Route {
    raw: String,
    segments: Vec<Segment>,
    wildcard: bool,
    component: String,
}

/// The result of matching a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub component: String,
    /// The route as written in the manifest (`spin-raw-component-route`).
    pub raw_route: String,
    /// The route without its wildcard (`spin-component-route`).
    pub component_route: String,
    /// The part of the path the wildcard matched, or "" (`spin-path-info`).
    pub path_info: String,
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Default, Clone)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    pub fn add(&mut self, raw: &str, component: &str) -> anyhow::Result<()> {
        if !raw.starts_with('/') {
            bail!("route `{raw}` must start with `/`");
        }
        let (body, wildcard) = match raw.strip_suffix("/...") {
            Some(prefix) => (prefix, true),
            None if raw == "/..." => ("", true),
            None => (raw, false),
        };
        if body.contains("...") {
            bail!("route `{raw}`: `...` is allowed only as the last segment");
        }
        let segments = body
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix(':') {
                Some(name) if !name.is_empty() => Ok(Segment::Param(name.to_string())),
                Some(_) => bail!("route `{raw}` has an unnamed `:` parameter"),
                None => Ok(Segment::Literal(s.to_string())),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let route = Route {
            raw: raw.to_string(),
            segments,
            wildcard,
            component: component.to_string(),
        };
        if let Some(dup) = self.routes.iter().find(|r| same_shape(r, &route)) {
            bail!(
                "duplicate route: `{}` (component `{}`) and `{}` (component `{}`)",
                dup.raw,
                dup.component,
                route.raw,
                route.component
            );
        }
        self.routes.push(route);
        Ok(())
    }

    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.routes
            .iter()
            .map(|r| (r.raw.as_str(), r.component.as_str()))
    }

    pub fn find(&self, path: &str) -> Option<RouteMatch> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.routes
            .iter()
            .filter_map(|r| match_route(r, &parts).map(|m| (score(r), m)))
            .max_by_key(|(s, _)| *s)
            .map(|(_, m)| m)
    }
}

fn same_shape(a: &Route, b: &Route) -> bool {
    a.wildcard == b.wildcard
        && a.segments.len() == b.segments.len()
        && a.segments.iter().zip(&b.segments).all(|pair| match pair {
            (Segment::Literal(x), Segment::Literal(y)) => x == y,
            (Segment::Param(_), Segment::Param(_)) => true,
            _ => false,
        })
}

/// Specificity: exact routes first, then routes with fewer parameters, then
/// wildcards by prefix length.
fn score(r: &Route) -> (u8, usize, usize) {
    let params = r
        .segments
        .iter()
        .filter(|s| matches!(s, Segment::Param(_)))
        .count();
    let literals = r.segments.len() - params;
    let class = if r.wildcard {
        0
    } else if params > 0 {
        1
    } else {
        2
    };
    (class, literals, r.segments.len())
}

fn match_route(r: &Route, parts: &[&str]) -> Option<RouteMatch> {
    if parts.len() < r.segments.len() || (!r.wildcard && parts.len() != r.segments.len()) {
        return None;
    }
    let mut params = Vec::new();
    for (seg, part) in r.segments.iter().zip(parts) {
        match seg {
            Segment::Literal(l) if l == part => {}
            Segment::Literal(_) => return None,
            Segment::Param(name) => params.push((name.clone(), (*part).to_string())),
        }
    }
    let path_info = if r.wildcard {
        let rest = &parts[r.segments.len()..];
        if rest.is_empty() {
            String::new()
        } else {
            format!("/{}", rest.join("/"))
        }
    } else {
        String::new()
    };
    let component_route = r.raw.strip_suffix("/...").unwrap_or(&r.raw).to_string();
    Some(RouteMatch {
        component: r.component.clone(),
        raw_route: r.raw.clone(),
        component_route,
        path_info,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let mut r = Router::default();
        for (route, c) in routes {
            r.add(route, c).expect("valid route");
        }
        r
    }

    #[test]
    fn exact_beats_param_beats_wildcard() {
        let r = router(&[
            ("/...", "fallback"),
            ("/v1/files/:id", "files"),
            ("/v1/files/presign", "presign"),
        ]);
        assert_eq!(
            r.find("/v1/files/presign").expect("match").component,
            "presign"
        );
        let m = r.find("/v1/files/file_1").expect("match");
        assert_eq!(m.component, "files");
        assert_eq!(m.params, vec![("id".to_string(), "file_1".to_string())]);
        let m = r.find("/nowhere/else").expect("match");
        assert_eq!(
            (m.component.as_str(), m.path_info.as_str()),
            ("fallback", "/nowhere/else")
        );
    }

    #[test]
    fn wildcard_matches_its_own_prefix_and_longest_prefix_wins() {
        let r = router(&[("/a/...", "a"), ("/a/b/...", "ab")]);
        assert_eq!(r.find("/a").expect("match").path_info, "");
        assert_eq!(r.find("/a/x/y").expect("match").component, "a");
        let m = r.find("/a/b/c").expect("match");
        assert_eq!((m.component.as_str(), m.path_info.as_str()), ("ab", "/c"));
    }

    #[test]
    fn no_route_and_wrong_length_do_not_match() {
        let r = router(&[("/v1/keys", "k"), ("/v1/keys/:id", "k")]);
        assert!(r.find("/v1").is_none());
        assert!(r.find("/v1/keys/a/b").is_none());
    }

    #[test]
    fn duplicate_and_malformed_routes_are_rejected() {
        let mut r = router(&[("/v1/keys/:id", "k")]);
        assert!(r.add("/v1/keys/:other", "x").is_err());
        assert!(r.add("v1", "x").is_err());
        assert!(r.add("/a/.../b", "x").is_err());
    }
}
