//! `POST /v1/jobs` (seed 000): multipart `file` + `options` JSON → analysis,
//! quote and an order placed and paid in one call, under exactly the
//! autonomous rules (`order_kit::autonomous`: autopay on, a saved payment
//! method, within both caps, a trusted unit); test keys order on the
//! simulated farm with their test payment method. A job is an order
//! (`orders`, source `job`) seen through seed 000's shape
//! (`OrderRow::render_job`): `GET /v1/jobs/{id}` shows it, `GET /v1/jobs`
//! lists the caller's jobs, newest first, in Stripe's list shape (`limit`,
//! `starting_after`). A part that cannot print, or that a person should look
//! at first, is rejected with the findings before anything is stored or
//! queued; a refused autonomous condition stores nothing either.

use farm_platform::farm_domain::ids::IdKind;
use farm_platform::farm_domain::scope::Scope;
use farm_platform::{ApiError, Caller, Ctx, Fingerprint, handle, new_id, response};
use farm_signing::multipart;
use kit::rows::{FILE_COLUMNS, FileRow};
use order_kit::row::{ORDER_COLUMNS, OrderRow};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::{Method, Request, Response};

farm_platform::export_http!(crate::serve);

fn serve(req: Request) -> Response {
    handle(req, |ctx| {
        ctx.dispatch(&[
            ("/v1/jobs", Method::Get, list_jobs),
            ("/v1/jobs", Method::Post, create_job),
            ("/v1/jobs/:id", Method::Get, get_job),
        ])
    })
}

/// The multipart `options` part: a JSON object under the same strict rules
/// as every JSON body (`farm_platform::body`), its field paths prefixed
/// `options.`. `material` (seed 000's name) and `material_id` are one field
/// under two names: give one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    material: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    material_id: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    color: Option<String>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null_integer")]
    quantity: Option<i64>,
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    ship_country: Option<String>,
    /// Where the parts go (seed 001's address fields): required for a live
    /// key, optional for a test key (the simulated carrier needs none).
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    shipping_address_json: Option<order_kit::address::AddressBody>,
}

/// Largest one-shot request body, bytes: hosted Spin (Fermyon Cloud) accepts
/// request bodies up to 10 MiB. Larger files go through the presigned upload,
/// whose bytes never pass through a component.
pub const MAX_JOB_BODY_BYTES: u64 = 10 * 1024 * 1024;

/// 413 `payload_too_large` for a one-shot body over [`MAX_JOB_BODY_BYTES`],
/// pointing to the presigned upload.
fn body_too_large(size: u64) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!(
            "The request body is {size} bytes; a one-shot job accepts at most \
             {MAX_JOB_BODY_BYTES} bytes (10 MiB, the hosted request limit). Upload larger files \
             (up to {} bytes) with POST /v1/files/presign, PUT the bytes to the upload_url, \
             POST /v1/files/confirm, then POST /v1/quotes.",
            kit::formats::MAX_UPLOAD_BYTES
        ),
    )
    .with_detail("limit_bytes", MAX_JOB_BODY_BYTES)
    .with_detail("next_action", "presign_upload")
    .with_detail("presign_url", "/v1/files/presign")
}

fn create_job(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersWrite)?;
    // Refuse at once an account that cannot order autonomously at all.
    order_kit::autonomous::precheck(ctx.db()?, &caller.account_id, caller.livemode())?;
    let upload = read_upload(ctx)?;
    // The key binds to what the request means: the file's bytes (by hash),
    // its name and type, and the parsed options. An honest retry carries a
    // new multipart boundary and may reorder the options' keys.
    let fingerprint = Fingerprint::of(&json!({
        "file": {
            "filename": upload.filename,
            "content_type": upload.content_type,
            "sha256": farm_signing::sha256_hex(&upload.bytes),
        },
        "options": upload.options_value,
    }));
    ctx.idempotent(&caller.clone(), false, &fingerprint, |ctx| {
        place(ctx, &caller, upload)
    })
}

/// The multipart request, read and checked before anything is claimed.
struct Upload {
    filename: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
    options: Options,
    options_value: serde_json::Value,
}

fn read_upload(ctx: &Ctx) -> Result<Upload, ApiError> {
    let content_type = ctx.header("content-type").unwrap_or_default().to_owned();
    let boundary = multipart::boundary(&content_type).map_err(|_| {
        ApiError::new(
            415,
            "unsupported_media_type",
            "Send multipart/form-data with a `file` part and an `options` part.",
        )
    })?;
    let declared = ctx
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = ctx.request().body();
    let size = declared.unwrap_or(0).max(body.len() as u64);
    if size > MAX_JOB_BODY_BYTES {
        return Err(body_too_large(size));
    }
    let parts = multipart::parse(body, &boundary, &multipart::Limits::default())
        .map_err(|e| ApiError::new(400, "invalid_multipart", e.to_string()))?;
    let file_part = parts.iter().find(|p| p.name == "file").ok_or_else(|| {
        ApiError::invalid_field("file", "is required: a multipart part with the mesh")
    })?;
    let Some(options_part) = parts.iter().find(|p| p.name == "options") else {
        return Err(ApiError::invalid_field(
            "options",
            "is required: {\"material\", \"color\", \"quantity\"}",
        ));
    };
    // The one rule for bodies (unknown fields, types, nulls named), then the
    // same bytes as a value for the Idempotency-Key fingerprint.
    let options: Options = farm_platform::body::from_json(options_part.data, Some("options"))?;
    let options_value: serde_json::Value = serde_json::from_slice(options_part.data)
        .map_err(|e| ApiError::invalid_field("options", &format!("must be a JSON object: {e}")))?;
    if options.material.is_some() && options.material_id.is_some() {
        return Err(ApiError::invalid_field(
            "options.material_id",
            "give either material or material_id, not both",
        ));
    }
    Ok(Upload {
        filename: file_part.filename.clone(),
        content_type: file_part.content_type.clone(),
        bytes: file_part.data.to_vec(),
        options,
        options_value,
    })
}

fn place(ctx: &mut Ctx, caller: &Caller, upload: Upload) -> Result<Response, ApiError> {
    let Upload {
        filename: part_filename,
        content_type: part_content_type,
        bytes,
        options,
        ..
    } = upload;
    let filename = kit::formats::check_filename(part_filename.as_deref().unwrap_or("upload.stl"))?;
    let format = kit::formats::format_of(&filename)?;
    let content_type = match &part_content_type {
        Some(ct) if kit::formats::check_content_type(format, ct).is_ok() => {
            kit::formats::check_content_type(format, ct)?
        }
        _ => "application/octet-stream".to_owned(),
    };
    let size = kit::formats::check_size(bytes.len() as i64)?;
    let params = kit::quote::parse_params(
        options
            .material_id
            .as_deref()
            .or(options.material.as_deref()),
        options.color.as_deref(),
        options.quantity,
        options.ship_country.as_deref(),
        Some("agent_autonomous"),
    )?;
    // A live job ships real parcels: no address, no job (400
    // `missing_shipping_fields` naming each field, before anything is stored).
    let shipping = match (&options.shipping_address_json, caller.livemode()) {
        (None, false) => None,
        (address, _) => Some(order_kit::address::checked(
            address.as_ref(),
            "options.shipping_address_json",
        )?),
    };

    // Analyse before storing anything: a doomed part never reaches the queue.
    let analysis = kit::analysis::analyze(&bytes, None).map_err(|e| {
        ApiError::new(
            422,
            "unreadable_mesh",
            format!(
                "The file could not be read as {}: {e}",
                format.to_ascii_uppercase()
            ),
        )
        .with_detail("reason", e.code())
    })?;
    let sha = farm_signing::sha256_hex(&bytes);
    let file_id = new_id(IdKind::File)?;
    let key = kit::store::object_key(&caller.account_id, &file_id, format);
    let now = ctx.now();
    let mut file = FileRow {
        id: file_id.clone(),
        status: "ready".into(),
        filename,
        content_type: content_type.clone(),
        format: format.into(),
        size_bytes: size as i64,
        object_key: key.clone(),
        content_sha256: Some(sha.clone()),
        selected_unit: None,
        unit_confirmed_by: None,
        metrics: Some(analysis.metrics.clone()),
        report: Some(analysis.report.clone()),
        failure_reason: None,
        upload_expires_at: now,
        created_at: now,
        updated_at: now,
    };
    let facts = kit::quote::facts_for(&file, params.material)?;
    let load = kit::quote::farm_load(ctx, params.material, params.color)?;
    let assessment = kit::quote::assess_with(ctx, true, &file, &facts, &params, &load)?;
    if assessment.requires_user_confirmation {
        return Err(ApiError::new(
            422,
            "part_needs_review",
            "This part has risks a person should accept before it is printed; quote it and check out instead.",
        )
        .with_detail("risk_flags", assessment.risk_flags.iter().map(|f| f.id()).collect::<Vec<_>>())
        .with_detail("execution_confidence", assessment.execution_confidence)
        .with_detail("findings", analysis.report["findings"].clone()));
    }

    let base = ctx.var("public_base_url")?.trim_end_matches('/').to_owned();
    kit::store::put(ctx, &key, &content_type, bytes)?;
    let db = ctx.db()?;
    db.execute("begin", &[])?;
    let stored = (|| -> Result<_, ApiError> {
        ctx.db()?.execute(
            "insert into files (id, account_id, status, filename, content_type, format, size_bytes, object_key, \
                   content_sha256, metrics, report, upload_expires_at, confirmed_at, analyzed_at, livemode) \
             values ($1, $2, 'ready', $3, $4, $5, $6, $7, $8, ($9::text)::jsonb, ($10::text)::jsonb, now(), now(), now(), $11)",
            &[
                file.id.clone().into(),
                caller.account_id.clone().into(),
                file.filename.clone().into(),
                content_type.clone().into(),
                format.to_owned().into(),
                (size as i64).into(),
                key.clone().into(),
                sha.clone().into(),
                analysis.metrics.to_string().into(),
                analysis.report.to_string().into(),
                caller.livemode().into(),
            ],
        )?;
        let sql = format!("select {FILE_COLUMNS} from files where id = $1");
        let rows = ctx.db()?.query(&sql, &[file.id.clone().into()])?;
        file = FileRow::from_row(
            rows.rows
                .first()
                .ok_or_else(|| ApiError::internal("file row vanished"))?,
        )?;
        let (quote_id, _) = kit::quote::store(ctx, caller, &file, &params, &assessment, &facts)?;
        let job_id = new_id(IdKind::Job)?;
        order_kit::autonomous::place(
            ctx.db()?,
            caller,
            &quote_id,
            "job",
            Some(&job_id),
            shipping.as_ref(),
            &base,
        )
    })();
    let (order, billing) = match stored {
        Ok(placed) => {
            ctx.db()?.execute("commit", &[])?;
            placed
        }
        Err(e) => {
            let _ = ctx.db().map(|db| db.execute("rollback", &[]));
            return Err(e);
        }
    };
    let order = order_kit::autonomous::settle(ctx, order, &billing, &base)?;
    Ok(response::created(&order.render_job(&base)))
}

fn list_jobs(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersRead)?;
    let page = kit::list::Page::from_query(ctx, IdKind::Job, &[])?;
    let sql = format!(
        "select {ORDER_COLUMNS} from orders t where t.account_id = $1 and t.livemode = $2 and t.source = 'job' \
           and ($3::text is null or (t.created_at, t.id) < \
                (select c.created_at, c.id from orders c where c.job_id = $3 and c.account_id = $1 and c.livemode = $2)) \
         order by t.created_at desc, t.id desc limit $4"
    );
    let cursor = page
        .starting_after
        .clone()
        .map_or(spin_sdk::pg4::ParameterValue::DbNull, Into::into);
    let rows = ctx.db()?.query(
        &sql,
        &[
            caller.account_id.clone().into(),
            caller.livemode().into(),
            cursor.clone(),
            i64::from(page.limit + 1).into(),
        ],
    )?;
    if rows.rows.is_empty() && page.starting_after.is_some() {
        let found = ctx.db()?.query(
            "select 1 from orders where job_id = $1 and account_id = $2 and livemode = $3",
            &[
                cursor,
                caller.account_id.clone().into(),
                caller.livemode().into(),
            ],
        )?;
        if found.rows.is_empty() {
            return Err(kit::list::unknown_cursor());
        }
    }
    let base = ctx.var("public_base_url")?.trim_end_matches('/').to_owned();
    let items = rows
        .rows
        .iter()
        .map(|r| OrderRow::from_row(r).map(|o| o.render_job(&base)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(response::ok(&page.render(items)))
}

fn get_job(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::OrdersRead)?;
    let id = ctx.param("id")?;
    let not_found = || ApiError::not_found(farm_platform::farm_domain::Resource::Job);
    if !IdKind::Job.is_valid(&id) {
        return Err(not_found());
    }
    let sql = format!(
        "select {ORDER_COLUMNS} from orders where job_id = $1 and account_id = $2 and livemode = $3"
    );
    let rows = ctx.db()?.query(
        &sql,
        &[
            id.into(),
            caller.account_id.clone().into(),
            caller.livemode().into(),
        ],
    )?;
    let order = OrderRow::from_row(rows.rows.first().ok_or_else(not_found)?)?;
    let base = ctx.var("public_base_url")?.trim_end_matches('/').to_owned();
    Ok(response::ok(&order.render_job(&base)))
}
