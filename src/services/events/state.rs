//! EventBridge state: buses, rules (with their parsed patterns and targets), connections and
//! API destinations, kept in memory and written through to the store.
//!
//! The delivery side reads an index of enabled pattern rules per bus ([`State::active_rules`]),
//! rebuilt whenever a rule of that bus changes, so matching an event takes no lock beyond one
//! short read to clone an `Arc`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use super::errors::EventsError as E;
use super::model::*;
use super::pattern::Pattern;
use crate::store::{Batch, Store};

const BUSES: &str = "events.buses";
const RULES: &str = "events.rules";
const CONNECTIONS: &str = "events.connections";
const DESTINATIONS: &str = "events.api_destinations";

pub const DEFAULT_BUS: &str = "default";

/// A rule with its pattern parsed once.
#[derive(Debug)]
pub struct RuleEntry {
    pub record: RuleRecord,
    pub pattern: Option<Pattern>,
}

impl RuleEntry {
    pub fn new(record: RuleRecord) -> Result<Self, E> {
        let pattern = match &record.event_pattern {
            Some(p) => Some(Pattern::parse(p).map_err(|e| E::InvalidEventPattern(e.to_string()))?),
            None => None,
        };
        Ok(RuleEntry { record, pattern })
    }

    pub fn enabled(&self) -> bool {
        self.record.state != "DISABLED"
    }
}

pub fn bus_key(account: &str, region: &str, bus: &str) -> String {
    format!("{account}|{region}|{bus}")
}

pub fn rule_key(account: &str, region: &str, bus: &str, name: &str) -> String {
    format!("{account}|{region}|{bus}|{name}")
}

pub fn bus_arn(account: &str, region: &str, bus: &str) -> String {
    format!("arn:aws:events:{region}:{account}:event-bus/{bus}")
}

pub fn rule_arn(account: &str, region: &str, bus: &str, name: &str) -> String {
    if bus == DEFAULT_BUS {
        format!("arn:aws:events:{region}:{account}:rule/{name}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{name}")
    }
}

#[derive(Default)]
struct Inner {
    buses: BTreeMap<String, BusRecord>,
    rules: BTreeMap<String, Arc<RuleEntry>>,
    connections: BTreeMap<String, ConnectionRecord>,
    destinations: BTreeMap<String, ApiDestinationRecord>,
    /// bus key -> enabled rules with a pattern.
    active: HashMap<String, Arc<Vec<Arc<RuleEntry>>>>,
}

impl Inner {
    fn reindex(&mut self, bus_key: &str) {
        let prefix = format!("{bus_key}|");
        let list: Vec<Arc<RuleEntry>> = self
            .rules
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, r)| r.enabled() && r.pattern.is_some())
            .map(|(_, r)| r.clone())
            .collect();
        if list.is_empty() {
            self.active.remove(bus_key);
        } else {
            self.active.insert(bus_key.to_string(), Arc::new(list));
        }
    }
}

pub struct State {
    store: Arc<Store>,
    inner: RwLock<Inner>,
}

impl State {
    pub fn load(store: Arc<Store>) -> Result<Self, E> {
        let mut inner = Inner::default();
        for (k, v) in store.load::<BusRecord>(BUSES)? {
            inner.buses.insert(k, v);
        }
        for (k, v) in store.load::<RuleRecord>(RULES)? {
            match RuleEntry::new(v) {
                Ok(entry) => {
                    inner.rules.insert(k, Arc::new(entry));
                }
                Err(e) => tracing::warn!("a stored rule {k} could not be loaded: {e}"),
            }
        }
        for (k, v) in store.load::<ConnectionRecord>(CONNECTIONS)? {
            inner.connections.insert(k, v);
        }
        for (k, v) in store.load::<ApiDestinationRecord>(DESTINATIONS)? {
            inner.destinations.insert(k, v);
        }
        let keys: std::collections::BTreeSet<String> = inner
            .rules
            .values()
            .map(|r| bus_key(&r.record.account, &r.record.region, &r.record.bus))
            .collect();
        for k in keys {
            inner.reindex(&k);
        }
        Ok(State {
            store,
            inner: RwLock::new(inner),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn reset(&self) {
        *self.write() = Inner::default();
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    // -------------------------------------------------------------- buses

    pub fn bus_exists(&self, account: &str, region: &str, bus: &str) -> bool {
        bus == DEFAULT_BUS
            || self
                .read()
                .buses
                .contains_key(&bus_key(account, region, bus))
    }

    pub fn bus(&self, account: &str, region: &str, bus: &str) -> Option<BusRecord> {
        if let Some(b) = self.read().buses.get(&bus_key(account, region, bus)) {
            return Some(b.clone());
        }
        (bus == DEFAULT_BUS).then(|| BusRecord {
            account: account.into(),
            region: region.into(),
            name: DEFAULT_BUS.into(),
            arn: bus_arn(account, region, DEFAULT_BUS),
            description: None,
            tags: Vec::new(),
            created_ms: 0,
            modified_ms: 0,
        })
    }

    pub fn create_bus(&self, rec: BusRecord) -> Result<(), E> {
        let key = bus_key(&rec.account, &rec.region, &rec.name);
        let mut inner = self.write();
        if rec.name == DEFAULT_BUS || inner.buses.contains_key(&key) {
            return Err(E::ResourceAlreadyExists(format!(
                "Event bus {} already exists.",
                rec.name
            )));
        }
        let mut b = Batch::new();
        b.put(BUSES, key.clone(), &rec);
        self.store.apply(b)?;
        inner.buses.insert(key, rec);
        Ok(())
    }

    /// Deletes a custom bus and its rules (AWS deletes them with the bus).
    pub fn delete_bus(&self, account: &str, region: &str, name: &str) -> Result<Vec<String>, E> {
        if name == DEFAULT_BUS {
            return Err(E::Validation("Cannot delete event bus default.".into()));
        }
        let key = bus_key(account, region, name);
        let mut inner = self.write();
        if !inner.buses.contains_key(&key) {
            return Ok(Vec::new());
        }
        let prefix = format!("{key}|");
        let rules: Vec<String> = inner
            .rules
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        let mut b = Batch::new();
        b.delete(BUSES, key.clone());
        for r in &rules {
            b.delete(RULES, r.clone());
        }
        self.store.apply(b)?;
        inner.buses.remove(&key);
        for r in &rules {
            inner.rules.remove(r);
        }
        inner.reindex(&key);
        Ok(rules)
    }

    pub fn buses(&self, account: &str, region: &str) -> Vec<BusRecord> {
        let mut out = vec![self.bus(account, region, DEFAULT_BUS).expect("default bus")];
        let prefix = format!("{}|", bus_key(account, region, ""));
        let prefix = prefix.trim_end_matches('|').to_string() + "|";
        out.extend(
            self.read()
                .buses
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .map(|(_, b)| b.clone()),
        );
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    // -------------------------------------------------------------- rules

    pub fn rule(
        &self,
        account: &str,
        region: &str,
        bus: &str,
        name: &str,
    ) -> Option<Arc<RuleEntry>> {
        self.read()
            .rules
            .get(&rule_key(account, region, bus, name))
            .cloned()
    }

    pub fn rules_of_bus(&self, account: &str, region: &str, bus: &str) -> Vec<Arc<RuleEntry>> {
        let prefix = format!("{}|", bus_key(account, region, bus));
        self.read()
            .rules
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Every rule with a schedule (start-up).
    pub fn scheduled_rules(&self) -> Vec<Arc<RuleEntry>> {
        self.read()
            .rules
            .values()
            .filter(|r| r.record.schedule_expression.is_some())
            .cloned()
            .collect()
    }

    /// Whether the bus has an enabled rule (events for a bus without one need not be built).
    pub fn has_active_rules(&self, account: &str, region: &str, bus: &str) -> bool {
        self.read()
            .active
            .get(&bus_key(account, region, bus))
            .is_some_and(|rules| !rules.is_empty())
    }

    pub fn active_rules(&self, bus_key: &str) -> Option<Arc<Vec<Arc<RuleEntry>>>> {
        self.read().active.get(bus_key).cloned()
    }

    /// Stores a rule (insert or replace) and reindexes its bus.
    pub fn put_rule(&self, entry: RuleEntry) -> Result<Arc<RuleEntry>, E> {
        let r = &entry.record;
        let key = rule_key(&r.account, &r.region, &r.bus, &r.name);
        let bkey = bus_key(&r.account, &r.region, &r.bus);
        let mut b = Batch::new();
        b.put(RULES, key.clone(), r);
        let mut inner = self.write();
        self.store.apply(b)?;
        let entry = Arc::new(entry);
        inner.rules.insert(key, entry.clone());
        inner.reindex(&bkey);
        Ok(entry)
    }

    /// Changes a rule with `f` (which may fail); the new record is stored.
    pub fn update_rule(
        &self,
        account: &str,
        region: &str,
        bus: &str,
        name: &str,
        f: impl FnOnce(&mut RuleRecord) -> Result<(), E>,
    ) -> Result<Arc<RuleEntry>, E> {
        let key = rule_key(account, region, bus, name);
        let mut inner = self.write();
        let current = inner
            .rules
            .get(&key)
            .ok_or_else(|| E::rule_not_found(name, bus))?;
        let mut record = current.record.clone();
        f(&mut record)?;
        let entry = Arc::new(RuleEntry::new(record)?);
        let mut b = Batch::new();
        b.put(RULES, key.clone(), &entry.record);
        self.store.apply(b)?;
        inner.rules.insert(key, entry.clone());
        inner.reindex(&bus_key(account, region, bus));
        Ok(entry)
    }

    pub fn delete_rule(
        &self,
        account: &str,
        region: &str,
        bus: &str,
        name: &str,
        force: bool,
    ) -> Result<bool, E> {
        let key = rule_key(account, region, bus, name);
        let mut inner = self.write();
        let Some(current) = inner.rules.get(&key) else {
            return Ok(false);
        };
        if !current.record.targets.is_empty() && !force {
            return Err(E::Validation(
                "Rule can't be deleted since it has targets.".into(),
            ));
        }
        let mut b = Batch::new();
        b.delete(RULES, key.clone());
        self.store.apply(b)?;
        inner.rules.remove(&key);
        inner.reindex(&bus_key(account, region, bus));
        Ok(true)
    }

    // -------------------------------------------------------------- tags by ARN

    /// Applies `f` to the tags of the rule or bus with this ARN.
    pub fn with_tags<T>(&self, arn: &str, f: impl FnOnce(&mut Vec<Tag>) -> T) -> Result<T, E> {
        let mut inner = self.write();
        if let Some((key, entry)) = inner.rules.iter().find(|(_, r)| r.record.arn == arn) {
            let key = key.clone();
            let mut record = entry.record.clone();
            let before = record.tags.clone();
            let out = f(&mut record.tags);
            if record.tags != before {
                let mut b = Batch::new();
                b.put(RULES, key.clone(), &record);
                self.store.apply(b)?;
                let bkey = bus_key(&record.account, &record.region, &record.bus);
                inner.rules.insert(key, Arc::new(RuleEntry::new(record)?));
                inner.reindex(&bkey);
            }
            return Ok(out);
        }
        if let Some((key, bus)) = inner.buses.iter_mut().find(|(_, b)| b.arn == arn) {
            let before = bus.tags.clone();
            let out = f(&mut bus.tags);
            if bus.tags != before {
                let mut b = Batch::new();
                b.put(BUSES, key.clone(), &*bus);
                self.store.apply(b)?;
            }
            return Ok(out);
        }
        if arn.ends_with(":event-bus/default") {
            return Err(E::Validation(
                "Tags cannot be set on the default event bus in simfra.".into(),
            ));
        }
        Err(E::ResourceNotFound(format!(
            "Resource {arn} does not exist."
        )))
    }

    // -------------------------------------------------------------- connections

    pub fn connection(&self, account: &str, region: &str, name: &str) -> Option<ConnectionRecord> {
        self.read()
            .connections
            .get(&bus_key(account, region, name))
            .cloned()
    }

    pub fn connection_by_arn(&self, arn: &str) -> Option<ConnectionRecord> {
        self.read()
            .connections
            .values()
            .find(|c| c.arn == arn)
            .cloned()
    }

    pub fn connections(&self, account: &str, region: &str) -> Vec<ConnectionRecord> {
        self.read()
            .connections
            .values()
            .filter(|c| c.account == account && c.region == region)
            .cloned()
            .collect()
    }

    pub fn put_connection(&self, rec: ConnectionRecord, create: bool) -> Result<(), E> {
        let key = bus_key(&rec.account, &rec.region, &rec.name);
        let mut inner = self.write();
        if create && inner.connections.contains_key(&key) {
            return Err(E::ResourceAlreadyExists(format!(
                "Connection {} already exists.",
                rec.name
            )));
        }
        let mut b = Batch::new();
        b.put(CONNECTIONS, key.clone(), &rec);
        self.store.apply(b)?;
        inner.connections.insert(key, rec);
        Ok(())
    }

    pub fn delete_connection(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<ConnectionRecord, E> {
        let key = bus_key(account, region, name);
        let mut inner = self.write();
        let Some(rec) = inner.connections.get(&key).cloned() else {
            return Err(E::ResourceNotFound(format!(
                "Failed to describe the connection(s). Connection '{name}' does not exist."
            )));
        };
        let mut b = Batch::new();
        b.delete(CONNECTIONS, key.clone());
        self.store.apply(b)?;
        inner.connections.remove(&key);
        Ok(rec)
    }

    // -------------------------------------------------------------- API destinations

    pub fn destination(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Option<ApiDestinationRecord> {
        self.read()
            .destinations
            .get(&bus_key(account, region, name))
            .cloned()
    }

    pub fn destination_by_arn(&self, arn: &str) -> Option<ApiDestinationRecord> {
        self.read()
            .destinations
            .values()
            .find(|d| d.arn == arn)
            .cloned()
    }

    pub fn destinations(&self, account: &str, region: &str) -> Vec<ApiDestinationRecord> {
        self.read()
            .destinations
            .values()
            .filter(|d| d.account == account && d.region == region)
            .cloned()
            .collect()
    }

    pub fn put_destination(&self, rec: ApiDestinationRecord, create: bool) -> Result<(), E> {
        let key = bus_key(&rec.account, &rec.region, &rec.name);
        let mut inner = self.write();
        if create && inner.destinations.contains_key(&key) {
            return Err(E::ResourceAlreadyExists(format!(
                "An api-destination '{}' already exists.",
                rec.name
            )));
        }
        let mut b = Batch::new();
        b.put(DESTINATIONS, key.clone(), &rec);
        self.store.apply(b)?;
        inner.destinations.insert(key, rec);
        Ok(())
    }

    pub fn delete_destination(&self, account: &str, region: &str, name: &str) -> Result<(), E> {
        let key = bus_key(account, region, name);
        let mut inner = self.write();
        if !inner.destinations.contains_key(&key) {
            return Err(E::ResourceNotFound(format!("Failed to describe the api-destination(s). An api-destination '{name}' does not exist.")));
        }
        let mut b = Batch::new();
        b.delete(DESTINATIONS, key.clone());
        self.store.apply(b)?;
        inner.destinations.remove(&key);
        Ok(())
    }
}
