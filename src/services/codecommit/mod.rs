//! CodeCommit: real git repositories, their JSON API (`CodeCommit_20150413`) and git smart HTTP
//! at `/v1/repos/<name>` on the shared port.
//!
//! Every repository is a bare git repository on disk (`state.rs` says where); its metadata is
//! kept in memory and written through to the store. API commits and `git push` share the same
//! history. Every ref change, from a push or from the API, is published once on the event bus
//! as a `CodeCommit Repository State Change` event; pipelines start from those events
//! (`codepipeline::triggers`). The engine's CodeCommit source provider reads repositories
//! through the [`SourceRepository`] port implemented here.
//!
//! Layout: `handlers.rs` (repositories, branches, reads), `commits.rs` (PutFile, DeleteFile,
//! CreateCommit), `http.rs` (git smart HTTP), `git.rs` (plumbing), `state.rs`, `model.rs`,
//! `errors.rs`, `validate.rs`. Not offered: pull requests, approval rules, merges, comments,
//! triggers and tags as refs through the API (tags pushed with git work).

pub mod commits;
pub mod errors;
pub mod git;
pub mod handlers;
pub mod http;
pub mod model;
pub mod state;
pub mod validate;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::bus::{Event, EventBus};
use crate::engine::ports::{PortError, SourceCommit, SourceRepository};
use crate::protocol::{JsonService, RequestContext, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

use errors::Result;
use state::{RepoRecord, State};

/// The CodeCommit service: repositories, their git data, and the bus it reports ref changes on.
pub struct CodeCommit {
    pub state: State,
    bus: EventBus,
    /// The host that clone URLs outside a request (pipeline artifacts) name.
    advertised_host: String,
    /// The configured port, and the address the server bound (port 0 binds a free one).
    port: u16,
    bound: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
}

impl CodeCommit {
    pub fn new(
        store: Arc<Store>,
        bus: EventBus,
        settings: &Settings,
        bound: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
    ) -> Result<Self> {
        let host = match settings.host.as_str() {
            "0.0.0.0" | "::" | "" => "localhost".to_string(),
            h if h.contains(':') => format!("[{h}]"),
            h => h.to_string(),
        };
        Ok(CodeCommit {
            state: State::load(store)?,
            bus,
            advertised_host: host,
            port: settings.port,
            bound,
        })
    }

    /// The repository's metadata as the API shows it; `host` is the request's `Host`.
    pub fn metadata(&self, r: &RepoRecord, host: &str) -> model::RepositoryMetadata {
        model::RepositoryMetadata {
            account_id: r.account.clone(),
            repository_id: r.id.clone(),
            repository_name: r.name.clone(),
            repository_description: r.description.clone(),
            default_branch: r.default_branch.clone(),
            last_modified_date: r.last_modified,
            creation_date: r.created,
            clone_url_http: format!("http://{host}/v1/repos/{}", r.name),
            clone_url_ssh: format!("ssh://{host}/v1/repos/{}", r.name),
            arn: r.arn(),
            kms_key_id: r.kms_key_id.clone(),
        }
    }

    /// After refs changed (`before` -> now): keeps the default branch meaningful, touches the
    /// modification date and publishes one event per changed ref. Call with the repository's
    /// lock held, so that `before` is exact.
    pub fn refs_changed(&self, r: &RepoRecord, before: &BTreeMap<String, String>, caller: &str) {
        let dir = self.state.dir(r);
        let after = match git::refs(&dir) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(repository = %r.name, "reading refs after a change failed: {e}");
                return;
            }
        };
        if &after == before {
            return;
        }
        let branches: Vec<&str> = after
            .keys()
            .filter_map(|k| k.strip_prefix("refs/heads/"))
            .collect();
        let current_ok = r
            .default_branch
            .as_deref()
            .is_some_and(|b| branches.contains(&b));
        let new_default = if current_ok || branches.is_empty() {
            None
        } else {
            // The first branch of a repository becomes its default (AWS does the same on the
            // first push); `main` or `master` are preferred when several arrive at once.
            ["main", "master"]
                .into_iter()
                .find(|b| branches.contains(b))
                .or_else(|| branches.first().copied())
                .map(str::to_string)
        };
        if let Some(b) = &new_default {
            if let Err(e) = git::set_head(&dir, b) {
                tracing::warn!(repository = %r.name, "could not point HEAD at {b}: {e}");
            }
        }
        let updated = self.state.modify(&r.account, &r.region, &r.name, |rec| {
            if let Some(b) = &new_default {
                rec.default_branch = Some(b.clone());
            }
            rec.last_modified = crate::protocol::Timestamp::now();
            Ok(())
        });
        if let Err(e) = updated {
            tracing::warn!(repository = %r.name, "could not record the ref change: {e}");
        }
        for event in ref_events(r, before, &after, caller) {
            self.bus.publish(event);
        }
    }
}

/// The `CodeCommit Repository State Change` events for the difference of two ref sets.
pub fn ref_events(
    r: &RepoRecord,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    caller: &str,
) -> Vec<Event> {
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for full in names {
        let (kind, short) = if let Some(b) = full.strip_prefix("refs/heads/") {
            ("branch", b)
        } else if let Some(t) = full.strip_prefix("refs/tags/") {
            ("tag", t)
        } else {
            continue;
        };
        let mut detail = serde_json::json!({
            "repositoryName": r.name,
            "repositoryId": r.id,
            "referenceType": kind,
            "referenceName": short,
            "referenceFullName": full,
            "callerUserArn": caller,
        });
        let event = match (before.get(full), after.get(full)) {
            (None, Some(new)) => {
                detail["commitId"] = new.clone().into();
                "referenceCreated"
            }
            (Some(old), Some(new)) if old != new => {
                detail["commitId"] = new.clone().into();
                detail["oldCommitId"] = old.clone().into();
                "referenceUpdated"
            }
            (Some(old), None) => {
                detail["oldCommitId"] = old.clone().into();
                "referenceDeleted"
            }
            _ => continue,
        };
        detail["event"] = event.into();
        out.push(Event::new(
            "aws.codecommit",
            "CodeCommit Repository State Change",
            &r.account,
            &r.region,
            vec![r.arn()],
            detail,
        ));
    }
    out
}

fn port_err(e: impl std::fmt::Display) -> PortError {
    PortError::Other(e.to_string())
}

impl CodeCommit {
    /// The directory of a repository the port reads `commit_id` from (an existing repository,
    /// a well-formed commit id).
    fn repository_for_commit(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        commit_id: &str,
    ) -> std::result::Result<std::path::PathBuf, PortError> {
        let r = self.state.get(account, region, repository).ok_or_else(|| {
            PortError::Other(format!("The repository {repository} does not exist"))
        })?;
        if !validate::is_object_id(commit_id) {
            return Err(PortError::Other(format!("{commit_id} is not a commit id")));
        }
        Ok(self.state.dir(&r))
    }
}

impl SourceRepository for CodeCommit {
    fn branch_head(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        branch: &str,
    ) -> std::result::Result<SourceCommit, PortError> {
        let r = self.state.get(account, region, repository).ok_or_else(|| {
            PortError::Other(format!("The repository {repository} does not exist"))
        })?;
        let dir = self.state.dir(&r);
        let head = git::valid_branch_name(branch)
            .then(|| git::branch_head(&dir, branch))
            .flatten()
            .ok_or_else(|| {
                PortError::Other(format!(
                    "The branch {branch} does not exist in the repository {repository}"
                ))
            })?;
        self.commit(account, region, repository, &head)
    }

    fn commit(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        commit_id: &str,
    ) -> std::result::Result<SourceCommit, PortError> {
        let r = self.state.get(account, region, repository).ok_or_else(|| {
            PortError::Other(format!("The repository {repository} does not exist"))
        })?;
        let dir = self.state.dir(&r);
        let c = validate::is_object_id(commit_id)
            .then(|| git::read_commit(&dir, commit_id))
            .flatten()
            .ok_or_else(|| {
                PortError::Other(format!(
                    "The commit {commit_id} does not exist in the repository {repository}"
                ))
            })?;
        Ok(SourceCommit {
            commit_id: c.id.clone(),
            message: c.message.trim_end().to_string(),
            author_date: c.author.epoch_seconds(),
            committer_date: c.committer.epoch_seconds(),
        })
    }

    fn export_zip(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        commit_id: &str,
        out: &Path,
    ) -> std::result::Result<(), PortError> {
        let dir = self.repository_for_commit(account, region, repository, commit_id)?;
        git::archive_zip(&dir, commit_id, out).map_err(port_err)
    }

    fn clone_url(&self, _account: &str, _region: &str, repository: &str) -> String {
        let port = self.bound.get().map_or(self.port, |a| a.port());
        format!(
            "http://{}:{port}/v1/repos/{repository}",
            self.advertised_host
        )
    }

    fn clone_at(
        &self,
        account: &str,
        region: &str,
        repository: &str,
        commit_id: &str,
        origin: &str,
        dir: &Path,
    ) -> std::result::Result<(), PortError> {
        let repo = self.repository_for_commit(account, region, repository, commit_id)?;
        git::clone_at(&repo, commit_id, dir, origin).map_err(port_err)
    }
}

struct Handle(Arc<CodeCommit>);

impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "codecommit"
    }
    fn reset(&self) {
        self.0.state.reset();
    }
}

/// The operation table.
pub fn service(svc: &Arc<CodeCommit>) -> JsonService {
    let json = JsonService::new("CodeCommit_20150413", "codecommit");
    let json = handlers::register(json, svc);
    let json = commits::register(json, svc);
    handlers::not_yet(json)
}

/// Builds the service, registers its JSON table and its git endpoint (which must come before
/// S3, the REST fallback), and returns it for the pipeline source port.
pub fn register(
    router: &mut Router,
    settings: &Settings,
    store: Arc<Store>,
    bus: EventBus,
) -> std::result::Result<Arc<CodeCommit>, String> {
    let svc = Arc::new(
        CodeCommit::new(store, bus, settings, router.bound.clone())
            .map_err(|e| format!("loading CodeCommit: {e}"))?,
    );
    router.add_json(service(&svc));
    router.add_rest(Box::new(http::GitHttp { svc: svc.clone() }));
    router.add_service(Arc::new(Handle(svc.clone())));
    Ok(svc)
}

/// The caller ARN CodeCommit events name.
pub fn caller(ctx: &RequestContext) -> String {
    ctx.caller_arn()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Timestamp;

    #[test]
    fn ref_changes_become_state_change_events() {
        let r = RepoRecord {
            id: "id-1".into(),
            name: "shop".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            description: None,
            default_branch: None,
            created: Timestamp(0),
            last_modified: Timestamp(0),
            tags: BTreeMap::new(),
            kms_key_id: None,
        };
        let before: BTreeMap<String, String> = [
            ("refs/heads/main".to_string(), "a".repeat(40)),
            ("refs/heads/old".to_string(), "b".repeat(40)),
        ]
        .into();
        let after: BTreeMap<String, String> = [
            ("refs/heads/main".to_string(), "c".repeat(40)),
            ("refs/tags/v1".to_string(), "d".repeat(40)),
        ]
        .into();
        let events = ref_events(&r, &before, &after, "arn:aws:iam::123456789012:root");
        assert_eq!(events.len(), 3);
        let main = &events[0];
        assert_eq!(main.source, "aws.codecommit");
        assert_eq!(main.detail_type, "CodeCommit Repository State Change");
        assert_eq!(
            main.resources,
            vec!["arn:aws:codecommit:us-east-1:123456789012:shop"]
        );
        let d = &main.detail;
        assert_eq!(d["event"], "referenceUpdated");
        assert_eq!(d["referenceType"], "branch");
        assert_eq!(d["referenceName"], "main");
        assert_eq!(d["referenceFullName"], "refs/heads/main");
        assert_eq!(d["commitId"], "c".repeat(40));
        assert_eq!(d["oldCommitId"], "a".repeat(40));
        assert_eq!(d["repositoryId"], "id-1");
        assert_eq!(events[1].detail["event"], "referenceDeleted");
        assert_eq!(events[2].detail["event"], "referenceCreated");
        assert_eq!(events[2].detail["referenceType"], "tag");
    }
}
