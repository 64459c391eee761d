//! `PUT /internal/farm/photos/{task_id}/{name}` (plate contract §3): an
//! inspection photo of a task's current attempt, stored in the object store
//! under the task (`farm_orders::photo_key`: a new content is a new
//! write-once key, the same content is the same key, so a repeated PUT is
//! harmless) and recorded in `task_photos`.

use farm_platform::{ApiError, Ctx, col, response};
use spin_sdk::http::Response;

use crate::authenticate_site;

/// Largest photo accepted (contract §3).
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;

/// The PNG signature (ISO/IEC 15948, §5.2).
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// `[a-z0-9_-]{1,32}.png`.
pub fn is_valid_photo_name(name: &str) -> bool {
    name.strip_suffix(".png").is_some_and(|stem| {
        (1..=32).contains(&stem.len())
            && stem
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    })
}

/// 201 `{"photo": name, "task_id", "attempt"}`; 400 for a bad name or a
/// body that is not a PNG; 413 over 2 MiB; 415 unless `image/png`; 404
/// `task_not_found` when the task is not on one of this site's printers.
pub(crate) fn put_photo(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let site = authenticate_site(ctx)?;
    let task_id: i64 = ctx
        .param("task_id")?
        .parse()
        .map_err(|_| ApiError::invalid_field("task_id", "a print task id (an integer)"))?;
    let name = ctx.param("name")?;
    if !is_valid_photo_name(&name) {
        return Err(ApiError::invalid_field(
            "name",
            "1 to 32 of a-z, 0-9, _ and -, then .png",
        ));
    }
    let content_type = ctx.header("content-type").map(str::to_owned);
    if !content_type.as_deref().is_some_and(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("image/png")
    }) {
        return Err(ApiError::new(
            415,
            "unsupported_media_type",
            "Send the photo with Content-Type: image/png.",
        )
        .with_detail("content_type", content_type.as_deref()));
    }
    let bytes = ctx.request().body().to_vec();
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(ApiError::payload_too_large(MAX_PHOTO_BYTES));
    }
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err(ApiError::invalid_field(
            "body",
            "a PNG image (it must start with the PNG signature)",
        ));
    }
    let rows = ctx.db()?.query(
        "select t.failures + 1 from print_tasks t join printers p on p.id = t.printer_id
         where t.id = $1 and p.site_id = $2",
        &[task_id.into(), site.id.into()],
    )?;
    let attempt: i32 = match rows.rows.first() {
        Some(row) => col(row, 0)?,
        None => {
            return Err(ApiError::new(
                404,
                "task_not_found",
                "No print task with this id is on one of this site's printers.",
            ));
        }
    };
    let sha = farm_signing::sha256_hex(&bytes);
    let key = order_kit::farm_orders::photo_key::format(task_id, attempt, &sha, &name);
    if upload_kit::store::head(ctx, &key)?.is_none() {
        upload_kit::store::put(ctx, &key, "image/png", bytes)?;
    }
    ctx.db()?.execute(
        "insert into task_photos (task_id, attempt, name, object_key, sha256) values ($1, $2, $3, $4, $5)
         on conflict (task_id, attempt, name) do update
           set object_key = excluded.object_key, sha256 = excluded.sha256, created_at = now()",
        &[
            task_id.into(),
            attempt.into(),
            name.clone().into(),
            key.into(),
            sha.into(),
        ],
    )?;
    Ok(response::created(&serde_json::json!({
        "photo": name,
        "task_id": task_id,
        "attempt": attempt,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_names_are_short_lowercase_pngs() {
        for good in ["front.png", "iso.png", "top_2.png", "a-b.png"] {
            assert!(is_valid_photo_name(good), "{good}");
        }
        for bad in [
            ".png",
            "Front.png",
            "front.jpg",
            "a/b.png",
            "../x.png",
            &format!("{}.png", "a".repeat(33)),
        ] {
            assert!(!is_valid_photo_name(bad), "{bad}");
        }
    }
}
