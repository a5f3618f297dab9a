//! Thin handlers: validate, one call into the state, encode.

use std::sync::Arc;

use serde_json::Value;

use super::delivery::{split_arn, Command};
use super::errors::EventsError as E;
use super::model::*;
use super::pattern::Pattern;
use super::schedule::Schedule;
use super::state::{bus_arn, rule_arn, rule_key, RuleEntry, DEFAULT_BUS};
use super::validate::{self as val, finish};
use super::{transform, Events};
use crate::protocol::validate::{member, Violations};
use crate::protocol::{RequestContext, Timestamp};

type R<T> = Result<T, E>;

/// PutEvents' limit on the total size of a request's entries.
const PUT_EVENTS_MAX_BYTES: usize = 256 * 1024;
const MAX_TARGETS_PER_RULE: usize = 5;

fn rule_view(r: &RuleRecord) -> RuleView {
    RuleView {
        name: r.name.clone(),
        arn: r.arn.clone(),
        event_pattern: r.event_pattern.clone(),
        schedule_expression: r.schedule_expression.clone(),
        state: r.state.clone(),
        description: r.description.clone(),
        role_arn: r.role_arn.clone(),
        event_bus_name: r.bus.clone(),
        created_by: Some(r.account.clone()),
    }
}

fn require_bus(ev: &Events, ctx: &RequestContext, bus: &str) -> R<()> {
    if ev.state.bus_exists(&ctx.account_id, &ctx.region, bus) {
        Ok(())
    } else {
        Err(E::bus_not_found(bus))
    }
}

// ---------------------------------------------------------------------------- rules

pub fn put_rule(ev: &Events, ctx: &RequestContext, input: PutRuleInput) -> R<PutRuleOutput> {
    let mut v = Violations::new();
    v.name("name", &input.name, 1, 64, val::RULE_NAME);
    let bus = val::bus_name(&mut v, "eventBusName", input.event_bus_name.as_deref());
    val::optional_length(
        &mut v,
        "scheduleExpression",
        input.schedule_expression.as_deref(),
        256,
    );
    val::optional_length(&mut v, "eventPattern", input.event_pattern.as_deref(), 4096);
    val::optional_length(&mut v, "description", input.description.as_deref(), 512);
    val::optional_length(&mut v, "roleArn", input.role_arn.as_deref(), 1600);
    if let Some(s) = &input.state {
        v.enumeration("state", s);
    }
    if let Some(t) = &input.tags {
        val::tags(&mut v, "tags", t);
    }
    finish(v)?;
    if input.event_pattern.is_none() && input.schedule_expression.is_none() {
        return Err(E::Validation(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.".into(),
        ));
    }
    if let Some(expr) = &input.schedule_expression {
        if bus != DEFAULT_BUS {
            return Err(E::Validation(
                "ScheduleExpression is supported only on the default event bus.".into(),
            ));
        }
        Schedule::parse(expr).map_err(|why| {
            E::Validation(format!("Parameter ScheduleExpression is not valid: {why}"))
        })?;
    }
    require_bus(ev, ctx, &bus)?;
    let existing = ev
        .state
        .rule(&ctx.account_id, &ctx.region, &bus, &input.name);
    let arn = rule_arn(&ctx.account_id, &ctx.region, &bus, &input.name);
    let record = RuleRecord {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        bus: bus.clone(),
        name: input.name.clone(),
        arn: arn.clone(),
        event_pattern: input.event_pattern,
        schedule_expression: input.schedule_expression,
        state: input
            .state
            .map(|s| s.to_string())
            .unwrap_or_else(|| "ENABLED".into()),
        description: input.description,
        role_arn: input.role_arn,
        // PutRule replaces the rule but keeps its targets and tags (new tags are added).
        targets: existing
            .as_ref()
            .map(|e| e.record.targets.clone())
            .unwrap_or_default(),
        tags: {
            let mut tags = existing
                .as_ref()
                .map(|e| e.record.tags.clone())
                .unwrap_or_default();
            merge_tags(&mut tags, input.tags.unwrap_or_default());
            tags
        },
        created_ms: Timestamp::now().millis(),
    };
    let entry = RuleEntry::new(record)?;
    ev.state.put_rule(entry)?;
    ev.send(Command::Reschedule(rule_key(
        &ctx.account_id,
        &ctx.region,
        &bus,
        &input.name,
    )));
    Ok(PutRuleOutput { rule_arn: arn })
}

fn merge_tags(tags: &mut Vec<Tag>, new: Vec<Tag>) {
    for t in new {
        match tags.iter_mut().find(|x| x.key == t.key) {
            Some(x) => x.value = t.value,
            None => tags.push(t),
        }
    }
}

fn rule_ref(v: &mut Violations, name: &str, bus: Option<&str>) -> String {
    v.name("name", name, 1, 64, val::RULE_NAME);
    val::bus_name(v, "eventBusName", bus)
}

pub fn describe_rule(ev: &Events, ctx: &RequestContext, input: RuleRef) -> R<RuleView> {
    let mut v = Violations::new();
    let bus = rule_ref(&mut v, &input.name, input.event_bus_name.as_deref());
    finish(v)?;
    let rule = ev
        .state
        .rule(&ctx.account_id, &ctx.region, &bus, &input.name)
        .ok_or_else(|| E::rule_not_found(&input.name, &bus))?;
    Ok(rule_view(&rule.record))
}

pub fn delete_rule(ev: &Events, ctx: &RequestContext, input: RuleRef) -> R<Empty> {
    let mut v = Violations::new();
    let bus = rule_ref(&mut v, &input.name, input.event_bus_name.as_deref());
    finish(v)?;
    ev.state.delete_rule(
        &ctx.account_id,
        &ctx.region,
        &bus,
        &input.name,
        input.force.unwrap_or(false),
    )?;
    ev.send(Command::Reschedule(rule_key(
        &ctx.account_id,
        &ctx.region,
        &bus,
        &input.name,
    )));
    Ok(Empty {})
}

fn set_state(ev: &Events, ctx: &RequestContext, input: RuleRef, state: &str) -> R<Empty> {
    let mut v = Violations::new();
    let bus = rule_ref(&mut v, &input.name, input.event_bus_name.as_deref());
    finish(v)?;
    ev.state
        .update_rule(&ctx.account_id, &ctx.region, &bus, &input.name, |r| {
            r.state = state.to_string();
            Ok(())
        })?;
    ev.send(Command::Reschedule(rule_key(
        &ctx.account_id,
        &ctx.region,
        &bus,
        &input.name,
    )));
    Ok(Empty {})
}

pub fn enable_rule(ev: &Events, ctx: &RequestContext, input: RuleRef) -> R<Empty> {
    set_state(ev, ctx, input, "ENABLED")
}

pub fn disable_rule(ev: &Events, ctx: &RequestContext, input: RuleRef) -> R<Empty> {
    set_state(ev, ctx, input, "DISABLED")
}

pub fn list_rules(ev: &Events, ctx: &RequestContext, input: ListRulesInput) -> R<ListRulesOutput> {
    let mut v = Violations::new();
    let bus = val::bus_name(&mut v, "eventBusName", input.event_bus_name.as_deref());
    if let Some(p) = &input.name_prefix {
        v.name("namePrefix", p, 1, 64, val::RULE_NAME);
    }
    let limit = val::limit(&mut v, "limit", input.limit);
    let start = val::token(&mut v, input.next_token.as_deref());
    finish(v)?;
    require_bus(ev, ctx, &bus)?;
    let rules: Vec<RuleView> = ev
        .state
        .rules_of_bus(&ctx.account_id, &ctx.region, &bus)
        .iter()
        .filter(|r| {
            input
                .name_prefix
                .as_deref()
                .is_none_or(|p| r.record.name.starts_with(p))
        })
        .map(|r| rule_view(&r.record))
        .collect();
    let (rules, next_token) = val::page(rules, start, limit);
    Ok(ListRulesOutput { rules, next_token })
}

// ---------------------------------------------------------------------------- targets

fn validate_target(v: &mut Violations, path: &str, t: &Target) {
    v.name(&format!("{path}.id"), &t.id, 1, 64, val::TARGET_ID);
    v.length(&format!("{path}.arn"), &t.arn, 1, 1600);
    if split_arn(&t.arn).is_none() {
        v.push(&t.arn, &format!("{path}.arn"), "Member must be an ARN");
    }
    val::optional_length(v, &format!("{path}.input"), t.input.as_deref(), 8192);
    val::optional_length(
        v,
        &format!("{path}.inputPath"),
        t.input_path.as_deref(),
        256,
    );
    if let Some(rp) = &t.retry_policy {
        if let Some(n) = rp.maximum_retry_attempts {
            v.range(
                &format!("{path}.retryPolicy.maximumRetryAttempts"),
                n,
                0,
                185,
            );
        }
        if let Some(n) = rp.maximum_event_age_in_seconds {
            v.range(
                &format!("{path}.retryPolicy.maximumEventAgeInSeconds"),
                n,
                60,
                86400,
            );
        }
    }
    if let Some(it) = &t.input_transformer {
        v.length(
            &format!("{path}.inputTransformer.inputTemplate"),
            &it.input_template,
            1,
            8192,
        );
        if let Some(m) = &it.input_paths_map {
            v.list_len(
                &format!("{path}.inputTransformer.inputPathsMap"),
                m.len(),
                0,
                100,
            );
        }
    }
}

/// Semantic checks of one target (the request-level ValidationException AWS answers).
fn check_target(t: &Target) -> R<()> {
    let given = [
        t.input.is_some(),
        t.input_path.is_some(),
        t.input_transformer.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given > 1 {
        return Err(E::Validation(format!(
            "Target {}: only one of Input, InputPath and InputTransformer may be given.",
            t.id
        )));
    }
    if let Some(input) = &t.input {
        serde_json::from_str::<Value>(input)
            .map_err(|e| E::Validation(format!("Target {}: Input is not valid JSON: {e}", t.id)))?;
    }
    if let Some(p) = &t.input_path {
        transform::check_path(p).map_err(|why| {
            E::Validation(format!("Target {}: InputPath is not valid: {why}", t.id))
        })?;
    }
    if let Some(it) = &t.input_transformer {
        for (name, path) in it.input_paths_map.iter().flatten() {
            if name.starts_with("aws.") {
                return Err(E::Validation(format!(
                    "Target {}: InputPathsMap key {name} is reserved (names starting with 'aws.' are predefined).",
                    t.id
                )));
            }
            transform::check_path(path).map_err(|why| {
                E::Validation(format!(
                    "Target {}: InputPathsMap value for {name} is not valid: {why}",
                    t.id
                ))
            })?;
        }
    }
    Ok(())
}

pub fn put_targets(
    ev: &Events,
    ctx: &RequestContext,
    input: PutTargetsInput,
) -> R<FailedEntriesOutput> {
    let mut v = Violations::new();
    let bus = rule_ref(&mut v, &input.rule, input.event_bus_name.as_deref());
    v.list_len("targets", input.targets.len(), 1, 100);
    for (i, t) in input.targets.iter().enumerate() {
        validate_target(&mut v, &member("targets", i), t);
    }
    finish(v)?;
    for t in &input.targets {
        check_target(t)?;
    }
    let mut failed = Vec::new();
    // Targets on resources simfra keeps must exist (looked up before the rule is locked).
    let missing: Vec<bool> = input
        .targets
        .iter()
        .map(|t| {
            t.arn.contains(":api-destination/") && ev.state.destination_by_arn(&t.arn).is_none()
        })
        .collect();
    ev.state
        .update_rule(&ctx.account_id, &ctx.region, &bus, &input.rule, |r| {
            for (t, missing) in input.targets.into_iter().zip(missing) {
                if missing {
                    failed.push(FailedEntry {
                        target_id: t.id.clone(),
                        error_code: "ResourceNotFoundException".into(),
                        error_message: format!("API destination {} does not exist.", t.arn),
                    });
                    continue;
                }
                let count = r.targets.len();
                match r.targets.iter_mut().find(|x| x.id == t.id) {
                    Some(x) => *x = t,
                    None if count >= MAX_TARGETS_PER_RULE => failed.push(FailedEntry {
                        target_id: t.id.clone(),
                        error_code: "LimitExceededException".into(),
                        error_message: format!(
                            "The requested resource exceeds the maximum number allowed: a rule has at most {MAX_TARGETS_PER_RULE} targets."
                        ),
                    }),
                    None => r.targets.push(t),
                }
            }
            Ok(())
        })?;
    Ok(FailedEntriesOutput {
        failed_entry_count: failed.len(),
        failed_entries: failed,
    })
}

pub fn remove_targets(
    ev: &Events,
    ctx: &RequestContext,
    input: RemoveTargetsInput,
) -> R<FailedEntriesOutput> {
    let mut v = Violations::new();
    let bus = rule_ref(&mut v, &input.rule, input.event_bus_name.as_deref());
    v.list_len("ids", input.ids.len(), 1, 100);
    for (i, id) in input.ids.iter().enumerate() {
        v.name(&member("ids", i), id, 1, 64, val::TARGET_ID);
    }
    finish(v)?;
    let _ = input.force;
    let mut failed = Vec::new();
    ev.state
        .update_rule(&ctx.account_id, &ctx.region, &bus, &input.rule, |r| {
            for id in &input.ids {
                match r.targets.iter().position(|t| &t.id == id) {
                    Some(i) => {
                        r.targets.remove(i);
                    }
                    None => failed.push(FailedEntry {
                        target_id: id.clone(),
                        error_code: "ResourceNotFoundException".into(),
                        error_message: format!(
                            "Target {id} does not exist on rule {}.",
                            input.rule
                        ),
                    }),
                }
            }
            Ok(())
        })?;
    Ok(FailedEntriesOutput {
        failed_entry_count: failed.len(),
        failed_entries: failed,
    })
}

pub fn list_targets_by_rule(
    ev: &Events,
    ctx: &RequestContext,
    input: ListTargetsByRuleInput,
) -> R<ListTargetsByRuleOutput> {
    let mut v = Violations::new();
    let bus = rule_ref(&mut v, &input.rule, input.event_bus_name.as_deref());
    let limit = val::limit(&mut v, "limit", input.limit);
    let start = val::token(&mut v, input.next_token.as_deref());
    finish(v)?;
    let rule = ev
        .state
        .rule(&ctx.account_id, &ctx.region, &bus, &input.rule)
        .ok_or_else(|| E::rule_not_found(&input.rule, &bus))?;
    let (targets, next_token) = val::page(rule.record.targets.clone(), start, limit);
    Ok(ListTargetsByRuleOutput {
        targets,
        next_token,
    })
}

pub fn list_rule_names_by_target(
    ev: &Events,
    ctx: &RequestContext,
    input: ListRuleNamesByTargetInput,
) -> R<ListRuleNamesByTargetOutput> {
    let mut v = Violations::new();
    v.length("targetArn", &input.target_arn, 1, 1600);
    let bus = val::bus_name(&mut v, "eventBusName", input.event_bus_name.as_deref());
    let limit = val::limit(&mut v, "limit", input.limit);
    let start = val::token(&mut v, input.next_token.as_deref());
    finish(v)?;
    require_bus(ev, ctx, &bus)?;
    let names: Vec<String> = ev
        .state
        .rules_of_bus(&ctx.account_id, &ctx.region, &bus)
        .iter()
        .filter(|r| r.record.targets.iter().any(|t| t.arn == input.target_arn))
        .map(|r| r.record.name.clone())
        .collect();
    let (rule_names, next_token) = val::page(names, start, limit);
    Ok(ListRuleNamesByTargetOutput {
        rule_names,
        next_token,
    })
}

// ---------------------------------------------------------------------------- events

/// An entry's size as AWS counts it towards the 256 KB limit.
fn entry_size(e: &PutEventsEntry) -> usize {
    let mut n = 0;
    if e.time.is_some() {
        n += 14;
    }
    n += e.source.as_deref().map_or(0, str::len);
    n += e.detail_type.as_deref().map_or(0, str::len);
    n += e.detail.as_deref().map_or(0, str::len);
    n += e.resources.iter().flatten().map(String::len).sum::<usize>();
    n
}

fn entry_error(code: &str, message: impl Into<String>) -> PutEventsResultEntry {
    PutEventsResultEntry {
        event_id: None,
        error_code: Some(code.to_string()),
        error_message: Some(message.into()),
    }
}

pub fn put_events(ev: &Events, ctx: &RequestContext, input: PutEventsInput) -> R<PutEventsOutput> {
    let mut v = Violations::new();
    v.list_len("entries", input.entries.len(), 1, 10);
    finish(v)?;
    let total: usize = input.entries.iter().map(entry_size).sum();
    if total > PUT_EVENTS_MAX_BYTES {
        return Err(E::Validation(format!(
            "Total size of the entries in the request is over the limit ({total} bytes; the limit is {PUT_EVENTS_MAX_BYTES})."
        )));
    }
    let _ = &input.endpoint_id;
    let mut out = Vec::with_capacity(input.entries.len());
    for e in input.entries {
        out.push(put_event(ev, ctx, e));
    }
    Ok(PutEventsOutput {
        failed_entry_count: out.iter().filter(|e| e.error_code.is_some()).count(),
        entries: out,
    })
}

fn put_event(ev: &Events, ctx: &RequestContext, e: PutEventsEntry) -> PutEventsResultEntry {
    let Some(source) = e.source.filter(|s| !s.is_empty()) else {
        return entry_error(
            "InvalidArgument",
            "Parameter Source is not valid. Reason: Source is a required argument.",
        );
    };
    let Some(detail_type) = e.detail_type.filter(|s| !s.is_empty()) else {
        return entry_error(
            "InvalidArgument",
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
        );
    };
    let Some(detail) = e.detail else {
        return entry_error(
            "InvalidArgument",
            "Parameter Detail is not valid. Reason: Detail is a required argument.",
        );
    };
    let detail: Value = match serde_json::from_str(&detail) {
        Ok(v @ Value::Object(_)) => v,
        _ => return entry_error("MalformedDetail", "Detail is malformed."),
    };
    // Services publish `aws.*` events themselves (the internal bus); callers may not.
    if source.starts_with("aws.") {
        return entry_error(
            "NotAuthorizedForSourceException",
            "Not authorized for the source.",
        );
    }
    let mut v = Violations::new();
    let bus = val::bus_name(&mut v, "eventBusName", e.event_bus_name.as_deref());
    if v.finish().is_err() || !ev.state.bus_exists(&ctx.account_id, &ctx.region, &bus) {
        return entry_error(
            "ResourceNotFoundException",
            format!("Event bus {bus} does not exist."),
        );
    }
    let _ = e.trace_header;
    let mut event = crate::bus::Event::new(
        &source,
        &detail_type,
        &ctx.account_id,
        &ctx.region,
        e.resources.unwrap_or_default(),
        detail,
    );
    if let Some(t) = e.time {
        if let Some(dt) = chrono::DateTime::from_timestamp_millis(t.millis()) {
            event.time = dt.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        }
    }
    let id = event.id.clone();
    match serde_json::to_value(&event) {
        Ok(value) => ev.send(Command::Dispatch {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            bus,
            event: Arc::new(value),
            hops: 0,
        }),
        Err(err) => return entry_error("InternalFailure", err.to_string()),
    }
    PutEventsResultEntry {
        event_id: Some(id),
        ..Default::default()
    }
}

pub fn test_event_pattern(
    _ev: &Events,
    _ctx: &RequestContext,
    input: TestEventPatternInput,
) -> R<TestEventPatternOutput> {
    let pattern =
        Pattern::parse(&input.event_pattern).map_err(|e| E::InvalidEventPattern(e.to_string()))?;
    let event: Value = serde_json::from_str(&input.event)
        .map_err(|e| E::Validation(format!("Parameter Event is not valid: {e}")))?;
    let Value::Object(map) = &event else {
        return Err(E::Validation(
            "Parameter Event is not valid: it must be a JSON object.".into(),
        ));
    };
    for field in ["id", "account", "source", "time", "region", "detail-type"] {
        if !map.contains_key(field) {
            return Err(E::Validation(format!(
                "Parameter Event is not valid. Reason: Provided Event is missing required field {field}."
            )));
        }
    }
    Ok(TestEventPatternOutput {
        result: pattern.matches(&event),
    })
}

// ---------------------------------------------------------------------------- buses

fn bus_view(b: &BusRecord) -> BusView {
    BusView {
        name: b.name.clone(),
        arn: b.arn.clone(),
        description: b.description.clone(),
        creation_time: Timestamp(b.created_ms),
        last_modified_time: Timestamp(b.modified_ms),
    }
}

pub fn create_event_bus(
    ev: &Events,
    ctx: &RequestContext,
    input: CreateEventBusInput,
) -> R<CreateEventBusOutput> {
    let mut v = Violations::new();
    v.name("name", &input.name, 1, 256, val::BUS_NAME);
    val::optional_length(&mut v, "description", input.description.as_deref(), 512);
    if let Some(t) = &input.tags {
        val::tags(&mut v, "tags", t);
    }
    finish(v)?;
    if input.event_source_name.is_some() {
        return Err(E::Validation(
            "Partner event buses are not supported by simfra.".into(),
        ));
    }
    if input.name.contains('/') {
        return Err(E::Validation(format!(
            "Event bus name {} is not valid: '/' is allowed only in partner event bus names.",
            input.name
        )));
    }
    let now = Timestamp::now().millis();
    let arn = bus_arn(&ctx.account_id, &ctx.region, &input.name);
    ev.state.create_bus(BusRecord {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        name: input.name,
        arn: arn.clone(),
        description: input.description.clone(),
        tags: input.tags.unwrap_or_default(),
        created_ms: now,
        modified_ms: now,
    })?;
    Ok(CreateEventBusOutput {
        event_bus_arn: arn,
        description: input.description,
    })
}

pub fn describe_event_bus(ev: &Events, ctx: &RequestContext, input: BusRef) -> R<BusView> {
    let mut v = Violations::new();
    let name = val::bus_name(&mut v, "name", input.name.as_deref());
    finish(v)?;
    ev.state
        .bus(&ctx.account_id, &ctx.region, &name)
        .map(|b| bus_view(&b))
        .ok_or_else(|| E::bus_not_found(&name))
}

pub fn delete_event_bus(ev: &Events, ctx: &RequestContext, input: NameRef) -> R<Empty> {
    let mut v = Violations::new();
    v.name("name", &input.name, 1, 256, val::BUS_NAME);
    finish(v)?;
    for key in ev
        .state
        .delete_bus(&ctx.account_id, &ctx.region, &input.name)?
    {
        ev.send(Command::Reschedule(key));
    }
    Ok(Empty {})
}

pub fn list_event_buses(
    ev: &Events,
    ctx: &RequestContext,
    input: ListEventBusesInput,
) -> R<ListEventBusesOutput> {
    let mut v = Violations::new();
    if let Some(p) = &input.name_prefix {
        v.name("namePrefix", p, 1, 256, val::BUS_NAME);
    }
    let limit = val::limit(&mut v, "limit", input.limit);
    let start = val::token(&mut v, input.next_token.as_deref());
    finish(v)?;
    let buses: Vec<BusView> = ev
        .state
        .buses(&ctx.account_id, &ctx.region)
        .iter()
        .filter(|b| {
            input
                .name_prefix
                .as_deref()
                .is_none_or(|p| b.name.starts_with(p))
        })
        .map(bus_view)
        .collect();
    let (event_buses, next_token) = val::page(buses, start, limit);
    Ok(ListEventBusesOutput {
        event_buses,
        next_token,
    })
}

// ---------------------------------------------------------------------------- tags

pub fn tag_resource(ev: &Events, _ctx: &RequestContext, input: TagResourceInput) -> R<Empty> {
    let mut v = Violations::new();
    v.length("resourceARN", &input.resource_arn, 1, 1600);
    val::tags(&mut v, "tags", &input.tags);
    finish(v)?;
    ev.state
        .with_tags(&input.resource_arn, |tags| merge_tags(tags, input.tags))?;
    Ok(Empty {})
}

pub fn untag_resource(ev: &Events, _ctx: &RequestContext, input: UntagResourceInput) -> R<Empty> {
    let mut v = Violations::new();
    v.length("resourceARN", &input.resource_arn, 1, 1600);
    finish(v)?;
    ev.state.with_tags(&input.resource_arn, |tags| {
        tags.retain(|t| !input.tag_keys.contains(&t.key))
    })?;
    Ok(Empty {})
}

pub fn list_tags_for_resource(
    ev: &Events,
    _ctx: &RequestContext,
    input: ListTagsForResourceInput,
) -> R<ListTagsForResourceOutput> {
    let mut v = Violations::new();
    v.length("resourceARN", &input.resource_arn, 1, 1600);
    finish(v)?;
    let tags = ev
        .state
        .with_tags(&input.resource_arn, |tags| tags.clone())?;
    Ok(ListTagsForResourceOutput { tags })
}

// ---------------------------------------------------------------------------- connections

fn connection_view(c: &ConnectionRecord) -> ConnectionView {
    ConnectionView {
        connection_arn: c.arn.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        connection_state: "AUTHORIZED".into(),
        authorization_type: c.authorization_type.clone(),
        secret_arn: Some(format!(
            "arn:aws:secretsmanager:{}:{}:secret:events!connection/{}",
            c.region, c.account, c.name
        )),
        auth_parameters: Some(c.auth.redacted()),
        creation_time: Timestamp(c.created_ms),
        last_modified_time: Timestamp(c.modified_ms),
        last_authorized_time: Timestamp(c.modified_ms),
    }
}

pub fn create_connection(
    ev: &Events,
    ctx: &RequestContext,
    input: CreateConnectionInput,
) -> R<ConnectionOutput> {
    let mut v = Violations::new();
    v.name("name", &input.name, 1, 64, val::RULE_NAME);
    v.enumeration("authorizationType", &input.authorization_type);
    val::optional_length(&mut v, "description", input.description.as_deref(), 512);
    finish(v)?;
    let a = &input.auth_parameters;
    let ok = match input.authorization_type {
        AuthorizationType::Basic => a
            .basic_auth_parameters
            .as_ref()
            .is_some_and(|b| b.password.is_some()),
        AuthorizationType::ApiKey => a
            .api_key_auth_parameters
            .as_ref()
            .is_some_and(|k| k.api_key_value.is_some()),
        AuthorizationType::OauthClientCredentials => a.o_auth_parameters.is_some(),
        AuthorizationType::Unknown(_) => false,
    };
    if !ok {
        return Err(E::Validation(format!(
            "The AuthParameters must include the parameters of authorization type {}.",
            input.authorization_type
        )));
    }
    let now = Timestamp::now().millis();
    let rec = ConnectionRecord {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        name: input.name.clone(),
        arn: format!(
            "arn:aws:events:{}:{}:connection/{}/{}",
            ctx.region,
            ctx.account_id,
            input.name,
            uuid::Uuid::new_v4()
        ),
        description: input.description,
        authorization_type: input.authorization_type.to_string(),
        auth: input.auth_parameters,
        created_ms: now,
        modified_ms: now,
    };
    ev.state.put_connection(rec.clone(), true)?;
    Ok(ConnectionOutput {
        connection_arn: rec.arn,
        connection_state: "AUTHORIZED".into(),
        creation_time: Timestamp(now),
        last_modified_time: Timestamp(now),
    })
}

fn connection_not_found(name: &str) -> E {
    E::ResourceNotFound(format!(
        "Failed to describe the connection(s). Connection '{name}' does not exist."
    ))
}

pub fn describe_connection(ev: &Events, ctx: &RequestContext, input: NameRef) -> R<ConnectionView> {
    ev.state
        .connection(&ctx.account_id, &ctx.region, &input.name)
        .map(|c| connection_view(&c))
        .ok_or_else(|| connection_not_found(&input.name))
}

pub fn delete_connection(ev: &Events, ctx: &RequestContext, input: NameRef) -> R<ConnectionOutput> {
    let c = ev
        .state
        .delete_connection(&ctx.account_id, &ctx.region, &input.name)?;
    Ok(ConnectionOutput {
        connection_arn: c.arn,
        connection_state: "DELETING".into(),
        creation_time: Timestamp(c.created_ms),
        last_modified_time: Timestamp::now(),
    })
}

pub fn list_connections(
    ev: &Events,
    ctx: &RequestContext,
    input: ListConnectionsInput,
) -> R<ListConnectionsOutput> {
    let mut v = Violations::new();
    let limit = val::limit(&mut v, "limit", input.limit);
    let start = val::token(&mut v, input.next_token.as_deref());
    finish(v)?;
    let list: Vec<ConnectionView> = ev
        .state
        .connections(&ctx.account_id, &ctx.region)
        .iter()
        .filter(|c| {
            input
                .name_prefix
                .as_deref()
                .is_none_or(|p| c.name.starts_with(p))
        })
        .filter(|_| {
            input
                .connection_state
                .as_deref()
                .is_none_or(|s| s == "AUTHORIZED")
        })
        .map(|c| {
            let mut view = connection_view(c);
            view.auth_parameters = None;
            view.secret_arn = None;
            view
        })
        .collect();
    let (connections, next_token) = val::page(list, start, limit);
    Ok(ListConnectionsOutput {
        connections,
        next_token,
    })
}

// ---------------------------------------------------------------------------- API destinations

fn destination_view(d: &ApiDestinationRecord) -> ApiDestinationView {
    ApiDestinationView {
        api_destination_arn: d.arn.clone(),
        name: d.name.clone(),
        description: d.description.clone(),
        api_destination_state: "ACTIVE".into(),
        connection_arn: d.connection_arn.clone(),
        invocation_endpoint: d.endpoint.clone(),
        http_method: d.method.clone(),
        invocation_rate_limit_per_second: d.rate_limit,
        creation_time: Timestamp(d.created_ms),
        last_modified_time: Timestamp(d.modified_ms),
    }
}

fn destination_out(d: &ApiDestinationRecord) -> ApiDestinationOutput {
    ApiDestinationOutput {
        api_destination_arn: d.arn.clone(),
        api_destination_state: "ACTIVE".into(),
        creation_time: Timestamp(d.created_ms),
        last_modified_time: Timestamp(d.modified_ms),
    }
}

fn validate_destination(v: &mut Violations, input: &ApiDestinationInput, create: bool) {
    v.name("name", &input.name, 1, 64, val::RULE_NAME);
    val::optional_length(v, "description", input.description.as_deref(), 512);
    if create {
        v.required("connectionArn", &input.connection_arn);
        v.required("invocationEndpoint", &input.invocation_endpoint);
        v.required("httpMethod", &input.http_method);
    }
    if let Some(m) = &input.http_method {
        v.enumeration("httpMethod", m);
    }
    if let Some(e) = &input.invocation_endpoint {
        v.length("invocationEndpoint", e, 1, 2048);
    }
    if let Some(n) = input.invocation_rate_limit_per_second {
        v.range("invocationRateLimitPerSecond", n, 1, i64::from(i32::MAX));
    }
}

fn require_connection(ev: &Events, arn: &str) -> R<()> {
    ev.state
        .connection_by_arn(arn)
        .map(|_| ())
        .ok_or_else(|| E::ResourceNotFound(format!("Connection {arn} does not exist.")))
}

pub fn create_api_destination(
    ev: &Events,
    ctx: &RequestContext,
    input: ApiDestinationInput,
) -> R<ApiDestinationOutput> {
    let mut v = Violations::new();
    validate_destination(&mut v, &input, true);
    finish(v)?;
    let conn = input.connection_arn.clone().unwrap_or_default();
    require_connection(ev, &conn)?;
    let now = Timestamp::now().millis();
    let rec = ApiDestinationRecord {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        name: input.name.clone(),
        arn: format!(
            "arn:aws:events:{}:{}:api-destination/{}/{}",
            ctx.region,
            ctx.account_id,
            input.name,
            uuid::Uuid::new_v4()
        ),
        description: input.description,
        connection_arn: conn,
        endpoint: input.invocation_endpoint.unwrap_or_default(),
        method: input.http_method.map(|m| m.to_string()).unwrap_or_default(),
        rate_limit: input.invocation_rate_limit_per_second,
        created_ms: now,
        modified_ms: now,
    };
    ev.state.put_destination(rec.clone(), true)?;
    Ok(destination_out(&rec))
}

fn destination_not_found(name: &str) -> E {
    E::ResourceNotFound(format!(
        "Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
    ))
}

pub fn update_api_destination(
    ev: &Events,
    ctx: &RequestContext,
    input: ApiDestinationInput,
) -> R<ApiDestinationOutput> {
    let mut v = Violations::new();
    validate_destination(&mut v, &input, false);
    finish(v)?;
    let mut rec = ev
        .state
        .destination(&ctx.account_id, &ctx.region, &input.name)
        .ok_or_else(|| destination_not_found(&input.name))?;
    if let Some(c) = input.connection_arn {
        require_connection(ev, &c)?;
        rec.connection_arn = c;
    }
    if let Some(d) = input.description {
        rec.description = Some(d);
    }
    if let Some(e) = input.invocation_endpoint {
        rec.endpoint = e;
    }
    if let Some(m) = input.http_method {
        rec.method = m.to_string();
    }
    if let Some(n) = input.invocation_rate_limit_per_second {
        rec.rate_limit = Some(n);
    }
    rec.modified_ms = Timestamp::now().millis();
    ev.state.put_destination(rec.clone(), false)?;
    Ok(destination_out(&rec))
}

pub fn describe_api_destination(
    ev: &Events,
    ctx: &RequestContext,
    input: NameRef,
) -> R<ApiDestinationView> {
    ev.state
        .destination(&ctx.account_id, &ctx.region, &input.name)
        .map(|d| destination_view(&d))
        .ok_or_else(|| destination_not_found(&input.name))
}

pub fn delete_api_destination(ev: &Events, ctx: &RequestContext, input: NameRef) -> R<Empty> {
    ev.state
        .delete_destination(&ctx.account_id, &ctx.region, &input.name)?;
    Ok(Empty {})
}

pub fn list_api_destinations(
    ev: &Events,
    ctx: &RequestContext,
    input: ListApiDestinationsInput,
) -> R<ListApiDestinationsOutput> {
    let mut v = Violations::new();
    let limit = val::limit(&mut v, "limit", input.limit);
    let start = val::token(&mut v, input.next_token.as_deref());
    finish(v)?;
    let list: Vec<ApiDestinationView> = ev
        .state
        .destinations(&ctx.account_id, &ctx.region)
        .iter()
        .filter(|d| {
            input
                .name_prefix
                .as_deref()
                .is_none_or(|p| d.name.starts_with(p))
        })
        .filter(|d| {
            input
                .connection_arn
                .as_deref()
                .is_none_or(|c| d.connection_arn == c)
        })
        .map(destination_view)
        .collect();
    let (api_destinations, next_token) = val::page(list, start, limit);
    Ok(ListApiDestinationsOutput {
        api_destinations,
        next_token,
    })
}
