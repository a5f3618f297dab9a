//! Thin handlers for repositories, tags, branches and reads (commits, files, folders, blobs,
//! differences). Every handler runs on a blocking thread (git is a subprocess).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::errors::{Code, CodeCommitError as E, Result};
use super::model::*;
use super::state::RepoRecord;
use super::{git, validate, CodeCommit};
use crate::protocol::{JsonService, RequestContext, Timestamp};

type Handler<I, O> = fn(&CodeCommit, &RequestContext, I) -> Result<O>;

/// Registers an operation that runs `f` on a blocking thread.
pub(crate) fn blocking<I, O>(
    json: JsonService,
    name: &'static str,
    svc: &Arc<CodeCommit>,
    f: Handler<I, O>,
) -> JsonService
where
    I: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
{
    let svc = svc.clone();
    json.op_async(name, move |ctx: RequestContext, input: I| {
        let svc = svc.clone();
        async move {
            tokio::task::spawn_blocking(move || f(&svc, &ctx, input))
                .await
                .map_err(|e| E::Internal(format!("the request stopped unexpectedly: {e}")))?
        }
    })
}

pub fn register(json: JsonService, svc: &Arc<CodeCommit>) -> JsonService {
    let j = json;
    let j = blocking(j, "CreateRepository", svc, create_repository);
    let j = blocking(j, "GetRepository", svc, get_repository);
    let j = blocking(j, "ListRepositories", svc, list_repositories);
    let j = blocking(j, "DeleteRepository", svc, delete_repository);
    let j = blocking(j, "UpdateRepositoryName", svc, update_repository_name);
    let j = blocking(
        j,
        "UpdateRepositoryDescription",
        svc,
        update_repository_description,
    );
    let j = blocking(j, "BatchGetRepositories", svc, batch_get_repositories);
    let j = blocking(j, "TagResource", svc, tag_resource);
    let j = blocking(j, "UntagResource", svc, untag_resource);
    let j = blocking(j, "ListTagsForResource", svc, list_tags_for_resource);
    let j = blocking(j, "CreateBranch", svc, create_branch);
    let j = blocking(j, "GetBranch", svc, get_branch);
    let j = blocking(j, "ListBranches", svc, list_branches);
    let j = blocking(j, "DeleteBranch", svc, delete_branch);
    let j = blocking(j, "UpdateDefaultBranch", svc, update_default_branch);
    let j = blocking(j, "GetCommit", svc, get_commit);
    let j = blocking(j, "BatchGetCommits", svc, batch_get_commits);
    let j = blocking(j, "GetFile", svc, get_file);
    let j = blocking(j, "GetFolder", svc, get_folder);
    let j = blocking(j, "GetBlob", svc, get_blob);
    blocking(j, "GetDifferences", svc, get_differences)
}

/// The model's other operations, answered with a clear "not implemented" error.
pub fn not_yet(mut json: JsonService) -> JsonService {
    const OTHERS: &[&str] = &[
        "AssociateApprovalRuleTemplateWithRepository",
        "BatchAssociateApprovalRuleTemplateWithRepositories",
        "BatchDescribeMergeConflicts",
        "BatchDisassociateApprovalRuleTemplateFromRepositories",
        "CreateApprovalRuleTemplate",
        "CreatePullRequest",
        "CreatePullRequestApprovalRule",
        "CreateUnreferencedMergeCommit",
        "DeleteApprovalRuleTemplate",
        "DeleteCommentContent",
        "DeletePullRequestApprovalRule",
        "DescribeMergeConflicts",
        "DescribePullRequestEvents",
        "DisassociateApprovalRuleTemplateFromRepository",
        "EvaluatePullRequestApprovalRules",
        "GetApprovalRuleTemplate",
        "GetComment",
        "GetCommentReactions",
        "GetCommentsForComparedCommit",
        "GetCommentsForPullRequest",
        "GetMergeCommit",
        "GetMergeConflicts",
        "GetMergeOptions",
        "GetPullRequest",
        "GetPullRequestApprovalStates",
        "GetPullRequestOverrideState",
        "GetRepositoryTriggers",
        "ListApprovalRuleTemplates",
        "ListAssociatedApprovalRuleTemplatesForRepository",
        "ListFileCommitHistory",
        "ListPullRequests",
        "ListRepositoriesForApprovalRuleTemplate",
        "MergeBranchesByFastForward",
        "MergeBranchesBySquash",
        "MergeBranchesByThreeWay",
        "MergePullRequestByFastForward",
        "MergePullRequestBySquash",
        "MergePullRequestByThreeWay",
        "OverridePullRequestApprovalRules",
        "PostCommentForComparedCommit",
        "PostCommentForPullRequest",
        "PostCommentReply",
        "PutCommentReaction",
        "PutRepositoryTriggers",
        "TestRepositoryTriggers",
        "UpdateApprovalRuleTemplateContent",
        "UpdateApprovalRuleTemplateDescription",
        "UpdateApprovalRuleTemplateName",
        "UpdateComment",
        "UpdatePullRequestApprovalRuleContent",
        "UpdatePullRequestApprovalState",
        "UpdatePullRequestDescription",
        "UpdatePullRequestStatus",
        "UpdatePullRequestTitle",
        "UpdateRepositoryEncryptionKey",
    ];
    for name in OTHERS {
        json = json.not_yet(
            name,
            "simfra's CodeCommit offers repositories, branches, files, commits and differences; pull requests, merges, comments, approval rules and repository triggers are not built",
        );
    }
    json
}

/// The repository named in a request, with the model's errors.
fn repo(svc: &CodeCommit, ctx: &RequestContext, name: Option<&str>) -> Result<RepoRecord> {
    let name = validate::repository_name(name)?;
    svc.state.require(&ctx.account_id, &ctx.region, name)
}

fn validate_tags(tags: &BTreeMap<String, String>) -> Result<()> {
    if tags.len() > 50 {
        return Err(E::new(
            Code::TooManyTags,
            "A resource can have at most 50 tags.",
        ));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(E::new(
                Code::InvalidTagsMap,
                format!(
                    "The tag '{k}' is not valid: keys are 1-128 characters, values at most 256."
                ),
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(E::new(
                Code::InvalidSystemTagUsage,
                "Tag keys starting with 'aws:' are reserved for AWS.",
            ));
        }
    }
    Ok(())
}

fn create_repository(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: CreateRepositoryInput,
) -> Result<RepositoryMetadataOutput> {
    let name = validate::repository_name(input.repository_name.as_deref())?;
    validate::description(input.repository_description.as_deref())?;
    let tags = input.tags.unwrap_or_default();
    validate_tags(&tags)?;
    let now = Timestamp::now();
    let record = svc.state.create(RepoRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.to_string(),
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        description: input.repository_description,
        default_branch: None,
        created: now,
        last_modified: now,
        tags,
        kms_key_id: input.kms_key_id,
    })?;
    Ok(RepositoryMetadataOutput {
        repository_metadata: svc.metadata(&record, &ctx.host),
    })
}

fn get_repository(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: RepositoryNameInput,
) -> Result<RepositoryMetadataOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    Ok(RepositoryMetadataOutput {
        repository_metadata: svc.metadata(&r, &ctx.host),
    })
}

const REPOSITORY_PAGE: usize = 1000;
const TAG_PAGE: usize = 50;

/// Tokens are the decimal offset into the sorted listing, hex-encoded.
fn decode_offset(token: &str) -> Result<usize> {
    let invalid = || {
        E::new(
            Code::InvalidContinuationToken,
            "The continuation token is not valid.",
        )
    };
    if token.is_empty() || !token.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let s = String::from_utf8(bytes.ok_or_else(invalid)?).map_err(|_| invalid())?;
    s.strip_prefix("o:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(invalid)
}

fn encode_offset(n: usize) -> String {
    format!("o:{n}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn page<T>(items: Vec<T>, token: Option<&str>, size: usize) -> Result<(Vec<T>, Option<String>)> {
    let start = token.map(decode_offset).transpose()?.unwrap_or(0);
    let total = items.len();
    let out: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let next = (start + out.len() < total).then(|| encode_offset(start + out.len()));
    Ok((out, next))
}

fn list_repositories(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: ListRepositoriesInput,
) -> Result<ListRepositoriesOutput> {
    use crate::protocol::AwsEnum;
    if let Some(s) = input.sort_by.as_ref().filter(|s| !s.is_known()) {
        return Err(E::new(
            Code::InvalidSortBy,
            format!("The sort order '{s}' is not valid."),
        ));
    }
    if let Some(o) = input.order.as_ref().filter(|o| !o.is_known()) {
        return Err(E::new(
            Code::InvalidOrder,
            format!("The order '{o}' is not valid."),
        ));
    }
    let mut repos = svc.state.list(&ctx.account_id, &ctx.region);
    match input.sort_by {
        Some(SortBy::LastModifiedDate) => repos.sort_by(|a, b| {
            a.last_modified
                .cmp(&b.last_modified)
                .then_with(|| a.name.cmp(&b.name))
        }),
        _ => repos.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    if input.order == Some(Order::Descending) {
        repos.reverse();
    }
    let pairs = repos
        .into_iter()
        .map(|r| RepositoryNameIdPair {
            repository_name: r.name,
            repository_id: r.id,
        })
        .collect();
    let (repositories, next_token) = page(pairs, input.next_token.as_deref(), REPOSITORY_PAGE)?;
    Ok(ListRepositoriesOutput {
        repositories,
        next_token,
    })
}

fn delete_repository(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: RepositoryNameInput,
) -> Result<DeleteRepositoryOutput> {
    let name = validate::repository_name(input.repository_name.as_deref())?;
    let deleted = match svc.state.get(&ctx.account_id, &ctx.region, name) {
        Some(r) => {
            let lock = svc.state.lock(&r.id);
            let _guard = lock.blocking_lock();
            svc.state.delete(&ctx.account_id, &ctx.region, name)?
        }
        None => None,
    };
    // A missing repository is a success without an id, as on AWS.
    Ok(DeleteRepositoryOutput {
        repository_id: deleted.map(|r| r.id),
    })
}

fn update_repository_name(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: UpdateRepositoryNameInput,
) -> Result<Empty> {
    let old = validate::repository_name(input.old_name.as_deref())?;
    let new = validate::repository_name(input.new_name.as_deref())?;
    svc.state.rename(&ctx.account_id, &ctx.region, old, new)?;
    Ok(Empty {})
}

fn update_repository_description(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: UpdateRepositoryDescriptionInput,
) -> Result<Empty> {
    let name = validate::repository_name(input.repository_name.as_deref())?;
    validate::description(input.repository_description.as_deref())?;
    svc.state.modify(&ctx.account_id, &ctx.region, name, |r| {
        r.description = input.repository_description.clone();
        r.last_modified = Timestamp::now();
        Ok(())
    })?;
    Ok(Empty {})
}

fn batch_get_repositories(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: BatchGetRepositoriesInput,
) -> Result<BatchGetRepositoriesOutput> {
    let names = input.repository_names.unwrap_or_default();
    if names.is_empty() {
        return Err(E::new(
            Code::RepositoryNamesRequired,
            "At least one repository name is required.",
        ));
    }
    if names.len() > 25 {
        return Err(E::new(
            Code::MaximumRepositoryNamesExceeded,
            "At most 25 repository names may be given.",
        ));
    }
    let mut out = BatchGetRepositoriesOutput {
        repositories: Vec::new(),
        repositories_not_found: Vec::new(),
        errors: Vec::new(),
    };
    for name in names {
        validate::repository_name(Some(&name))?;
        match svc.state.get(&ctx.account_id, &ctx.region, &name) {
            Some(r) => out.repositories.push(svc.metadata(&r, &ctx.host)),
            None => {
                out.errors.push(BatchGetRepositoriesError {
                    repository_name: name.clone(),
                    error_code: "RepositoryDoesNotExistException".into(),
                    error_message: format!("{name} does not exist"),
                });
                out.repositories_not_found.push(name);
            }
        }
    }
    Ok(out)
}

/// The repository an ARN names (`arn:aws:codecommit:{region}:{account}:{name}`).
fn repo_of_arn(svc: &CodeCommit, arn: Option<&str>) -> Result<RepoRecord> {
    let arn = arn
        .filter(|a| !a.is_empty())
        .ok_or_else(|| E::new(Code::ResourceArnRequired, "A resource ARN is required."))?;
    let invalid = || {
        E::new(
            Code::InvalidResourceArn,
            format!("The ARN '{arn}' is not valid."),
        )
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "codecommit" {
        return Err(invalid());
    }
    let name = validate::repository_name(Some(parts[5])).map_err(|_| invalid())?;
    svc.state.require(parts[4], parts[3], name)
}

fn tag_resource(svc: &CodeCommit, _ctx: &RequestContext, input: TagResourceInput) -> Result<Empty> {
    let r = repo_of_arn(svc, input.resource_arn.as_deref())?;
    let tags = input
        .tags
        .ok_or_else(|| E::new(Code::TagsMapRequired, "A map of tags is required."))?;
    validate_tags(&tags)?;
    svc.state.modify(&r.account, &r.region, &r.name, |rec| {
        let mut all = rec.tags.clone();
        all.extend(tags.clone());
        validate_tags(&all)?;
        rec.tags = all;
        Ok(())
    })?;
    Ok(Empty {})
}

fn untag_resource(
    svc: &CodeCommit,
    _ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<Empty> {
    let r = repo_of_arn(svc, input.resource_arn.as_deref())?;
    let keys = input
        .tag_keys
        .ok_or_else(|| E::new(Code::TagKeysListRequired, "A list of tag keys is required."))?;
    if keys.iter().any(|k| k.is_empty() || k.chars().count() > 128) {
        return Err(E::new(Code::InvalidTagKeysList, "A tag key is not valid."));
    }
    svc.state.modify(&r.account, &r.region, &r.name, |rec| {
        for k in &keys {
            rec.tags.remove(k);
        }
        Ok(())
    })?;
    Ok(Empty {})
}

fn list_tags_for_resource(
    svc: &CodeCommit,
    _ctx: &RequestContext,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput> {
    let r = repo_of_arn(svc, input.resource_arn.as_deref())?;
    // A repository holds at most 50 tags, so one page holds them all; a token is still honoured.
    let (tags, next_token) = page(
        r.tags.into_iter().collect(),
        input.next_token.as_deref(),
        TAG_PAGE,
    )?;
    Ok(ListTagsForResourceOutput {
        tags: tags.into_iter().collect(),
        next_token,
    })
}

fn branch_names(dir: &std::path::Path) -> Result<Vec<String>> {
    Ok(git::refs(dir)?
        .keys()
        .filter_map(|k| k.strip_prefix("refs/heads/"))
        .map(str::to_string)
        .collect())
}

fn create_branch(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: CreateBranchInput,
) -> Result<Empty> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let branch = validate::branch_name(input.branch_name.as_deref())?;
    let commit = input
        .commit_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| E::new(Code::CommitIdRequired, "A commit id is required."))?;
    let dir = svc.state.dir(&r);
    let commit = resolve_commit(&dir, &r, Some(&commit), Code::InvalidCommitId)?;
    let lock = svc.state.lock(&r.id);
    let _guard = lock.blocking_lock();
    let before = git::refs(&dir)?;
    if !git::update_ref(&dir, &format!("refs/heads/{branch}"), &commit, None) {
        return Err(E::new(
            Code::BranchNameExists,
            format!("Branch {branch} already exists"),
        ));
    }
    svc.refs_changed(&r, &before, &super::caller(ctx));
    Ok(Empty {})
}

fn get_branch(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: BranchInput,
) -> Result<GetBranchOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let branch = validate::branch_name(input.branch_name.as_deref())?;
    let head = git::branch_head(&svc.state.dir(&r), branch).ok_or_else(|| {
        E::new(
            Code::BranchDoesNotExist,
            format!("Branch {branch} does not exist"),
        )
    })?;
    Ok(GetBranchOutput {
        branch: BranchInfo {
            branch_name: branch.to_string(),
            commit_id: head,
        },
    })
}

fn list_branches(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: ListBranchesInput,
) -> Result<ListBranchesOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let names = branch_names(&svc.state.dir(&r))?;
    let (branches, next_token) = page(names, input.next_token.as_deref(), 100)?;
    Ok(ListBranchesOutput {
        branches,
        next_token,
    })
}

fn delete_branch(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: BranchInput,
) -> Result<DeleteBranchOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let branch = validate::branch_name(input.branch_name.as_deref())?;
    if r.default_branch.as_deref() == Some(branch) {
        return Err(E::new(
            Code::DefaultBranchCannotBeDeleted,
            format!("Branch {branch} is the default branch and cannot be deleted. To delete this branch, you must first set another branch as the default branch."),
        ));
    }
    let dir = svc.state.dir(&r);
    let lock = svc.state.lock(&r.id);
    let _guard = lock.blocking_lock();
    let before = git::refs(&dir)?;
    let Some(head) = git::branch_head(&dir, branch) else {
        return Ok(DeleteBranchOutput {
            deleted_branch: None,
        });
    };
    if !git::delete_ref(&dir, &format!("refs/heads/{branch}"), &head) {
        return Err(E::Internal(format!(
            "the branch {branch} changed while it was deleted"
        )));
    }
    svc.refs_changed(&r, &before, &super::caller(ctx));
    Ok(DeleteBranchOutput {
        deleted_branch: Some(BranchInfo {
            branch_name: branch.to_string(),
            commit_id: head,
        }),
    })
}

fn update_default_branch(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: UpdateDefaultBranchInput,
) -> Result<Empty> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let branch = validate::branch_name(input.default_branch_name.as_deref())?;
    let dir = svc.state.dir(&r);
    if git::branch_head(&dir, branch).is_none() {
        return Err(E::new(
            Code::BranchDoesNotExist,
            format!("Branch {branch} does not exist"),
        ));
    }
    git::set_head(&dir, branch)?;
    svc.state.modify(&r.account, &r.region, &r.name, |rec| {
        rec.default_branch = Some(branch.to_string());
        rec.last_modified = Timestamp::now();
        Ok(())
    })?;
    Ok(Empty {})
}

/// Resolves a commit specifier (branch, tag, full or abbreviated id; `None`: the default
/// branch) to a commit id. `invalid` is the code for a specifier that is not well-formed.
pub(crate) fn resolve_commit(
    dir: &std::path::Path,
    r: &RepoRecord,
    spec: Option<&str>,
    invalid: Code,
) -> Result<String> {
    let missing = |s: &str| {
        E::new(
            Code::CommitDoesNotExist,
            format!("The commit {s} does not exist in the repository {}", r.name),
        )
    };
    let spec = match spec {
        Some(s) => s.to_string(),
        None => r.default_branch.clone().ok_or_else(|| missing("HEAD"))?,
    };
    if !validate::commit_specifier(&spec) {
        return Err(E::new(
            invalid,
            format!("The commit specifier '{spec}' is not valid."),
        ));
    }
    for candidate in [
        format!("refs/heads/{spec}^{{commit}}"),
        format!("refs/tags/{spec}^{{commit}}"),
        format!("{spec}^{{commit}}"),
    ] {
        if let Some(id) = git::resolve(dir, &candidate) {
            return Ok(id);
        }
    }
    Err(missing(&spec))
}

fn to_commit(c: git::CommitObject) -> Commit {
    let user = |p: git::Person| UserInfo {
        name: p.name,
        email: p.email,
        date: p.date,
    };
    Commit {
        commit_id: c.id,
        tree_id: c.tree,
        parents: c.parents,
        message: c.message,
        author: user(c.author),
        committer: user(c.committer),
        additional_data: String::new(),
    }
}

fn get_commit(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: GetCommitInput,
) -> Result<GetCommitOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let id = input
        .commit_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| E::new(Code::CommitIdRequired, "A commit id is required."))?;
    if !validate::is_object_id(&id) {
        return Err(E::new(
            Code::InvalidCommitId,
            format!("The commit id '{id}' is not valid."),
        ));
    }
    let c = git::read_commit(&svc.state.dir(&r), &id.to_ascii_lowercase()).ok_or_else(|| {
        E::new(
            Code::CommitIdDoesNotExist,
            format!("Could not find commit {id}"),
        )
    })?;
    Ok(GetCommitOutput {
        commit: to_commit(c),
    })
}

fn batch_get_commits(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: BatchGetCommitsInput,
) -> Result<BatchGetCommitsOutput> {
    let ids = input.commit_ids.ok_or_else(|| {
        E::new(
            Code::CommitIdsListRequired,
            "A list of commit ids is required.",
        )
    })?;
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    if ids.len() > 100 {
        return Err(E::new(
            Code::CommitIdsLimitExceeded,
            "At most 100 commit ids may be given.",
        ));
    }
    let dir = svc.state.dir(&r);
    let mut out = BatchGetCommitsOutput {
        commits: Vec::new(),
        errors: Vec::new(),
    };
    for id in ids {
        if !validate::is_object_id(&id) {
            out.errors.push(BatchGetCommitsError {
                commit_id: id.clone(),
                error_code: "InvalidCommitIdException".into(),
                error_message: format!("The commit id '{id}' is not valid."),
            });
            continue;
        }
        match git::read_commit(&dir, &id.to_ascii_lowercase()) {
            Some(c) => out.commits.push(to_commit(c)),
            None => out.errors.push(BatchGetCommitsError {
                commit_id: id.clone(),
                error_code: "CommitIdDoesNotExistException".into(),
                error_message: format!("Could not find commit {id}"),
            }),
        }
    }
    Ok(out)
}

fn get_file(svc: &CodeCommit, ctx: &RequestContext, input: GetFileInput) -> Result<GetFileOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let path = validate::read_path(input.file_path.as_deref())?;
    let dir = svc.state.dir(&r);
    let commit = resolve_commit(
        &dir,
        &r,
        input.commit_specifier.as_deref(),
        Code::InvalidCommit,
    )?;
    let missing = || {
        E::new(
            Code::FileDoesNotExist,
            format!("The file {path} does not exist at commit {commit}"),
        )
    };
    if path.is_empty() {
        return Err(missing());
    }
    let entry = git::entry_at(&dir, &commit, &path)
        .filter(|e| e.kind == "blob")
        .ok_or_else(missing)?;
    let size = git::object_size(&dir, &entry.id)?;
    if size > 6 * 1024 * 1024 {
        return Err(E::new(Code::FileTooLarge, "The file is larger than 6 MB."));
    }
    let bytes = git::read_blob(&dir, &entry.id)?;
    Ok(GetFileOutput {
        commit_id: commit.clone(),
        blob_id: entry.id,
        file_path: path.clone(),
        file_mode: FileMode::of_git(&entry.mode),
        file_size: size,
        file_content: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

fn get_folder(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: GetFolderInput,
) -> Result<GetFolderOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let path = validate::read_path(input.folder_path.as_deref())?;
    let dir = svc.state.dir(&r);
    let commit = resolve_commit(
        &dir,
        &r,
        input.commit_specifier.as_deref(),
        Code::InvalidCommit,
    )?;
    let missing = || {
        E::new(
            Code::FolderDoesNotExist,
            format!("The folder {path} does not exist at commit {commit}"),
        )
    };
    let tree = if path.is_empty() {
        git::resolve(&dir, &format!("{commit}^{{tree}}")).ok_or_else(missing)?
    } else {
        git::entry_at(&dir, &commit, &path)
            .filter(|e| e.kind == "tree")
            .ok_or_else(missing)?
            .id
    };
    let mut out = GetFolderOutput {
        commit_id: commit.clone(),
        folder_path: if path.is_empty() {
            "/".into()
        } else {
            path.clone()
        },
        tree_id: tree.clone(),
        sub_folders: Vec::new(),
        files: Vec::new(),
        symbolic_links: Vec::new(),
        sub_modules: Vec::new(),
    };
    for e in git::ls_tree(&dir, &tree, false)? {
        let absolute_path = if path.is_empty() {
            e.path.clone()
        } else {
            format!("{path}/{}", e.path)
        };
        match (e.kind.as_str(), e.mode.as_str()) {
            ("tree", _) => out.sub_folders.push(FolderEntry {
                tree_id: e.id,
                absolute_path,
                relative_path: e.path,
            }),
            ("commit", _) => out.sub_modules.push(SubModuleEntry {
                commit_id: e.id,
                absolute_path,
                relative_path: e.path,
            }),
            (_, "120000") => out.symbolic_links.push(FileEntry {
                blob_id: e.id,
                absolute_path,
                relative_path: e.path,
                file_mode: FileMode::Symlink,
            }),
            _ => out.files.push(FileEntry {
                blob_id: e.id,
                absolute_path,
                relative_path: e.path,
                file_mode: FileMode::of_git(&e.mode),
            }),
        }
    }
    Ok(out)
}

fn get_blob(svc: &CodeCommit, ctx: &RequestContext, input: GetBlobInput) -> Result<GetBlobOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let id = input
        .blob_id
        .filter(|b| !b.is_empty())
        .ok_or_else(|| E::new(Code::BlobIdRequired, "A blob id is required."))?;
    if !validate::is_object_id(&id) {
        return Err(E::new(
            Code::InvalidBlobId,
            format!("The blob id '{id}' is not valid."),
        ));
    }
    let dir: PathBuf = svc.state.dir(&r);
    let id = id.to_ascii_lowercase();
    if git::object_type(&dir, &id).as_deref() != Some("blob") {
        return Err(E::new(
            Code::BlobIdDoesNotExist,
            format!("Could not find blob {id}"),
        ));
    }
    if git::object_size(&dir, &id)? > 6 * 1024 * 1024 {
        return Err(E::new(Code::FileTooLarge, "The blob is larger than 6 MB."));
    }
    Ok(GetBlobOutput {
        content: base64::engine::general_purpose::STANDARD.encode(git::read_blob(&dir, &id)?),
    })
}

fn get_differences(
    svc: &CodeCommit,
    ctx: &RequestContext,
    input: GetDifferencesInput,
) -> Result<GetDifferencesOutput> {
    let r = repo(svc, ctx, input.repository_name.as_deref())?;
    let after_spec = input
        .after_commit_specifier
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            E::new(
                Code::CommitRequired,
                "The after commit specifier is required.",
            )
        })?;
    let max = match input.max_results {
        Some(n) if !(1..=1000).contains(&n) => {
            return Err(E::new(
                Code::InvalidMaxResults,
                "MaxResults must be between 1 and 1000.",
            ))
        }
        Some(n) => n as usize,
        None => 100,
    };
    let dir = svc.state.dir(&r);
    let after = resolve_commit(&dir, &r, Some(&after_spec), Code::InvalidCommit)?;
    let before = match input.before_commit_specifier.as_deref() {
        Some(s) => resolve_commit(&dir, &r, Some(s), Code::InvalidCommit)?,
        None => git::EMPTY_TREE.to_string(),
    };
    let before_path = input
        .before_path
        .as_deref()
        .map(|p| validate::read_path(Some(p)))
        .transpose()?;
    let after_path = input
        .after_path
        .as_deref()
        .map(|p| validate::read_path(Some(p)))
        .transpose()?;
    let under = |path: &str, prefix: &Option<String>| match prefix {
        None => true,
        Some(p) if p.is_empty() => true,
        Some(p) => path == p || path.starts_with(&format!("{p}/")),
    };
    for (p, c) in [(&before_path, &before), (&after_path, &after)] {
        if let Some(p) = p.as_ref().filter(|p| !p.is_empty()) {
            if c != git::EMPTY_TREE && git::entry_at(&dir, c, p).is_none() {
                return Err(E::new(
                    Code::PathDoesNotExist,
                    format!("The path {p} does not exist"),
                ));
            }
        }
    }
    let diffs: Vec<Difference> = git::diff_trees(&dir, &before, &after)?
        .into_iter()
        .filter(|c| under(&c.path, &before_path) || under(&c.path, &after_path))
        .map(|c| {
            let blob = |id: &str, mode: &str| {
                (!id.bytes().all(|b| b == b'0')).then(|| BlobMetadata {
                    blob_id: id.to_string(),
                    path: c.path.clone(),
                    mode: mode.to_string(),
                })
            };
            let change_type = match c.status {
                'A' => "A",
                'D' => "D",
                _ => "M",
            };
            Difference {
                before_blob: blob(&c.old_id, &c.old_mode),
                after_blob: blob(&c.new_id, &c.new_mode),
                change_type: change_type.to_string(),
            }
        })
        .collect();
    let (differences, next_token) = page(diffs, input.next_token.as_deref(), max)?;
    Ok(GetDifferencesOutput {
        differences,
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip() {
        assert_eq!(decode_offset(&encode_offset(42)).unwrap(), 42);
        assert!(decode_offset("zz").is_err());
        assert!(decode_offset("").is_err());
        let (items, next) = page(vec![1, 2, 3], None, 2).unwrap();
        assert_eq!(items, vec![1, 2]);
        let (items, next) = page(vec![1, 2, 3], next.as_deref(), 2).unwrap();
        assert_eq!(items, vec![3]);
        assert!(next.is_none());
    }
}
