//! Reading endpoints, deliveries and events, and their wire shapes.

use farm_domain::Resource;
use farm_domain::ids::IdKind;
use farm_platform::wire::timestamp;
use farm_platform::{ApiError, Ctx, col};
use serde_json::{Value, json};

pub use farm_platform::events::{EVENT_COLUMNS, envelope as event_json};
use spin_sdk::pg4::DbValue;

/// Columns of [`Endpoint::from_row`].
pub const ENDPOINT_COLUMNS: &str = "t.id, t.url, t.description, t.events::text, t.livemode, t.status, \
     t.disabled_reason, extract(epoch from t.created_at)::bigint, \
     extract(epoch from t.disabled_at)::bigint";

/// One endpoint as the API shows it (never its secret).
#[derive(Debug)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub livemode: bool,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl Endpoint {
    pub fn from_row(row: &[DbValue]) -> Result<Self, ApiError> {
        let events: String = col(row, 3)?;
        Ok(Self {
            id: col(row, 0)?,
            url: col(row, 1)?,
            description: col(row, 2)?,
            events: serde_json::from_str(&events).map_err(ApiError::internal)?,
            livemode: col(row, 4)?,
            status: col(row, 5)?,
            disabled_reason: col(row, 6)?,
            created_at: col(row, 7)?,
            disabled_at: col(row, 8)?,
        })
    }

    /// The caller's endpoint `id` in the caller's mode, not deleted; else
    /// 404 `webhook_endpoint_not_found`.
    pub fn load(
        ctx: &mut Ctx,
        id: &str,
        account_id: &str,
        livemode: bool,
    ) -> Result<Self, ApiError> {
        if !IdKind::WebhookEndpoint.is_valid(id) {
            return Err(ApiError::not_found(Resource::WebhookEndpoint));
        }
        let rows = ctx.db()?.query(
            &format!(
                "select {ENDPOINT_COLUMNS} from webhook_endpoints t \
                 where t.id = $1 and t.account_id = $2 and t.livemode = $3 and t.deleted_at is null"
            ),
            &[
                id.to_owned().into(),
                account_id.to_owned().into(),
                livemode.into(),
            ],
        )?;
        rows.rows
            .first()
            .map(|r| Endpoint::from_row(r))
            .transpose()?
            .ok_or_else(|| ApiError::not_found(Resource::WebhookEndpoint))
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "webhook_endpoint",
            "url": self.url,
            "description": self.description,
            "events": self.events,
            "livemode": self.livemode,
            "status": self.status,
            "disabled_reason": self.disabled_reason,
            "disabled_at": self.disabled_at.map(timestamp),
            "created_at": timestamp(self.created_at),
        })
    }
}
