//! The internal event bus: every service publishes its AWS-shaped EventBridge events here, once
//! each and in causal order per publisher; subscribers (EventBridge rules, tests) receive them.
//!
//! Events carry AWS's envelope (`version`, `id`, `detail-type`, `source`, `account`, `time`,
//! `region`, `resources`, `detail`). The `detail` is free-form JSON by nature: each event type
//! has its own members.
//!
//! Two kinds of subscribers: a *listener* says up front which events it wants (by their
//! [`Topic`]: source, detail type, account, region) and is only woken for those; a plain
//! subscriber (tests, tools) sees every event. An event nobody wants is not even built
//! ([`EventBus::publish_with`]): a pipeline run with no EventBridge rule in its region costs no
//! event encoding and wakes no thread. A listener that falls `capacity` events behind misses
//! the newest ones (and says so in the log), as a lagging subscriber misses the oldest.

use std::sync::{Arc, RwLock};

use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

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

/// What a listener is asked about an event before it is built.
#[derive(Debug, Clone, Copy)]
pub struct Topic<'a> {
    pub source: &'a str,
    pub detail_type: &'a str,
    pub account: &'a str,
    pub region: &'a str,
}

impl Event {
    pub fn topic(&self) -> Topic<'_> {
        Topic {
            source: &self.source,
            detail_type: &self.detail_type,
            account: &self.account,
            region: &self.region,
        }
    }
}

type Interest = Box<dyn Fn(&Topic) -> bool + Send + Sync>;

struct Listener {
    interest: Interest,
    tx: mpsc::Sender<Arc<Event>>,
}

/// A cloneable handle to the bus.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    listeners: Arc<RwLock<Vec<Listener>>>,
}

impl EventBus {
    /// A bus that keeps up to `capacity` undelivered events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        EventBus {
            tx,
            listeners: Arc::default(),
        }
    }

    /// Publishes an event; with no subscriber that wants it, it is simply dropped.
    pub fn publish(&self, event: Event) {
        let event = Arc::new(event);
        self.deliver(&event.topic(), || event.clone());
    }

    /// Publishes the event `build` makes, only if a subscriber wants an event of `topic`.
    pub fn publish_with(&self, topic: Topic, build: impl FnOnce() -> Event) {
        self.deliver(&topic, || Arc::new(build()));
    }

    /// Hands the event to every listener that wants its topic and to the plain subscribers,
    /// building it on first need.
    fn deliver(&self, topic: &Topic, build: impl FnOnce() -> Arc<Event>) {
        let mut build = Some(build);
        let mut event: Option<Arc<Event>> = None;
        let mut closed = false;
        {
            let listeners = self.listeners.read().unwrap_or_else(|p| p.into_inner());
            for l in listeners.iter().filter(|l| (l.interest)(topic)) {
                let e = event.get_or_insert_with(|| build.take().expect("built once")());
                match l.tx.try_send(e.clone()) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => tracing::warn!(
                        "an event listener fell behind and missed a {} event",
                        e.detail_type
                    ),
                    Err(mpsc::error::TrySendError::Closed(_)) => closed = true,
                }
            }
        }
        if closed {
            self.listeners
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|l| !l.tx.is_closed());
        }
        if self.tx.receiver_count() > 0 {
            let e = event.unwrap_or_else(|| build.take().expect("built once")());
            let _ = self.tx.send(e);
        }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// The events whose topic `interest` accepts, from now on; up to `capacity` wait for the
    /// receiver. Dropping the receiver ends the listening.
    pub fn listen(
        &self,
        capacity: usize,
        interest: impl Fn(&Topic) -> bool + Send + Sync + 'static,
    ) -> mpsc::Receiver<Arc<Event>> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.listeners
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(Listener {
                interest: Box::new(interest),
                tx,
            });
        rx
    }
}

/// How many events a listener may fall behind.
pub const LISTENER_CAPACITY: usize = 16 * 1024;

impl Default for EventBus {
    /// Plain subscribers are tests and tools; services listen (`listen`) with their own room.
    fn default() -> Self {
        EventBus::new(4096)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(source: &str, region: &str) -> Event {
        Event::new(
            source,
            "Thing Happened",
            "1",
            region,
            vec![],
            serde_json::json!({}),
        )
    }

    fn topic<'a>(source: &'a str, region: &'a str) -> Topic<'a> {
        Topic {
            source,
            detail_type: "Thing Happened",
            account: "1",
            region,
        }
    }

    #[tokio::test]
    async fn a_listener_gets_only_what_it_asked_for() {
        let bus = EventBus::new(16);
        let mut west = bus.listen(16, |t| t.region == "us-west-2");
        bus.publish(event("a", "us-east-1"));
        bus.publish(event("b", "us-west-2"));
        assert_eq!(west.recv().await.unwrap().source, "b");
        assert!(
            west.try_recv().is_err(),
            "the us-east-1 event was not for it"
        );
    }

    #[tokio::test]
    async fn an_event_nobody_wants_is_not_built() {
        let bus = EventBus::new(16);
        let _west = bus.listen(16, |t| t.region == "us-west-2");
        bus.publish_with(topic("a", "us-east-1"), || {
            panic!("built although nobody listens to us-east-1")
        });
        // A plain subscriber wants everything.
        let mut all = bus.subscribe();
        let mut built = false;
        bus.publish_with(topic("a", "us-east-1"), || {
            built = true;
            event("a", "us-east-1")
        });
        assert!(built);
        assert_eq!(all.recv().await.unwrap().region, "us-east-1");
    }

    #[tokio::test]
    async fn a_dropped_listener_is_forgotten_and_a_full_one_misses_the_newest() {
        let bus = EventBus::new(16);
        let gone = bus.listen(16, |_| true);
        drop(gone);
        let mut slow = bus.listen(1, |_| true);
        bus.publish(event("first", "r"));
        bus.publish(event("second", "r"));
        assert_eq!(bus.listeners.read().unwrap().len(), 1);
        assert_eq!(slow.recv().await.unwrap().source, "first");
        assert!(slow.try_recv().is_err(), "the second did not fit");
    }
}
