//! The semantic rules of a pipeline declaration (reference table 2.3), after its model
//! constraints passed: pipeline type and trigger rules (`ValidationException`), structure
//! (`InvalidStructureException`), stages (`InvalidStageDeclarationException`,
//! `InvalidBlockerDeclarationException`) and actions (`InvalidActionDeclarationException`),
//! checked in that order; the first broken rule is answered (the stage rules live in
//! `stages`). Also the defaults AWS fills in, and the masking of secret configuration values.
//!
//! AWS confirms only a few of these messages (quoted in the reference); the others are worded
//! here, and the exception chosen for each inferred rule is recorded beside it (section 12,
//! items 2, 4, 9 and 11).

use std::collections::{HashMap, HashSet};

use super::region_label;
use super::stages::{check_stages, stage_rules, uses_rollback};
use crate::services::codepipeline::catalog::ActionTypeRules;
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::{
    ActionCategory, ActionDeclaration, ActionOwner, ActionTypeId, ExecutionMode,
    PipelineDeclaration, PipelineType, StageDeclaration,
};

/// The value AWS shows (and accepts back on update) in place of a secret.
pub const MASK: &str = "****";

/// Most stages, and most actions in a stage.
pub const MAX_STAGES: usize = 50;
pub const MAX_ACTIONS_PER_STAGE: usize = 50;

/// Resolves the action types a declaration names (built-in catalogue, custom and updated
/// ThirdParty types of the region).
pub type ActionTypeLookup<'a> = &'a dyn Fn(&ActionTypeId) -> Option<ActionTypeRules>;

/// What the rules need besides the declaration.
pub struct Context<'a> {
    /// The pipeline's own region.
    pub region: &'a str,
    pub action_type: ActionTypeLookup<'a>,
    /// The current version, on UpdatePipeline (masked secrets are taken from it).
    pub previous: Option<&'a PipelineDeclaration>,
}

fn structure(msg: impl Into<String>) -> CodePipelineError {
    CodePipelineError::InvalidStructure(msg.into())
}
fn action_err(msg: impl Into<String>) -> CodePipelineError {
    CodePipelineError::InvalidActionDeclaration(msg.into())
}

/// Runs every rule after the model constraints and the name check, restores masked secrets
/// from the previous version, and fills in AWS's defaults. Returns the declaration to store.
pub fn check(
    mut p: PipelineDeclaration,
    cx: &Context,
    version: i64,
    current_type: Option<&PipelineType>,
) -> Result<PipelineDeclaration> {
    let pipeline_type = resolve_pipeline_type(&p, current_type)?;
    check_trigger_filters(&p)?;
    check_structure(&p, cx)?;
    check_stages(&p, cx)?;
    check_actions(&p, cx)?;
    restore_secrets(&mut p, cx)?;
    apply_defaults(&mut p, version, pipeline_type);
    Ok(p)
}

/// The V2-only features a declaration uses.
fn v2_features(p: &PipelineDeclaration) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(mode @ (ExecutionMode::Queued | ExecutionMode::Parallel)) = &p.execution_mode {
        out.push(format!("executionMode {mode}"));
    }
    if p.triggers.as_ref().is_some_and(|t| !t.is_empty()) {
        out.push("triggers".to_string());
    }
    if p.variables.as_ref().is_some_and(|v| !v.is_empty()) {
        out.push("variables".to_string());
    }
    if let Some(s) = p.stages.iter().find(|s| s.has_conditions()) {
        out.push(format!("stage conditions (stage '{}')", s.name));
    }
    if let Some((_, _, a)) = p
        .actions()
        .find(|(_, _, a)| a.action_type_id.category == ActionCategory::Compute)
    {
        out.push(format!("the Commands action (action '{}')", a.name));
    }
    out
}

/// The pipeline type. Decision (reference 12.4): an omitted `pipelineType` is `V1` through the
/// API, as CloudFormation documents, but a declaration using V2-only features becomes `V2`
/// (the model's documentation: "including V2 parameters ... will result in the pipeline having
/// the V2 type"); an explicit `V1` with V2-only features is refused with ValidationException.
/// On UpdatePipeline an omitted type keeps the pipeline's current type, so that a tool which
/// drops the member does not downgrade a V2 pipeline.
pub fn resolve_pipeline_type(
    p: &PipelineDeclaration,
    current: Option<&PipelineType>,
) -> Result<PipelineType> {
    let features = v2_features(p);
    match &p.pipeline_type {
        Some(PipelineType::V1) if !features.is_empty() => Err(CodePipelineError::Validation(
            format!(
                "Pipeline '{}' is of type V1, which does not support: {}. Declare pipelineType V2 to use them",
                p.name,
                features.join(", ")
            ),
        )),
        Some(t) => Ok(t.clone()),
        None if !features.is_empty() => Ok(PipelineType::V2),
        None => Ok(current.cloned().unwrap_or(PipelineType::V1)),
    }
}

/// Trigger filter combinations AWS refuses (CDK enforces the same client-side). Decision
/// (reference 12.11): ValidationException, as for the other limits of the filter grammar.
fn check_trigger_filters(p: &PipelineDeclaration) -> Result<()> {
    let invalid = |m: String| Err(CodePipelineError::Validation(m));
    for t in p.triggers.iter().flatten() {
        let g = &t.git_configuration;
        for f in g.push.iter().flatten() {
            if f.tags.is_some() && f.branches.is_some() {
                return invalid(format!(
                    "A push filter of the trigger for action '{}' cannot combine tags and branches",
                    g.source_action_name
                ));
            }
            if f.tags.is_none() && f.branches.is_none() {
                return invalid(format!(
                    "A push filter of the trigger for action '{}' must declare tags or branches",
                    g.source_action_name
                ));
            }
            if f.file_paths.is_some() && f.branches.is_none() {
                return invalid(format!(
                    "A push filter of the trigger for action '{}' can only filter file paths together with branches",
                    g.source_action_name
                ));
            }
        }
        for f in g.pull_request.iter().flatten() {
            if f.branches.is_none() {
                return invalid(format!(
                    "A pull request filter of the trigger for action '{}' must declare branches",
                    g.source_action_name
                ));
            }
        }
    }
    Ok(())
}

/// Where an action runs: (stage index, runOrder). Rules of a stage's `beforeEntry` run at
/// runOrder 0, those of `onSuccess`/`onFailure` after every action (1000).
pub(super) type Position = (usize, i64);

pub(super) fn runs_before(producer: Position, consumer: Position) -> bool {
    producer.0 < consumer.0 || (producer.0 == consumer.0 && producer.1 < consumer.1)
}

fn check_structure(p: &PipelineDeclaration, cx: &Context) -> Result<()> {
    // Artifact stores. Decision (12.2): InvalidStructureException for every store rule.
    match (&p.artifact_store, &p.artifact_stores) {
        (None, None) | (Some(_), Some(_)) => {
            return Err(structure(
                "A pipeline must include either artifactStore or artifactStores, but not both",
            ))
        }
        (Some(_), None) => {
            if let Some((_, _, a)) = p
                .actions()
                .find(|(_, _, a)| a.region.as_deref().is_some_and(|r| r != cx.region))
            {
                return Err(structure(format!(
                    "Action '{}' runs in region '{}': a pipeline with cross-region actions must use artifactStores with a store for each region",
                    a.name,
                    a.region.as_deref().unwrap_or_default()
                )));
            }
        }
        (None, Some(stores)) => {
            if !stores.contains_key(cx.region) {
                return Err(structure(format!(
                    "artifactStores must include an artifact store for the pipeline's region '{}'",
                    cx.region
                )));
            }
            for (_, _, a) in p.actions() {
                if let Some(r) = a.region.as_deref().filter(|r| !stores.contains_key(*r)) {
                    return Err(structure(format!(
                        "artifactStores has no artifact store for region '{r}', used by action '{}'",
                        a.name
                    )));
                }
            }
        }
    }

    let n = p.stages.len();
    if n < 2 {
        return Err(structure(format!(
            "Pipeline has only {n} stage(s). There should be a minimum of 2 stages in a pipeline"
        )));
    }
    if n > MAX_STAGES {
        return Err(structure(format!(
            "Pipeline has {n} stages. There should be a maximum of {MAX_STAGES} stages in a pipeline"
        )));
    }
    if p.stages[0]
        .actions
        .iter()
        .any(|a| !a.action_type_id.is_source())
    {
        return Err(structure(
            "Pipeline should start with a stage that only contains source actions",
        ));
    }
    for s in &p.stages[1..] {
        if let Some(a) = s.actions.iter().find(|a| a.action_type_id.is_source()) {
            return Err(structure(format!(
                "Source action '{}' is in stage '{}': source actions are only allowed in the first stage",
                a.name, s.name
            )));
        }
    }
    if p.actions().all(|(_, _, a)| a.action_type_id.is_source()) {
        return Err(structure(
            "Pipeline must contain at least one action that is not a source action",
        ));
    }

    // The artifact graph: each output name once, each input produced by an earlier action.
    let mut produced: HashMap<&str, (Position, &str)> = HashMap::new();
    for (i, _, a) in p.actions() {
        for o in &a.output_artifacts {
            if let Some((_, first)) = produced.insert(&o.name, ((i, a.run_order()), &a.name)) {
                return Err(structure(format!(
                    "Output artifact '{}' is declared by more than one action ('{first}' and '{}'): artifact names must be unique in a pipeline",
                    o.name, a.name
                )));
            }
        }
    }
    let check_input = |name: &str, consumer: Position, who: &str| -> Result<()> {
        match produced.get(name) {
            Some((pos, _)) if runs_before(*pos, consumer) => Ok(()),
            _ => Err(structure(format!(
                "Input artifact '{name}' of {who} is not the output of an action that runs before it"
            ))),
        }
    };
    for (i, s, a) in p.actions() {
        for input in &a.input_artifacts {
            check_input(
                &input.name,
                (i, a.run_order()),
                &format!("action '{}' in stage '{}'", a.name, s.name),
            )?;
        }
    }
    for (i, s) in p.stages.iter().enumerate() {
        for (pos, rule) in stage_rules(s, i) {
            for input in rule.input_artifacts.iter().flatten() {
                check_input(
                    &input.name,
                    pos,
                    &format!("rule '{}' in stage '{}'", rule.name, s.name),
                )?;
            }
        }
    }

    // Decision (2.3, 12.10): rollback is refused in PARALLEL mode with InvalidStructureException.
    if p.execution_mode == Some(ExecutionMode::Parallel) {
        if let Some(s) = p.stages.iter().find(|s| uses_rollback(s)) {
            return Err(structure(format!(
                "Stage '{}' declares a ROLLBACK result, which pipelines in PARALLEL execution mode do not support",
                s.name
            )));
        }
    }

    // Triggers name a source action of the first stage that follows a Git repository. AWS
    // takes connection sources only; CodeCommit sources are a documented simfra extension.
    for t in p.triggers.iter().flatten() {
        let name = &t.git_configuration.source_action_name;
        let source = p.stages[0].actions.iter().find(|a| &a.name == name);
        let eligible = source.is_some_and(|a| {
            a.action_type_id.owner == ActionOwner::Aws
                && matches!(
                    a.action_type_id.provider.as_str(),
                    "CodeStarSourceConnection" | "CodeCommit"
                )
        });
        if !eligible {
            return Err(structure(format!(
                "Trigger source action '{name}' must be a CodeStarSourceConnection (or CodeCommit) source action of the first stage"
            )));
        }
    }
    Ok(())
}

/// `#{Namespace.Variable}` references in a text.
pub fn variable_references(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        if let Some((ns, var)) = after[..end].split_once('.') {
            out.push((ns, var));
        }
        rest = &after[end + 1..];
    }
    out
}

/// Namespaces CodePipeline itself provides.
const RESERVED_NAMESPACES: &[&str] = &["codepipeline", "variables"];

fn check_actions(p: &PipelineDeclaration, cx: &Context) -> Result<()> {
    let artifacts: HashSet<&str> = p
        .actions()
        .flat_map(|(_, _, a)| a.output_artifacts.iter().map(|o| o.name.as_str()))
        .collect();
    let variables: HashSet<&str> = p
        .variables
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .collect();
    let mut namespaces: HashMap<&str, Position> = HashMap::new();
    for (i, s) in p.stages.iter().enumerate() {
        let mut names = HashSet::new();
        for a in &s.actions {
            if !names.insert(a.name.as_str()) {
                return Err(action_err(format!(
                    "Action name '{}' is used more than once in stage '{}': action names must be unique in a stage",
                    a.name, s.name
                )));
            }
        }
        for a in &s.actions {
            check_action(a, s, cx)?;
            if let Some(ns) = &a.namespace {
                if RESERVED_NAMESPACES.contains(&ns.as_str()) {
                    return Err(action_err(format!(
                        "Namespace '{ns}' of action '{}' is reserved by CodePipeline",
                        a.name
                    )));
                }
                if namespaces.insert(ns, (i, a.run_order())).is_some() {
                    return Err(action_err(format!(
                        "Namespaces must be unique across the pipeline definition. The following occur more than once in the pipeline. StageName=[{}], ActionName=[{}], Namespace=[{ns}]",
                        s.name, a.name
                    )));
                }
                if artifacts.contains(ns.as_str()) {
                    return Err(action_err(format!(
                        "Namespace '{ns}' of action '{}' is also the name of an artifact: namespaces and artifact names must differ",
                        a.name
                    )));
                }
            }
        }
    }
    // References are checked once every namespace is known, so that a reference to a
    // namespace declared later is told apart from one that does not exist.
    for (i, s, a) in p.actions() {
        let texts = a
            .configuration
            .iter()
            .flat_map(|c| c.values())
            .chain(a.commands.iter().flatten())
            .chain(a.environment_variables.iter().flatten().map(|e| &e.value));
        for text in texts {
            for (ns, var) in variable_references(text) {
                let ok = match ns {
                    "codepipeline" => true,
                    "variables" => variables.contains(var),
                    _ => namespaces
                        .get(ns)
                        .is_some_and(|pos| runs_before(*pos, (i, a.run_order()))),
                };
                if !ok {
                    let why = match ns {
                        "variables" => "the pipeline declares no such variable".to_string(),
                        _ if namespaces.contains_key(ns) => {
                            format!(
                                "namespace '{ns}' belongs to an action that does not run before it"
                            )
                        }
                        _ => format!("no action declares namespace '{ns}'"),
                    };
                    return Err(action_err(format!(
                        "Action '{}' in stage '{}' refers to #{{{ns}.{var}}}, but {why}",
                        a.name, s.name
                    )));
                }
            }
        }
    }
    Ok(())
}

fn check_action(a: &ActionDeclaration, s: &StageDeclaration, cx: &Context) -> Result<()> {
    let id = &a.action_type_id;
    let Some(rules) = (cx.action_type)(id) else {
        return Err(action_err(format!(
            "ActionType (Category: '{}', Provider: '{}', Owner: '{}', Version: '{}') in action '{}' is not available in region '{}'",
            id.category,
            id.provider,
            id.owner,
            id.version,
            a.name,
            region_label(cx.region)
        )));
    };
    let is_commands = id.owner == ActionOwner::Aws
        && id.category == ActionCategory::Compute
        && id.provider == "Commands";
    if is_commands {
        if a.commands.as_ref().is_none_or(|c| c.is_empty()) {
            return Err(action_err(format!(
                "Action {} must have a non-empty commands field",
                a.name
            )));
        }
        // AWS's action reference: multi-line formats are not supported and give an error.
        if a.commands
            .iter()
            .flatten()
            .any(|c| !super::is_single_line(c))
        {
            return Err(action_err(format!(
                "Action {} has a multi-line command: the Commands action takes one single-line command per entry of commands",
                a.name
            )));
        }
    } else if a.commands.is_some()
        || a.output_variables.is_some()
        || a.environment_variables.is_some()
    {
        // Decision: these members belong to the Commands action only.
        return Err(action_err(format!(
            "Action '{}' declares commands, outputVariables or environmentVariables, which only the Commands action takes",
            a.name
        )));
    }

    let empty = Default::default();
    let config = a.configuration.as_ref().unwrap_or(&empty);
    for prop in rules.properties.iter().filter(|p| p.required) {
        if !config.contains_key(&prop.name) {
            return Err(action_err(format!(
                "Action configuration for action '{}' is missing required configuration '{}'",
                a.name, prop.name
            )));
        }
    }
    if rules.strict {
        if let Some(key) = config
            .keys()
            .find(|k| !rules.properties.iter().any(|p| &p.name == *k))
        {
            return Err(action_err(format!(
                "Action configuration for action '{}' contains unknown configuration '{key}'",
                a.name
            )));
        }
    }
    if let Some(prop) = rules.properties.iter().find(|p| p.is_queryable()) {
        if let Some(value) = config.get(&prop.name) {
            let ok = value.chars().count() <= 20
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(action_err(format!(
                    "The value of queryable configuration '{}' of action '{}' must be at most 20 letters, digits, underscores or hyphens",
                    prop.name, a.name
                )));
            }
        }
    }
    if id.owner == ActionOwner::Aws && id.category == ActionCategory::Deploy && id.provider == "S3"
    {
        match config.get("Extract").map(|v| v.to_ascii_lowercase()).as_deref() {
            Some("true") => {}
            Some("false") if config.contains_key("ObjectKey") => {}
            Some("false") => {
                return Err(action_err(format!(
                    "Action configuration for action '{}' is missing required configuration 'ObjectKey' (required when Extract is false)",
                    a.name
                )))
            }
            _ => {
                return Err(action_err(format!(
                    "Configuration 'Extract' of action '{}' must be true or false",
                    a.name
                )))
            }
        }
    }

    let bounds = [
        ("input", a.input_artifacts.len(), rules.inputs),
        ("output", a.output_artifacts.len(), rules.outputs),
    ];
    for (kind, n, d) in bounds {
        let n = n as i64;
        if n < d.minimum_count || n > d.maximum_count {
            return Err(action_err(format!(
                "Action '{}' in stage '{}' has {n} {kind} artifacts; its action type takes between {} and {}",
                a.name, s.name, d.minimum_count, d.maximum_count
            )));
        }
    }
    let mut inputs = HashSet::new();
    if let Some(dup) = a.input_artifacts.iter().find(|i| !inputs.insert(&i.name)) {
        return Err(action_err(format!(
            "Action '{}' names input artifact '{}' more than once",
            a.name, dup.name
        )));
    }

    // Cross-region actions: not for source, ThirdParty or Custom actions (2.3).
    if let Some(region) = a.region.as_deref().filter(|r| *r != cx.region) {
        if id.is_source() || id.owner != ActionOwner::Aws {
            return Err(action_err(format!(
                "Action '{}' cannot run in region '{region}': source, ThirdParty and Custom actions run in the pipeline's region",
                a.name
            )));
        }
    }
    Ok(())
}

/// On UpdatePipeline, a secret shown as `****` keeps the stored value of the same action; on a
/// new action (or a new pipeline) it is refused.
fn restore_secrets(p: &mut PipelineDeclaration, cx: &Context) -> Result<()> {
    for s in &mut p.stages {
        for a in &mut s.actions {
            let Some(config) = a.configuration.as_mut() else {
                continue;
            };
            if !config.values().any(|v| v == MASK) {
                continue;
            }
            let Some(rules) = (cx.action_type)(&a.action_type_id) else {
                continue;
            };
            for (key, value) in config.iter_mut() {
                if value != MASK || !rules.is_secret(key) {
                    continue;
                }
                let stored = cx.previous.and_then(|prev| {
                    prev.stages
                        .iter()
                        .find(|ps| ps.name == s.name)?
                        .actions
                        .iter()
                        .find(|pa| pa.name == a.name && pa.action_type_id == a.action_type_id)?
                        .configuration
                        .as_ref()?
                        .get(key)
                        .cloned()
                });
                match stored {
                    Some(v) => *value = v,
                    None => {
                        return Err(action_err(format!(
                            "Secret configuration '{key}' of action '{}' is masked ({MASK}); a new action needs its real value",
                            a.name
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}

/// Fills in what AWS fills in (reference 2.2): the version, `executionMode` SUPERSEDED,
/// the pipeline type, `runOrder` 1 and `configuration` `{}` (decision 12.16: echoed as `{}`).
/// Unlike the type, an omitted `executionMode` means SUPERSEDED on UpdatePipeline too: the
/// declaration is complete by definition, and SUPERSEDED is the model's documented default.
/// Actions get no `region` (decision 12.16: only a declared region is echoed).
pub fn apply_defaults(p: &mut PipelineDeclaration, version: i64, pipeline_type: PipelineType) {
    p.version = Some(version);
    p.execution_mode.get_or_insert(ExecutionMode::Superseded);
    p.pipeline_type = Some(pipeline_type);
    for s in &mut p.stages {
        for a in &mut s.actions {
            a.run_order.get_or_insert(1);
            a.configuration.get_or_insert_with(Default::default);
        }
    }
}

/// The declaration as GetPipeline shows it: secret configuration values masked. `None` when
/// nothing is secret (the stored declaration is shown as it is).
pub fn mask_secrets(
    p: &PipelineDeclaration,
    lookup: ActionTypeLookup,
) -> Option<PipelineDeclaration> {
    let mut masked = p.clone();
    let mut changed = false;
    for s in &mut masked.stages {
        for a in &mut s.actions {
            let Some(config) = a.configuration.as_mut() else {
                continue;
            };
            let Some(rules) = lookup(&a.action_type_id) else {
                continue;
            };
            for (key, value) in config.iter_mut() {
                if rules.is_secret(key) {
                    *value = MASK.to_string();
                    changed = true;
                }
            }
        }
    }
    changed.then_some(masked)
}
