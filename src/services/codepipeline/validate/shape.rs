//! Model constraints of the pipeline declaration: every length, pattern, range, enum and list
//! size of the botocore shapes, collected with AWS's member paths
//! (`pipeline.stages.2.member.actions.1.member.runOrder`).

use crate::protocol::validate::{member, Violations};

use super::{
    free_text, role_arn, string_list, string_map, ARTIFACT_NAME, ENV_NAME, NAME, NAMESPACE,
    PROVIDER, STORE_LOCATION, VARIABLE_NAME, VERSION,
};
use crate::services::codepipeline::model::{
    ActionDeclaration, ArtifactStore, Condition, GitConfiguration, GitFilterCriteria,
    InputArtifact, PipelineDeclaration, RuleDeclaration, StageDeclaration,
};

/// Every model constraint of a declaration at `path` (`pipeline`).
pub fn pipeline(v: &mut Violations, p: &PipelineDeclaration, path: &str) {
    v.name(&format!("{path}.name"), &p.name, 1, 100, NAME);
    role_arn(v, &format!("{path}.roleArn"), &p.role_arn);
    if let Some(store) = &p.artifact_store {
        artifact_store(v, store, &format!("{path}.artifactStore"));
    }
    if let Some(stores) = &p.artifact_stores {
        let map_path = format!("{path}.artifactStores");
        if stores
            .keys()
            .any(|k| !(4..=30).contains(&k.chars().count()))
        {
            let keys: Vec<&str> = stores.keys().map(String::as_str).collect();
            v.push(
                &format!("[{}]", keys.join(", ")),
                &map_path,
                "Map keys must satisfy constraint: [Member must have length less than or equal to 30, Member must have length greater than or equal to 4]",
            );
        }
        for (region, store) in stores {
            artifact_store(v, store, &format!("{map_path}.{region}"));
        }
    }
    let stages_path = format!("{path}.stages");
    for (i, s) in p.stages.iter().enumerate() {
        stage(v, s, &member(&stages_path, i));
    }
    if let Some(version) = p.version {
        v.range(&format!("{path}.version"), version, 1, i64::MAX);
    }
    if let Some(mode) = &p.execution_mode {
        v.enumeration(&format!("{path}.executionMode"), mode);
    }
    if let Some(t) = &p.pipeline_type {
        v.enumeration(&format!("{path}.pipelineType"), t);
    }
    if let Some(vars) = &p.variables {
        let list = format!("{path}.variables");
        v.list_len(&list, vars.len(), 0, 50);
        for (i, var) in vars.iter().enumerate() {
            let m = member(&list, i);
            v.name(&format!("{m}.name"), &var.name, 1, 128, VARIABLE_NAME);
            if let Some(d) = &var.default_value {
                free_text(v, &format!("{m}.defaultValue"), d, 1, 1000);
            }
            if let Some(d) = &var.description {
                free_text(v, &format!("{m}.description"), d, 0, 200);
            }
        }
    }
    if let Some(triggers) = &p.triggers {
        let list = format!("{path}.triggers");
        v.list_len(&list, triggers.len(), 0, 50);
        for (i, t) in triggers.iter().enumerate() {
            let m = member(&list, i);
            v.enumeration(&format!("{m}.providerType"), &t.provider_type);
            git_configuration(v, &t.git_configuration, &format!("{m}.gitConfiguration"));
        }
    }
}

fn artifact_store(v: &mut Violations, s: &ArtifactStore, path: &str) {
    v.enumeration(&format!("{path}.type"), &s.store_type);
    v.name(
        &format!("{path}.location"),
        &s.location,
        3,
        63,
        STORE_LOCATION,
    );
    if let Some(key) = &s.encryption_key {
        v.length(&format!("{path}.encryptionKey.id"), &key.id, 1, 400);
        v.enumeration(&format!("{path}.encryptionKey.type"), &key.key_type);
    }
}

fn stage(v: &mut Violations, s: &StageDeclaration, path: &str) {
    v.name(&format!("{path}.name"), &s.name, 1, 100, NAME);
    if let Some(blockers) = &s.blockers {
        let list = format!("{path}.blockers");
        for (i, b) in blockers.iter().enumerate() {
            let m = member(&list, i);
            v.length(&format!("{m}.name"), &b.name, 1, 100);
            v.enumeration(&format!("{m}.type"), &b.blocker_type);
        }
    }
    let list = format!("{path}.actions");
    for (i, a) in s.actions.iter().enumerate() {
        action(v, a, &member(&list, i));
    }
    if let Some(f) = &s.on_failure {
        let p = format!("{path}.onFailure");
        if let Some(r) = &f.result {
            v.enumeration(&format!("{p}.result"), r);
        }
        if let Some(mode) = f
            .retry_configuration
            .as_ref()
            .and_then(|r| r.retry_mode.as_ref())
        {
            v.enumeration(&format!("{p}.retryConfiguration.retryMode"), mode);
        }
        if let Some(c) = &f.conditions {
            conditions(v, c, &format!("{p}.conditions"));
        }
    }
    if let Some(c) = &s.on_success {
        conditions(v, &c.conditions, &format!("{path}.onSuccess.conditions"));
    }
    if let Some(c) = &s.before_entry {
        conditions(v, &c.conditions, &format!("{path}.beforeEntry.conditions"));
    }
}

fn action(v: &mut Violations, a: &ActionDeclaration, path: &str) {
    v.name(&format!("{path}.name"), &a.name, 1, 100, NAME);
    let id = format!("{path}.actionTypeId");
    v.enumeration(&format!("{id}.category"), &a.action_type_id.category);
    v.enumeration(&format!("{id}.owner"), &a.action_type_id.owner);
    v.name(
        &format!("{id}.provider"),
        &a.action_type_id.provider,
        1,
        35,
        PROVIDER,
    );
    v.name(
        &format!("{id}.version"),
        &a.action_type_id.version,
        1,
        9,
        VERSION,
    );
    if let Some(n) = a.run_order {
        v.range(&format!("{path}.runOrder"), n, 1, 999);
    }
    if let Some(c) = &a.configuration {
        string_map(v, &format!("{path}.configuration"), c, (1, 50), (1, 1000));
    }
    if let Some(c) = &a.commands {
        string_list(v, &format!("{path}.commands"), c, (1, 50), (1, 1000));
    }
    let outs = format!("{path}.outputArtifacts");
    for (i, o) in a.output_artifacts.iter().enumerate() {
        let m = member(&outs, i);
        v.name(&format!("{m}.name"), &o.name, 1, 100, ARTIFACT_NAME);
        if let Some(files) = &o.files {
            string_list(v, &format!("{m}.files"), files, (1, 10), (1, 128));
        }
    }
    input_artifacts(v, &a.input_artifacts, &format!("{path}.inputArtifacts"));
    if let Some(vars) = &a.output_variables {
        string_list(
            v,
            &format!("{path}.outputVariables"),
            vars,
            (1, 15),
            (1, 128),
        );
    }
    if let Some(r) = &a.role_arn {
        role_arn(v, &format!("{path}.roleArn"), r);
    }
    if let Some(r) = &a.region {
        v.length(&format!("{path}.region"), r, 4, 30);
    }
    if let Some(ns) = &a.namespace {
        v.name(&format!("{path}.namespace"), ns, 1, 100, NAMESPACE);
    }
    if let Some(t) = a.timeout_in_minutes {
        v.range(&format!("{path}.timeoutInMinutes"), t, 5, 86400);
    }
    if let Some(envs) = &a.environment_variables {
        let list = format!("{path}.environmentVariables");
        v.list_len(&list, envs.len(), 1, 10);
        for (i, e) in envs.iter().enumerate() {
            let m = member(&list, i);
            v.name(&format!("{m}.name"), &e.name, 1, 128, ENV_NAME);
            free_text(v, &format!("{m}.value"), &e.value, 1, 2000);
            if let Some(t) = &e.variable_type {
                v.enumeration(&format!("{m}.type"), t);
            }
        }
    }
}

fn input_artifacts(v: &mut Violations, list: &[InputArtifact], path: &str) {
    for (i, a) in list.iter().enumerate() {
        v.name(
            &format!("{}.name", member(path, i)),
            &a.name,
            1,
            100,
            ARTIFACT_NAME,
        );
    }
}

fn conditions(v: &mut Violations, list: &[Condition], path: &str) {
    v.list_len(path, list.len(), 1, 1);
    for (i, c) in list.iter().enumerate() {
        let m = member(path, i);
        if let Some(r) = &c.result {
            v.enumeration(&format!("{m}.result"), r);
        }
        if let Some(rules) = &c.rules {
            let list = format!("{m}.rules");
            v.list_len(&list, rules.len(), 1, 5);
            for (j, r) in rules.iter().enumerate() {
                rule(v, r, &member(&list, j));
            }
        }
    }
}

fn rule(v: &mut Violations, r: &RuleDeclaration, path: &str) {
    v.name(&format!("{path}.name"), &r.name, 1, 100, NAME);
    let id = format!("{path}.ruleTypeId");
    v.enumeration(&format!("{id}.category"), &r.rule_type_id.category);
    if let Some(o) = &r.rule_type_id.owner {
        v.enumeration(&format!("{id}.owner"), o);
    }
    v.name(
        &format!("{id}.provider"),
        &r.rule_type_id.provider,
        1,
        35,
        PROVIDER,
    );
    if let Some(ver) = &r.rule_type_id.version {
        v.name(&format!("{id}.version"), ver, 1, 9, VERSION);
    }
    if let Some(c) = &r.configuration {
        let p = format!("{path}.configuration");
        v.list_len(&p, c.len(), 0, 200);
        string_map(v, &p, c, (1, 50), (1, 10000));
    }
    if let Some(c) = &r.commands {
        string_list(v, &format!("{path}.commands"), c, (1, 50), (1, 1000));
    }
    if let Some(inputs) = &r.input_artifacts {
        input_artifacts(v, inputs, &format!("{path}.inputArtifacts"));
    }
    if let Some(a) = &r.role_arn {
        role_arn(v, &format!("{path}.roleArn"), a);
    }
    if let Some(a) = &r.region {
        v.length(&format!("{path}.region"), a, 4, 30);
    }
    if let Some(t) = r.timeout_in_minutes {
        v.range(&format!("{path}.timeoutInMinutes"), t, 5, 86400);
    }
}

fn git_configuration(v: &mut Violations, g: &GitConfiguration, path: &str) {
    v.name(
        &format!("{path}.sourceActionName"),
        &g.source_action_name,
        1,
        100,
        NAME,
    );
    if let Some(push) = &g.push {
        let list = format!("{path}.push");
        v.list_len(&list, push.len(), 1, 3);
        for (i, f) in push.iter().enumerate() {
            let m = member(&list, i);
            criteria(v, f.tags.as_ref(), &format!("{m}.tags"), false);
            criteria(v, f.branches.as_ref(), &format!("{m}.branches"), true);
            criteria(v, f.file_paths.as_ref(), &format!("{m}.filePaths"), true);
        }
    }
    if let Some(prs) = &g.pull_request {
        let list = format!("{path}.pullRequest");
        v.list_len(&list, prs.len(), 1, 3);
        for (i, f) in prs.iter().enumerate() {
            let m = member(&list, i);
            if let Some(events) = &f.events {
                let ev = format!("{m}.events");
                v.list_len(&ev, events.len(), 1, 3);
                for (j, e) in events.iter().enumerate() {
                    v.enumeration(&member(&ev, j), e);
                }
            }
            criteria(v, f.branches.as_ref(), &format!("{m}.branches"), true);
            criteria(v, f.file_paths.as_ref(), &format!("{m}.filePaths"), true);
        }
    }
}

/// Glob lists: 1-8 patterns of 1-255 characters (branch and path patterns are `.*`).
fn criteria(v: &mut Violations, c: Option<&GitFilterCriteria>, path: &str, single_line: bool) {
    let Some(c) = c else { return };
    for (side, list) in [("includes", &c.includes), ("excludes", &c.excludes)] {
        let Some(list) = list else { continue };
        let p = format!("{path}.{side}");
        v.list_len(&p, list.len(), 1, 8);
        for (i, s) in list.iter().enumerate() {
            if single_line {
                free_text(v, &member(&p, i), s, 1, 255);
            } else {
                v.length(&member(&p, i), s, 1, 255);
            }
        }
    }
}
