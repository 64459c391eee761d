//! `GET /v1/events`, `GET /v1/events/{id}`, `POST /v1/events/{id}/redeliver`.

use farm_domain::Resource;
use farm_domain::api_key::KeyMode;
use farm_domain::ids::IdKind;
use farm_domain::scope::Scope;
use farm_platform::events::{DELIVER_WEBHOOK, DELIVERY_JOB_MAX_ATTEMPTS};
use farm_platform::list::{Page, unknown_cursor};
use farm_platform::{ApiError, Ctx, Fingerprint, col, response};
use serde::Deserialize;
use serde_json::{Value, json};
use spin_sdk::http::Response;
use spin_sdk::pg4::ParameterValue;

use crate::rows::{EVENT_COLUMNS, event_json};

/// `limit` and `starting_after` as every list reads them (`farm_platform::list`).
pub fn page(ctx: &Ctx, kind: IdKind, filters: &[&str]) -> Result<Page, ApiError> {
    Page::from_query(ctx, kind, filters)
}

/// The caller's events in its mode, newest first; `type` and `object` (an
/// object id, e.g. `file_...` or `ord_...`) filter them.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::EventsRead)?;
    let page = page(ctx, IdKind::Event, &["type", "object"])?;
    let kind = ctx.query("type");
    if let Some(k) = &kind
        && !farm_webhooks::events::EVENT_TYPES.contains(&k.as_str())
    {
        return Err(ApiError::invalid_field(
            "type",
            &format!(
                "must be one of {}",
                farm_webhooks::events::EVENT_TYPES.join(", ")
            ),
        ));
    }
    let object = ctx.query("object");
    let well_formed = |o: &str| {
        (1..=64).contains(&o.len())
            && o.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_:-".contains(&b))
    };
    if object.as_deref().is_some_and(|o| !well_formed(o)) {
        return Err(ApiError::invalid_field(
            "object",
            "must be an object id (1 to 64 of A-Z, a-z, 0-9, _, : and -)",
        ));
    }
    let opt = |v: &Option<String>| v.clone().map_or(ParameterValue::DbNull, Into::into);
    let live = caller.mode == KeyMode::Live;
    let rows = ctx.db()?.query(
        &format!(
            "select {EVENT_COLUMNS} from events t \
             where t.account_id = $1 and t.livemode = $2 \
               and ($3::text is null or t.type = $3) and ($4::text is null or t.object_id = $4) \
               and ($5::text is null or t.seq < (select c.seq from events c where c.id = $5 and c.account_id = $1)) \
             order by t.seq desc limit $6"
        ),
        &[
            caller.account_id.clone().into(),
            live.into(),
            opt(&kind),
            opt(&object),
            opt(&page.starting_after),
            i64::from(page.limit + 1).into(),
        ],
    )?;
    if rows.rows.is_empty() && page.starting_after.is_some() {
        let found = ctx.db()?.query(
            "select 1 from events where id = $1 and account_id = $2",
            &[opt(&page.starting_after), caller.account_id.clone().into()],
        )?;
        if found.rows.is_empty() {
            return Err(unknown_cursor());
        }
    }
    let items = rows
        .rows
        .iter()
        .map(|r| event_json(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(response::ok(&page.render(items)))
}

fn load_event(ctx: &mut Ctx, id: &str, account_id: &str, live: bool) -> Result<Value, ApiError> {
    if !IdKind::Event.is_valid(id) {
        return Err(ApiError::not_found(Resource::Event));
    }
    let rows = ctx.db()?.query(
        &format!(
            "select {EVENT_COLUMNS} from events t where t.id = $1 and t.account_id = $2 and t.livemode = $3"
        ),
        &[id.to_owned().into(), account_id.to_owned().into(), live.into()],
    )?;
    rows.rows
        .first()
        .map(|r| event_json(r))
        .transpose()?
        .ok_or_else(|| ApiError::not_found(Resource::Event))
}

pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::EventsRead)?;
    let id = ctx.param("id")?;
    let event = load_event(ctx, &id, &caller.account_id, caller.mode == KeyMode::Live)?;
    Ok(response::ok(&event))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RedeliverBody {
    #[serde(default, deserialize_with = "farm_platform::body::non_null")]
    endpoint_id: Option<String>,
}

/// Replays one event: a new delivery to `endpoint_id`, or to every enabled
/// endpoint subscribed to its type. A replay has an ordering key of its own,
/// so it neither waits for nor holds back the order's live deliveries.
pub fn redeliver(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = ctx.authenticate(Scope::WebhooksManage)?;
    let id = ctx.param("id")?;
    let body: RedeliverBody = if ctx.request().body().iter().all(u8::is_ascii_whitespace) {
        RedeliverBody::default()
    } else {
        ctx.json_body()?
    };
    let live = caller.mode == KeyMode::Live;
    let event = load_event(ctx, &id, &caller.account_id, live)?;
    let endpoint = match &body.endpoint_id {
        Some(e) => Some(crate::rows::Endpoint::load(
            ctx,
            e,
            &caller.account_id,
            live,
        )?),
        None => None,
    };
    if let Some(e) = &endpoint
        && e.status != "enabled"
    {
        return Err(ApiError::new(
            409,
            "webhook_endpoint_disabled",
            "This endpoint is disabled; register it again (POST /v1/webhooks/endpoints) to receive events.",
        ));
    }
    let fingerprint = Fingerprint::of(&json!({"event": id, "endpoint_id": body.endpoint_id}));
    let account_id = caller.account_id.clone();
    let kind = event["type"].as_str().unwrap_or_default().to_owned();
    ctx.idempotent(&caller, false, &fingerprint, move |ctx| {
        let endpoint_param = endpoint.as_ref().map_or(ParameterValue::DbNull, |e| e.id.clone().into());
        let rows = ctx.db()?.query(
            "with d as ( \
               insert into webhook_deliveries (id, endpoint_id, account_id, event_id, event_seq, ordering_key) \
               select x.id, x.endpoint_id, $1, e.id, e.seq, 'redeliver:' || x.id \
               from events e, lateral ( \
                 select 'whdel_' || replace(gen_random_uuid()::text, '-', '') as id, w.id as endpoint_id \
                 from webhook_endpoints w \
                 where w.account_id = $1 and w.livemode = e.livemode and w.status = 'enabled' \
                   and w.deleted_at is null \
                   and (($3::text is not null and w.id = $3) or \
                        ($3::text is null and (w.events ? '*' or w.events ? $4)))) x \
               where e.id = $2 and e.account_id = $1 \
               returning id, endpoint_id), \
             j as ( \
               insert into background_jobs (kind, payload, max_attempts) \
               select $5, jsonb_build_object('delivery_id', d.id, 'attempt', 1), $6 from d returning 1) \
             select id, endpoint_id from d order by endpoint_id",
            &[
                account_id.clone().into(),
                id.clone().into(),
                endpoint_param,
                kind.clone().into(),
                DELIVER_WEBHOOK.to_owned().into(),
                i32::try_from(DELIVERY_JOB_MAX_ATTEMPTS).unwrap_or(5).into(),
            ],
        )?;
        let deliveries = rows
            .rows
            .iter()
            .map(|r| {
                Ok(json!({
                    "id": col::<String>(r, 0)?,
                    "object": "webhook_delivery",
                    "endpoint_id": col::<String>(r, 1)?,
                    "status": "pending",
                }))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(response::json(
            202,
            &json!({"event_id": id, "deliveries": deliveries}),
        ))
    })
}
