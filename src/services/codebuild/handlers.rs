//! CodeBuild's operations: thin handlers over `CodeBuild` (mod.rs), the state and the runner.

use std::sync::Arc;

use super::errors::{CodeBuildError as E, Result};
use super::model::*;
use super::validate::{self as v, finish};
use super::CodeBuild;
use crate::protocol::validate::Violations;
use crate::protocol::{JsonService, RequestContext, Timestamp};

const PAGE: usize = 100;

pub fn register(json: JsonService, svc: &Arc<CodeBuild>) -> JsonService {
    macro_rules! op {
        ($json:expr, $name:literal, $f:ident) => {{
            let s = svc.clone();
            $json.op($name, move |ctx: &RequestContext, input| $f(&s, ctx, input))
        }};
    }
    let json = op!(json, "CreateProject", create_project);
    let json = op!(json, "UpdateProject", update_project);
    let json = op!(json, "DeleteProject", delete_project);
    let json = op!(json, "BatchGetProjects", batch_get_projects);
    let json = op!(json, "ListProjects", list_projects);
    let json = op!(json, "StartBuild", start_build);
    let json = op!(json, "BatchGetBuilds", batch_get_builds);
    let json = op!(json, "ListBuilds", list_builds);
    let json = op!(json, "ListBuildsForProject", list_builds_for_project);
    let json = op!(json, "RetryBuild", retry_build);
    let json = op!(json, "BatchDeleteBuilds", batch_delete_builds);
    let s = svc.clone();
    json.op_async("StopBuild", move |ctx: RequestContext, input: IdInput| {
        let s = s.clone();
        async move { stop_build(&s, &ctx, input).await }
    })
}

/// What CodeBuild does not offer yet answers a clear error.
pub fn not_yet(json: JsonService) -> JsonService {
    const LATER: &str = "simfra's CodeBuild has projects and builds; report groups, batch \
                         builds, fleets, webhooks, sandboxes and source credentials come later";
    [
        "BatchGetBuildBatches",
        "BatchGetCommandExecutions",
        "BatchGetFleets",
        "BatchGetReportGroups",
        "BatchGetReports",
        "BatchGetSandboxes",
        "CreateFleet",
        "CreateReportGroup",
        "CreateWebhook",
        "DeleteBuildBatch",
        "DeleteFleet",
        "DeleteReport",
        "DeleteReportGroup",
        "DeleteResourcePolicy",
        "DeleteSourceCredentials",
        "DeleteWebhook",
        "DescribeCodeCoverages",
        "DescribeTestCases",
        "GetReportGroupTrend",
        "GetResourcePolicy",
        "ImportSourceCredentials",
        "InvalidateProjectCache",
        "ListBuildBatches",
        "ListBuildBatchesForProject",
        "ListCommandExecutionsForSandbox",
        "ListCuratedEnvironmentImages",
        "ListFleets",
        "ListReportGroups",
        "ListReports",
        "ListReportsForReportGroup",
        "ListSandboxes",
        "ListSandboxesForProject",
        "ListSharedProjects",
        "ListSharedReportGroups",
        "ListSourceCredentials",
        "PutResourcePolicy",
        "RetryBuildBatch",
        "StartBuildBatch",
        "StartCommandExecution",
        "StartSandbox",
        "StartSandboxConnection",
        "StopBuildBatch",
        "StopSandbox",
        "UpdateFleet",
        "UpdateProjectVisibility",
        "UpdateReportGroup",
        "UpdateWebhook",
    ]
    .into_iter()
    .fold(json, |json, op| json.not_yet(op, LATER))
}

fn validate_project(input: &ProjectInput, create: bool) -> Result<()> {
    let mut vs = Violations::new();
    v::project_name(&mut vs, "name", &input.name);
    if create {
        vs.required("source", &input.source);
        vs.required("artifacts", &input.artifacts);
        vs.required("environment", &input.environment);
        vs.required("serviceRole", &input.service_role);
    }
    if let Some(s) = &input.source {
        v::source(&mut vs, "source", s);
    }
    for (i, s) in input.secondary_sources.iter().flatten().enumerate() {
        v::source(
            &mut vs,
            &crate::protocol::validate::member("secondarySources", i),
            s,
        );
    }
    if let Some(a) = &input.artifacts {
        v::artifacts(&mut vs, "artifacts", a);
    }
    for (i, a) in input.secondary_artifacts.iter().flatten().enumerate() {
        v::artifacts(
            &mut vs,
            &crate::protocol::validate::member("secondaryArtifacts", i),
            a,
        );
    }
    if let Some(e) = &input.environment {
        v::environment(&mut vs, "environment", e);
    }
    if let Some(c) = &input.cache {
        v::cache_type(&mut vs, "cache.type", &c.r#type);
    }
    v::timeouts(
        &mut vs,
        input.timeout_in_minutes,
        input.queued_timeout_in_minutes,
        "",
    );
    if let Some(d) = &input.description {
        vs.length("description", d, 0, 255);
    }
    finish(vs)
}

fn create_project(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: ProjectInput,
) -> Result<ProjectOutput> {
    validate_project(&input, true)?;
    let now = Timestamp::now();
    let (account, region) = (ctx.account_id.as_str(), ctx.region.as_str());
    let mut project = Project {
        name: input.name.clone(),
        arn: format!(
            "arn:aws:codebuild:{region}:{account}:project/{}",
            input.name
        ),
        timeout_in_minutes: 60,
        queued_timeout_in_minutes: 480,
        encryption_key: Some(format!("arn:aws:kms:{region}:{account}:alias/aws/s3")),
        created: now,
        last_modified: now,
        cache: ProjectCache {
            r#type: "NO_CACHE".into(),
            ..Default::default()
        },
        logs_config: LogsConfig {
            cloud_watch_logs: Some(CloudWatchLogsConfig {
                status: "ENABLED".into(),
                ..Default::default()
            }),
            s3_logs: Some(S3LogsConfig {
                status: "DISABLED".into(),
                encryption_disabled: Some(false),
                ..Default::default()
            }),
        },
        project_visibility: Some("PRIVATE".into()),
        ..Default::default()
    };
    apply(&mut project, input);
    v::project_rules(&project.source, &project.artifacts, &project.environment)?;
    svc.state.create_project(account, region, project.clone())?;
    Ok(ProjectOutput { project })
}

/// Copies the members a request supplies into the project.
fn apply(p: &mut Project, input: ProjectInput) {
    if let Some(d) = input.description {
        p.description = Some(d);
    }
    if let Some(s) = input.source {
        p.source = s;
    }
    if let Some(s) = input.secondary_sources {
        p.secondary_sources = s;
    }
    if let Some(s) = input.source_version {
        p.source_version = Some(s).filter(|s| !s.is_empty());
    }
    if let Some(s) = input.secondary_source_versions {
        p.secondary_source_versions = s;
    }
    if let Some(a) = input.artifacts {
        p.artifacts = a;
    }
    if let Some(a) = input.secondary_artifacts {
        p.secondary_artifacts = a;
    }
    if let Some(c) = input.cache {
        p.cache = c;
    }
    if let Some(mut e) = input.environment {
        e.privileged_mode.get_or_insert(false);
        e.image_pull_credentials_type
            .get_or_insert_with(|| "CODEBUILD".into());
        p.environment = e;
    }
    if let Some(r) = input.service_role {
        p.service_role = r;
    }
    if let Some(t) = input.timeout_in_minutes {
        p.timeout_in_minutes = t;
    }
    if let Some(t) = input.queued_timeout_in_minutes {
        p.queued_timeout_in_minutes = t;
    }
    if let Some(k) = input.encryption_key {
        p.encryption_key = Some(k);
    }
    if let Some(t) = input.tags {
        p.tags = t;
    }
    if let Some(c) = input.vpc_config {
        p.vpc_config = Some(c);
    }
    if let Some(b) = input.badge_enabled {
        p.badge.badge_enabled = b;
    }
    if let Some(l) = input.logs_config {
        p.logs_config = l;
    }
    if let Some(f) = input.file_system_locations {
        p.file_system_locations = f;
    }
    if let Some(b) = input.build_batch_config {
        p.build_batch_config = Some(b);
    }
    if let Some(c) = input.concurrent_build_limit {
        p.concurrent_build_limit = Some(c);
    }
    if let Some(c) = input.auto_retry_limit {
        p.auto_retry_limit = Some(c);
    }
}

fn update_project(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: ProjectInput,
) -> Result<ProjectOutput> {
    validate_project(&input, false)?;
    let (account, region) = (ctx.account_id.as_str(), ctx.region.as_str());
    let mut project = svc.state.require_project(account, region, &input.name)?;
    apply(&mut project, input);
    project.last_modified = Timestamp::now();
    v::project_rules(&project.source, &project.artifacts, &project.environment)?;
    svc.state.update_project(account, region, project.clone())?;
    Ok(ProjectOutput { project })
}

fn delete_project(svc: &CodeBuild, ctx: &RequestContext, input: NameInput) -> Result<Empty> {
    svc.state
        .delete_project(&ctx.account_id, &ctx.region, project_of(&input.name))?;
    Ok(Empty {})
}

/// A project named by name or ARN.
fn project_of(name: &str) -> &str {
    name.rsplit_once(":project/").map_or(name, |(_, n)| n)
}

fn batch_get_projects(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: NamesInput,
) -> Result<BatchGetProjectsOutput> {
    let mut vs = Violations::new();
    vs.list_len("names", input.names.len(), 1, 100);
    finish(vs)?;
    let mut out = BatchGetProjectsOutput {
        projects: Vec::new(),
        projects_not_found: Vec::new(),
    };
    for n in input.names {
        match svc
            .state
            .project(&ctx.account_id, &ctx.region, project_of(&n))
        {
            Some(p) => out.projects.push(p),
            None => out.projects_not_found.push(n),
        }
    }
    Ok(out)
}

fn page<T: Clone>(items: &[T], token: Option<&str>) -> Result<(Vec<T>, Option<String>)> {
    let start = match token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|&i| i <= items.len())
            .ok_or_else(|| E::invalid("Invalid pagination token"))?,
    };
    let end = (start + PAGE).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}

fn sort_order(order: Option<&str>, default_desc: bool) -> Result<bool> {
    match order {
        None => Ok(default_desc),
        Some("ASCENDING") => Ok(false),
        Some("DESCENDING") => Ok(true),
        Some(other) => Err(E::invalid(format!(
            "1 validation error detected: Value '{other}' at 'sortOrder' failed to satisfy \
             constraint: Member must satisfy enum value set: [ASCENDING, DESCENDING]"
        ))),
    }
}

fn list_projects(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: ListProjectsInput,
) -> Result<ListProjectsOutput> {
    let desc = sort_order(input.sort_order.as_deref(), false)?;
    let mut projects = svc.state.projects(&ctx.account_id, &ctx.region);
    match input.sort_by.as_deref() {
        None | Some("NAME") => projects.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("CREATED_TIME") => projects.sort_by_key(|p| (p.created, p.name.clone())),
        Some("LAST_MODIFIED_TIME") => projects.sort_by_key(|p| (p.last_modified, p.name.clone())),
        Some(other) => {
            return Err(E::invalid(format!(
                "1 validation error detected: Value '{other}' at 'sortBy' failed to satisfy \
                 constraint: Member must satisfy enum value set: [NAME, CREATED_TIME, \
                 LAST_MODIFIED_TIME]"
            )))
        }
    }
    if desc {
        projects.reverse();
    }
    let names: Vec<String> = projects.into_iter().map(|p| p.name).collect();
    let (projects, next_token) = page(&names, input.next_token.as_deref())?;
    Ok(ListProjectsOutput {
        projects,
        next_token,
    })
}

fn start_build(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: StartBuildInput,
) -> Result<BuildOutput> {
    let initiator = ctx
        .caller_arn()
        .rsplit([':', '/'])
        .next()
        .unwrap_or("root")
        .to_string();
    let build = svc.start(&ctx.account_id, &ctx.region, input, None, initiator)?;
    Ok(BuildOutput { build })
}

/// The ids of an account's builds (of one project, when given), newest first by default, one
/// page of them.
fn build_ids(
    svc: &CodeBuild,
    ctx: &RequestContext,
    project: Option<&str>,
    input: &ListBuildsInput,
) -> Result<ListBuildsOutput> {
    let desc = sort_order(input.sort_order.as_deref(), true)?;
    let mut builds: Vec<Build> = svc
        .state
        .builds(&ctx.account_id, &ctx.region)
        .into_iter()
        .filter(|b| project.is_none_or(|p| b.project_name == p))
        .collect();
    builds.sort_by(|a, b| (a.start_time, &a.id).cmp(&(b.start_time, &b.id)));
    let mut ids: Vec<String> = builds.into_iter().map(|b| b.id).collect();
    if desc {
        ids.reverse();
    }
    let (ids, next_token) = page(&ids, input.next_token.as_deref())?;
    Ok(ListBuildsOutput { ids, next_token })
}

fn list_builds(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: ListBuildsInput,
) -> Result<ListBuildsOutput> {
    build_ids(svc, ctx, None, &input)
}

fn list_builds_for_project(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: ListBuildsInput,
) -> Result<ListBuildsOutput> {
    let name = input.project_name.clone().unwrap_or_default();
    let mut vs = Violations::new();
    vs.length("projectName", &name, 1, usize::MAX);
    finish(vs)?;
    svc.state
        .require_project(&ctx.account_id, &ctx.region, &name)?;
    build_ids(svc, ctx, Some(&name), &input)
}

/// A build id from an id or an ARN.
fn build_id(id: &str) -> &str {
    id.rsplit_once(":build/").map_or(id, |(_, i)| i)
}

fn batch_get_builds(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: IdsInput,
) -> Result<BatchGetBuildsOutput> {
    let mut vs = Violations::new();
    vs.list_len("ids", input.ids.len(), 1, 100);
    finish(vs)?;
    let mut out = BatchGetBuildsOutput {
        builds: Vec::new(),
        builds_not_found: Vec::new(),
    };
    for id in input.ids {
        match svc
            .state
            .visible_build(&ctx.account_id, &ctx.region, build_id(&id))
        {
            Some(b) => out.builds.push(b),
            None => out.builds_not_found.push(id),
        }
    }
    Ok(out)
}

async fn stop_build(
    svc: &Arc<CodeBuild>,
    ctx: &RequestContext,
    input: IdInput,
) -> Result<BuildOutput> {
    // `id` is required by StopBuild (RetryBuild shares the input and takes it optionally).
    let mut vs = Violations::new();
    vs.required("id", &input.id);
    if let Some(id) = &input.id {
        vs.length("id", id, 1, usize::MAX);
    }
    finish(vs)?;
    let id = input.id.unwrap_or_default();
    let id = build_id(&id).to_string();
    let build = svc.stop(&ctx.account_id, &ctx.region, &id).await?;
    Ok(BuildOutput { build })
}

fn retry_build(svc: &CodeBuild, ctx: &RequestContext, input: IdInput) -> Result<BuildOutput> {
    let id = input.id.unwrap_or_default();
    let id = build_id(&id);
    let build = svc.retry(&ctx.account_id, &ctx.region, id)?;
    Ok(BuildOutput { build })
}

fn batch_delete_builds(
    svc: &CodeBuild,
    ctx: &RequestContext,
    input: IdsInput,
) -> Result<BatchDeleteBuildsOutput> {
    let mut vs = Violations::new();
    vs.list_len("ids", input.ids.len(), 1, 100);
    finish(vs)?;
    let mut out = BatchDeleteBuildsOutput {
        builds_deleted: Vec::new(),
        builds_not_deleted: Vec::new(),
    };
    for id in input.ids {
        let bid = build_id(&id);
        match svc.state.visible_build(&ctx.account_id, &ctx.region, bid) {
            None => out.builds_not_deleted.push(BuildNotDeleted {
                id,
                status_code: "BUILD_NOT_FOUND".into(),
            }),
            Some(b) if !b.build_complete => out.builds_not_deleted.push(BuildNotDeleted {
                id,
                status_code: "BUILD_IN_PROGRESS".into(),
            }),
            Some(_) => {
                svc.state.delete_build(&ctx.account_id, &ctx.region, bid)?;
                out.builds_deleted.push(id);
            }
        }
    }
    Ok(out)
}
