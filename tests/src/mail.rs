//! Reading what the app mailed: the loopback mail catcher that
//! `scripts/services.sh` runs (`scripts/mail-catcher.py`), whose received
//! messages are JSON at `FARM_MAIL_MESSAGES_URL`.

use std::time::{Duration, Instant};

use serde::Deserialize;

/// One message as the catcher received it.
#[derive(Debug, Clone, Deserialize)]
pub struct CaughtMail {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub message_id: String,
    /// The text/plain body, decoded, line ends normalised to `\n`.
    pub text: String,
}

/// The catcher's messages endpoint.
pub fn messages_url() -> String {
    std::env::var("FARM_MAIL_MESSAGES_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:11080/messages".to_string())
}

/// Every message the catcher holds for `to` (envelope recipient), oldest
/// first. Tests use unique addresses, so the catcher can be shared.
pub async fn mails_to(to: &str) -> Vec<CaughtMail> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client");
    let response = match client.get(messages_url()).query(&[("to", to)]).send().await {
        Ok(r) => r,
        Err(e) => panic!(
            "the mail catcher at {} does not answer ({e}); run scripts/services.sh up",
            messages_url()
        ),
    };
    let mut mails: Vec<CaughtMail> = response.json().await.expect("catcher answers JSON");
    for m in &mut mails {
        m.text = m.text.replace("\r\n", "\n");
    }
    mails
}

/// Waits (up to `timeout`) until the catcher holds at least `count`
/// messages for `to`, and returns them all.
pub async fn wait_for_mails(to: &str, count: usize, timeout: Duration) -> Vec<CaughtMail> {
    let started = Instant::now();
    loop {
        let mails = mails_to(to).await;
        if mails.len() >= count || started.elapsed() > timeout {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A unique address for one test (the catcher is shared by every test run).
pub fn unique_email(label: &str) -> String {
    format!("{label}-{}@example.com", uuid::Uuid::new_v4().simple())
}
