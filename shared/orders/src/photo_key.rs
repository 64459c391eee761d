//! Where an inspection photo lives in the object store:
//! `inspections/<task>/<attempt>/<sha256>-<name>`. A new content is a new
//! write-once key and the same content the same key, so a repeated upload
//! is harmless; the key alone says whose photo it is and from which view,
//! which is how tracking labels the photos an order shipped with.

/// The object key of `name` (e.g. `iso.png`), a photo of print task
/// `task_id`'s attempt `attempt` (1-based) with content hash `sha256_hex`.
pub fn format(task_id: i64, attempt: i32, sha256_hex: &str, name: &str) -> String {
    format!("inspections/{task_id}/{attempt}/{sha256_hex}-{name}")
}

/// What [`parse`] reads back from a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoKey {
    pub task_id: i64,
    pub attempt: i32,
    /// The photo's name without `.png`: the view (`iso`, `front`, `side`,
    /// `top`), `camera` for a printer's own still, or what else the gateway
    /// named it.
    pub view: String,
}

/// Reads a key made by [`format`]; `None` for any other string.
pub fn parse(key: &str) -> Option<PhotoKey> {
    let mut parts = key.split('/');
    let (Some("inspections"), Some(task), Some(attempt), Some(file), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let (sha, name) = file.split_once('-')?;
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let view = name.strip_suffix(".png").unwrap_or(name);
    if view.is_empty() {
        return None;
    }
    Some(PhotoKey {
        task_id: task.parse().ok()?,
        attempt: attempt.parse().ok()?,
        view: view.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_to_its_task_attempt_and_view() {
        let sha = "ab".repeat(32);
        let key = format(42, 2, &sha, "iso.png");
        assert_eq!(key, format!("inspections/42/2/{sha}-iso.png"));
        assert_eq!(
            parse(&key),
            Some(PhotoKey {
                task_id: 42,
                attempt: 2,
                view: "iso".into()
            })
        );
        // Names may hold '-' and '_' (`[a-z0-9_-]{1,32}.png`).
        let key = format(7, 1, &sha, "front-left_2.png");
        assert_eq!(parse(&key).map(|k| k.view), Some("front-left_2".into()));
    }

    #[test]
    fn other_strings_are_not_photo_keys() {
        let sha = "0".repeat(64);
        for key in [
            String::new(),
            "uploads/1/2/x".into(),
            format!("inspections/x/1/{sha}-iso.png"),
            format!("inspections/1/x/{sha}-iso.png"),
            format!("inspections/1/1/{sha}iso.png"),
            format!("inspections/1/1/{}-iso.png", "0".repeat(63)),
            format!("inspections/1/1/{sha}-.png"),
            format!("inspections/1/1/{sha}-iso.png/more"),
        ] {
            assert_eq!(parse(&key), None, "{key}");
        }
    }
}
