//! The MQTT link: one rumqttc connection whose event loop runs on its own
//! task and hands incoming messages over a channel. Receiving from a channel
//! is cancel-safe, so callers can wait with a timeout and step deterministically.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeFilter};
use tokio::sync::mpsc;

/// What the link delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// The broker acknowledged our subscriptions (after every (re)connect):
    /// messages published from now on reach us.
    Subscribed,
    /// A message on one of our topics.
    Message { topic: String, payload: Vec<u8> },
    /// The connection failed; the link reconnects by itself.
    Disconnected { reason: String },
}

/// Where to connect and what to subscribe to.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub topics: Vec<String>,
}

/// Connects (lazily, on the event loop's first poll) and starts the event loop
/// task. Subscriptions are renewed after every reconnect, because the session
/// is clean. The task ends when the receiver is dropped.
pub fn start(options: LinkOptions) -> (AsyncClient, mpsc::Receiver<Inbound>) {
    let mut mqtt = MqttOptions::new(options.client_id, options.host, options.port);
    mqtt.set_keep_alive(Duration::from_secs(15));
    mqtt.set_clean_session(true);
    // Bambu project reports can be large (tens of KB with AMS details).
    mqtt.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut event_loop) = AsyncClient::new(mqtt, 256);
    let (tx, rx) = mpsc::channel(1024);
    let subscriber = client.clone();
    tokio::spawn(async move {
        loop {
            let inbound = match event_loop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    if !options.topics.is_empty() {
                        let filters = options
                            .topics
                            .iter()
                            .map(|t| SubscribeFilter::new(t.clone(), QoS::AtMostOnce));
                        if let Err(error) = subscriber.try_subscribe_many(filters) {
                            tracing::error!(%error, "could not queue the MQTT subscription");
                        }
                    }
                    continue;
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => Inbound::Subscribed,
                Ok(Event::Incoming(Packet::Publish(publish))) => Inbound::Message {
                    topic: publish.topic,
                    payload: publish.payload.to_vec(),
                },
                Ok(_) => continue,
                Err(error) => {
                    let reason = error.to_string();
                    if tx.send(Inbound::Disconnected { reason }).await.is_err() {
                        return;
                    }
                    // rumqttc reconnects on the next poll; do not spin meanwhile.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if tx.send(inbound).await.is_err() {
                return;
            }
        }
    });
    (client, rx)
}
