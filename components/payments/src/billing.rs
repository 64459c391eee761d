//! `account_billing` and `account_monthly_spend` (migrations/0010): one
//! account's policy, provider objects and this month's spend, per mode, and
//! the settings wire shape built from them.

use farm_payments::policy::{self, AutopayChange, AutopayPolicy};
use farm_platform::farm_domain::api_key::KeyMode;
use farm_platform::farm_domain::money::Currency;
use farm_platform::{ApiError, col, transaction};
use serde_json::{Value, json};
use spin_sdk::pg4::{Connection, ParameterValue};

/// One account's billing row in one mode (defaults when there is none yet).
#[derive(Debug, Clone)]
pub struct Billing {
    pub account_id: String,
    pub mode: KeyMode,
    pub policy: AutopayPolicy,
    pub unit_confidence_threshold: f64,
    pub customer_id: Option<String>,
    pub default_payment_method: Option<String>,
    /// First day of the current month (UTC), `YYYY-MM-DD`.
    pub month: String,
    pub month_spent_cents: i64,
}

const LOAD: &str = "select b.autopay_enabled, b.max_per_order_cents, b.monthly_cap_cents, \
       coalesce(b.unit_confidence_threshold, 0.7)::float8, b.customer_id, b.default_payment_method, \
       to_char(m.month, 'YYYY-MM-DD'), coalesce(s.spent_cents, 0)::int8 \
     from (select date_trunc('month', now() at time zone 'utc')::date as month) m \
     left join account_billing b on b.account_id = $1 and b.livemode = $2 \
     left join account_monthly_spend s on s.account_id = $1 and s.livemode = $2 and s.month = m.month";

fn livemode(mode: KeyMode) -> bool {
    mode == KeyMode::Live
}

/// Reads the billing state (one statement).
pub fn load(db: &Connection, account_id: &str, mode: KeyMode) -> Result<Billing, ApiError> {
    let rows = db.query(LOAD, &[account_id.to_owned().into(), livemode(mode).into()])?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("billing query returned no row"))?;
    Ok(Billing {
        account_id: account_id.to_owned(),
        mode,
        policy: AutopayPolicy {
            autopay_enabled: col::<Option<bool>>(row, 0)?.unwrap_or(false),
            max_per_order_cents: col(row, 1)?,
            monthly_cap_cents: col(row, 2)?,
        },
        unit_confidence_threshold: col(row, 3)?,
        customer_id: col(row, 4)?,
        default_payment_method: col(row, 5)?,
        month: col(row, 6)?,
        month_spent_cents: col(row, 7)?,
    })
}

fn opt_i64(v: Option<i64>) -> ParameterValue {
    v.map_or(ParameterValue::DbNull, Into::into)
}

/// Applies `change` to the stored policy under a row lock (so concurrent
/// partial changes do not overwrite each other), refusing it as a whole when
/// the result breaks a rule ([`AutopayPolicy::apply`]).
pub fn change_policy(
    db: &Connection,
    account_id: &str,
    mode: KeyMode,
    change: &AutopayChange,
) -> Result<(), ApiError> {
    let key = [account_id.to_owned().into(), livemode(mode).into()];
    transaction(db, |db| {
        db.execute(
            "insert into account_billing (account_id, livemode) values ($1, $2) \
             on conflict (account_id, livemode) do nothing",
            &key,
        )?;
        let rows = db.query(
            "select autopay_enabled, max_per_order_cents, monthly_cap_cents from account_billing \
             where account_id = $1 and livemode = $2 for update",
            &key,
        )?;
        let row = rows
            .rows
            .first()
            .ok_or_else(|| ApiError::internal("billing row vanished"))?;
        let current = AutopayPolicy {
            autopay_enabled: col(row, 0)?,
            max_per_order_cents: col(row, 1)?,
            monthly_cap_cents: col(row, 2)?,
        };
        let next = current.apply(change)?;
        db.execute(
            "update account_billing set autopay_enabled = $3, max_per_order_cents = $4, \
             monthly_cap_cents = $5, updated_at = now() where account_id = $1 and livemode = $2",
            &[
                key[0].clone(),
                key[1].clone(),
                next.autopay_enabled.into(),
                opt_i64(next.max_per_order_cents),
                opt_i64(next.monthly_cap_cents),
            ],
        )?;
        Ok(())
    })
}

/// Records the provider's Customer, keeping one already stored (two first
/// requests racing both get the provider's same customer through its
/// idempotency key, so either value is right).
pub fn set_customer(
    db: &Connection,
    account_id: &str,
    mode: KeyMode,
    customer: &str,
) -> Result<String, ApiError> {
    let rows = db.query(
        "insert into account_billing (account_id, livemode, customer_id) values ($1, $2, $3) \
         on conflict (account_id, livemode) do update \
           set customer_id = coalesce(account_billing.customer_id, excluded.customer_id), updated_at = now() \
         returning customer_id",
        &[
            account_id.to_owned().into(),
            livemode(mode).into(),
            customer.to_owned().into(),
        ],
    )?;
    let row = rows
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("customer upsert returned no row"))?;
    col(row, 0)
}

/// Records the default payment method.
pub fn set_default_payment_method(
    db: &Connection,
    account_id: &str,
    mode: KeyMode,
    payment_method: &str,
) -> Result<(), ApiError> {
    db.execute(
        "insert into account_billing (account_id, livemode, default_payment_method) values ($1, $2, $3) \
         on conflict (account_id, livemode) do update \
           set default_payment_method = excluded.default_payment_method, updated_at = now()",
        &[
            account_id.to_owned().into(),
            livemode(mode).into(),
            payment_method.to_owned().into(),
        ],
    )?;
    Ok(())
}

pub use pay::settings_url;

impl Billing {
    /// What is left of the monthly cap (never negative), or `None` without a cap.
    pub fn month_remaining_cents(&self) -> Option<i64> {
        self.policy
            .monthly_cap_cents
            .map(|cap| (cap - self.month_spent_cents).max(0))
    }

    /// The settings object (`Settings` in components/catalog/openapi/payments.json).
    pub fn wire(&self, settings_url: &str) -> Value {
        let p = &self.policy;
        let pm = self.default_payment_method.as_deref();
        json!({
            "object": "settings",
            "livemode": livemode(self.mode),
            "autopay_enabled": p.autopay_enabled,
            "max_per_order_cents": p.max_per_order_cents,
            "monthly_cap_cents": p.monthly_cap_cents,
            "unit_confidence_threshold": (self.unit_confidence_threshold * 1000.0).round() / 1000.0,
            // The only currency prices are in (farm_domain::money).
            "currency": Currency::Usd.code(),
            "month": self.month,
            "month_spent_cents": self.month_spent_cents,
            "month_remaining_cents": self.month_remaining_cents(),
            "payment_method_status": if pm.is_some() { "saved" } else { "missing" },
            "default_payment_method": pm,
            "settings_url": settings_url,
            "next_action": policy::next_action(p, pm.is_some()),
        })
    }
}
