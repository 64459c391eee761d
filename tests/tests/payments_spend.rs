//! `farm_reserve_autonomous_spend` / `farm_release_autonomous_spend`
//! (migrations/0010): the autonomous-order cap check and the spend update as
//! one atomic step, against real Postgres. Issue 10's Done-when: concurrent
//! autonomous orders that together exceed the monthly cap never overshoot it.

use farm_tests::{TestApp, spawn_app};

/// Creates an account with a live billing row and returns its id.
async fn account(
    app: &TestApp,
    autopay: bool,
    pm: Option<&str>,
    per_order: Option<i64>,
    monthly: Option<i64>,
) -> String {
    let id = format!("acct_{}", uuid::Uuid::new_v4().simple());
    let db = app.db().await;
    db.execute(
        "insert into accounts (id, email, name) values ($1, $2, 'spend tests')",
        &[&id, &format!("{id}@example.com")],
    )
    .await
    .expect("account");
    db.execute(
        "insert into account_billing (account_id, livemode, autopay_enabled, default_payment_method, \
           max_per_order_cents, monthly_cap_cents) values ($1, true, $2, $3, $4, $5)",
        &[&id, &autopay, &pm, &per_order, &monthly],
    )
    .await
    .expect("billing");
    id
}

/// One reservation on its own connection: (ok, failed, month_spent_cents).
async fn reserve(app: &TestApp, account: &str, amount: i64) -> (bool, Vec<String>, i64) {
    let row = app
        .db()
        .await
        .query_one(
            "select ok, failed, month_spent_cents from farm_reserve_autonomous_spend($1, true, $2)",
            &[&account, &amount],
        )
        .await
        .expect("reserve");
    (row.get(0), row.get(1), row.get(2))
}

async fn month_spent(app: &TestApp, account: &str) -> i64 {
    app.scalar(
        "select coalesce(sum(spent_cents), 0)::int8 from account_monthly_spend where account_id = $1",
        &[&account],
    )
    .await
}

#[tokio::test]
async fn twenty_concurrent_reservations_over_the_monthly_cap_never_overshoot_it() {
    let app = spawn_app().await;
    // Cap 1 000.00 USD; 20 orders of 70.00 would be 1 400.00. Only 14 fit:
    // 14 × 7 000 = 98 000 ≤ 100 000 < 105 000 = 15 × 7 000.
    let acct = account(
        &app,
        true,
        Some("pm_card_visa"),
        Some(20_000),
        Some(100_000),
    )
    .await;
    let results = reserve_concurrently(&app, &acct, &[7_000; 20]).await;
    let accepted: Vec<_> = results.iter().filter(|r| r.1).collect();
    let refused: Vec<_> = results.iter().filter(|r| !r.1).collect();
    let accepted_sum: i64 = accepted.len() as i64 * 7_000;
    println!(
        "spend: {} of 20 concurrent reservations accepted, {accepted_sum} of 100000 cents",
        accepted.len()
    );
    assert_eq!(accepted.len(), 14);
    assert!(accepted_sum <= 100_000);
    assert_eq!(month_spent(&app, &acct).await, 98_000);
    for (_, _, failed, spent) in refused {
        assert_eq!(failed, &["over_monthly_cap"]);
        assert!(spent + 7_000 > 100_000, "refused while {spent} was spent");
    }
    // Each accepted reservation saw a distinct running total.
    let mut totals: Vec<i64> = accepted.iter().map(|r| r.3).collect();
    totals.sort_unstable();
    assert_eq!(totals, (1..=14).map(|n| n * 7_000).collect::<Vec<_>>());
}

#[tokio::test]
async fn mixed_amounts_in_parallel_stay_within_the_cap_and_refusals_were_real() {
    let app = spawn_app().await;
    let acct = account(&app, true, Some("pm_1"), Some(30_000), Some(100_000)).await;
    // 20 amounts from 3 000 to 22 000 (sum 250 000).
    let amounts: Vec<i64> = (0..20).map(|i| 3_000 + i * 1_000).collect();
    let results = reserve_concurrently(&app, &acct, &amounts).await;
    let accepted_sum: i64 = results.iter().filter(|r| r.1).map(|r| r.0).sum();
    println!("spend: mixed amounts, {accepted_sum} of 100000 cents accepted");
    assert!(accepted_sum <= 100_000);
    assert_eq!(month_spent(&app, &acct).await, accepted_sum);
    for (amount, ok, failed, spent) in &results {
        if !ok {
            assert_eq!(failed, &["over_monthly_cap"]);
            assert!(spent + amount > 100_000, "{amount} refused at {spent}");
        }
    }
}

#[tokio::test]
async fn every_failed_condition_is_named_and_releases_give_spend_back() {
    let app = spawn_app().await;
    let nothing = account(&app, false, None, None, None).await;
    let (ok, failed, spent) = reserve(&app, &nothing, 100).await;
    assert!(!ok);
    assert_eq!(
        failed,
        [
            "autopay_disabled",
            "no_default_payment_method",
            "over_per_order_cap",
            "over_monthly_cap"
        ]
    );
    assert_eq!(spent, 0);
    // No billing row at all: the same four.
    let bare = format!("acct_{}", uuid::Uuid::new_v4().simple());
    app.db()
        .await
        .execute(
            "insert into accounts (id, email, name) values ($1, $2, 'x')",
            &[&bare, &format!("{bare}@example.com")],
        )
        .await
        .expect("account");
    assert_eq!(reserve(&app, &bare, 1).await.1.len(), 4);

    let acct = account(&app, true, Some("pm_1"), Some(5_000), Some(10_000)).await;
    assert_eq!(reserve(&app, &acct, 5_001).await.1, ["over_per_order_cap"]);
    assert!(reserve(&app, &acct, 5_000).await.0);
    assert!(reserve(&app, &acct, 5_000).await.0);
    assert_eq!(reserve(&app, &acct, 1).await.1, ["over_monthly_cap"]);
    // Test mode is another world: the live spend does not count there.
    let test_row: Option<i64> = app
        .db()
        .await
        .query_opt(
            "select spent_cents from account_monthly_spend where account_id = $1 and not livemode",
            &[&acct],
        )
        .await
        .expect("query")
        .map(|r| r.get(0));
    assert_eq!(test_row, None);

    let db = app.db().await;
    let this_month = "date_trunc('month', now() at time zone 'utc')::date";
    db.execute(
        &format!("select farm_release_autonomous_spend($1, true, 4000, {this_month})"),
        &[&acct],
    )
    .await
    .expect("release");
    assert_eq!(month_spent(&app, &acct).await, 6_000);
    // A release for another month changes nothing; one never goes below zero.
    db.execute(
        &format!("select farm_release_autonomous_spend($1, true, 4000, ({this_month} - interval '1 month')::date)"),
        &[&acct],
    )
    .await
    .expect("release");
    assert_eq!(month_spent(&app, &acct).await, 6_000);
    db.execute(
        &format!("select farm_release_autonomous_spend($1, true, 99999, {this_month})"),
        &[&acct],
    )
    .await
    .expect("release");
    assert_eq!(month_spent(&app, &acct).await, 0);
    let refused = db
        .execute(
            "select * from farm_reserve_autonomous_spend($1, true, 0)",
            &[&acct],
        )
        .await;
    assert!(refused.is_err(), "a zero amount is not a reservation");
}

/// Reserves each amount on its own connection, all at once: the
/// connections are opened first, then a barrier releases the 20 calls
/// together. Returns (amount, ok, failed, month_spent_cents) per call.
async fn reserve_concurrently(
    app: &TestApp,
    account: &str,
    amounts: &[i64],
) -> Vec<(i64, bool, Vec<String>, i64)> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(amounts.len()));
    let mut handles = Vec::new();
    for &amount in amounts {
        let (client, connection) = tokio_postgres::connect(&app.db_url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        let (barrier, account) = (barrier.clone(), account.to_owned());
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            let row = client
                .query_one(
                    "select ok, failed, month_spent_cents from farm_reserve_autonomous_spend($1, true, $2)",
                    &[&account, &amount],
                )
                .await
                .expect("reserve");
            (amount, row.get(0), row.get(1), row.get(2))
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
