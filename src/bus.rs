//! The internal event bus: every service publishes its AWS-shaped EventBridge events here, once
//! each and in causal order per publisher; subscribers (EventBridge rules, tests) receive them.
//!
//! Events carry AWS's envelope (`version`, `id`, `detail-type`, `source`, `account`, `time`,
//! `region`, `resources`, `detail`). The `detail` is free-form JSON by nature: each event type
//! has its own members.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

/// One event in EventBridge's envelope.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Event {
    pub version: String,
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub account: String,
    /// `2026-01-03T00:00:12Z`, second precision, as AWS sends it.
    pub time: String,
    pub region: String,
    pub resources: Vec<String>,
    pub detail: serde_json::Value,
}

impl Event {
    pub fn new(
        source: &str,
        detail_type: &str,
        account: &str,
        region: &str,
        resources: Vec<String>,
        detail: serde_json::Value,
    ) -> Self {
        Event {
            version: "0".into(),
            id: uuid::Uuid::new_v4().to_string(),
            detail_type: detail_type.into(),
            source: source.into(),
            account: account.into(),
            time: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            region: region.into(),
            resources,
            detail,
        }
    }
}

/// A cloneable handle to the bus.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl EventBus {
    /// A bus that keeps up to `capacity` undelivered events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        EventBus { tx }
    }

    /// Publishes an event; with no subscriber it is simply dropped.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(Arc::new(event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new(16 * 1024)
    }
}
