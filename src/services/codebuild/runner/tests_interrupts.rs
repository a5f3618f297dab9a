//! Builds that end early: StopBuild during a command or while the container is being
//! started, shutdown, the build timeout, and provisioning that cannot start a container
//! (image missing, daemon down).

use tokio::sync::Notify;

use super::*;
use crate::runtime::{BoxFuture, ContainerSpec, Labelled, RuntimeError, ShellSession};

const SLEEPS_IN_BUILD: &str = r#"version: 0.2
phases:
  build:
    commands:
      - echo going
      - sleep 30
      - echo never
  post_build:
    commands:
      - echo never-post
"#;

#[tokio::test]
async fn stop_build_during_a_sleep_stops_the_running_phase() {
    let mut h = Harness::new();
    h.project("stopped", no_source());
    let b = h.start("stopped", SLEEPS_IN_BUILD, None);
    h.fake.wait_for_command("sleep 30").await;
    assert!(h.cb.runner.is_running(&b.id));
    let stopped = tokio::time::timeout(Duration::from_secs(10), h.cb.stop(ACCOUNT, REGION, &b.id))
        .await
        .expect("StopBuild did not return")
        .unwrap();

    assert_eq!(stopped.build_status, "STOPPED");
    assert!(stopped.build_complete);
    let mut expected = walk(&[
        "INSTALL SUCCEEDED",
        "PRE_BUILD SUCCEEDED",
        "BUILD STOPPED",
        "FINALIZING SUCCEEDED",
    ]);
    expected.push("COMPLETED".into());
    assert_eq!(phases(&stopped), expected);
    assert_eq!(
        context(&stopped, "BUILD"),
        (
            "BUILD_TIMED_OUT_OR_STOPPED".into(),
            "Build was stopped".into()
        )
    );
    assert!(h.fake.live_containers().is_empty());
    assert!(!h.fake.commands().iter().any(|c| c.contains("never")));
    assert!(!h.cb.runner.is_running(&b.id));
    // A second StopBuild answers the finished build unchanged.
    let again = h.cb.stop(ACCOUNT, REGION, &b.id).await.unwrap();
    assert_eq!(again, stopped);
    let events = h.events(&b.arn);
    assert_eq!(events.last().unwrap().detail["build-status"], "STOPPED");
}

const SLEEPS: &str = r#"version: 0.2
phases:
  build:
    commands:
      - sleep 30
"#;

#[tokio::test]
async fn a_build_longer_than_its_timeout_times_out() {
    // A minute lasts 100 ms: `timeoutInMinutes` 5 is half a second.
    let store = Arc::new(Store::memory().unwrap());
    let h = Harness::with(store, FakeRuntime::new(), Duration::from_millis(100));
    h.project("slow", no_source());
    let b = h.start("slow", SLEEPS, Some(5));
    assert_eq!(b.timeout_in_minutes, 5);
    let b = h.done(&b.id).await;

    assert_eq!(b.build_status, "TIMED_OUT");
    let mut expected = walk(&[
        "INSTALL SUCCEEDED",
        "PRE_BUILD SUCCEEDED",
        "BUILD TIMED_OUT",
        "FINALIZING SUCCEEDED",
    ]);
    expected.push("COMPLETED".into());
    assert_eq!(phases(&b), expected);
    assert_eq!(
        context(&b, "BUILD"),
        (
            "BUILD_TIMED_OUT_OR_STOPPED".into(),
            "Build has timed out".into()
        )
    );
    assert!(h.fake.live_containers().is_empty());
}

#[tokio::test]
async fn an_image_that_cannot_be_pulled_fails_provisioning() {
    let fake = FakeRuntime::new();
    fake.set_image_unavailable(LOCAL_IMAGE);
    let h = Harness::with(
        Arc::new(Store::memory().unwrap()),
        fake,
        Duration::from_secs(60),
    );
    let b = h.run("no-image", ALL_PHASES).await;

    assert_eq!(b.build_status, "FAILED");
    assert_eq!(
        phases(&b),
        [
            "SUBMITTED SUCCEEDED",
            "QUEUED SUCCEEDED",
            "PROVISIONING FAILED",
            "FINALIZING SUCCEEDED",
            "COMPLETED"
        ]
    );
    let (code, message) = context(&b, "PROVISIONING");
    assert_eq!(code, "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE");
    assert!(
        message.starts_with("Unable to pull customer's container image.")
            && message.contains(LOCAL_IMAGE),
        "{message}"
    );
    assert!(h.fake.started_specs().is_empty());
    assert!(h.fake.commands().is_empty());
}

#[tokio::test]
async fn a_daemon_that_is_down_fails_provisioning_with_a_client_error() {
    let fake = FakeRuntime::new();
    fake.set_down(true);
    let h = Harness::with(
        Arc::new(Store::memory().unwrap()),
        fake,
        Duration::from_secs(60),
    );
    let b = h.run("daemon-down", ALL_PHASES).await;

    assert_eq!(b.build_status, "FAILED");
    assert_eq!(
        phases(&b),
        [
            "SUBMITTED SUCCEEDED",
            "QUEUED SUCCEEDED",
            "PROVISIONING FAILED",
            "FINALIZING SUCCEEDED",
            "COMPLETED"
        ]
    );
    let (code, message) = context(&b, "PROVISIONING");
    assert_eq!(code, "CLIENT_ERROR");
    assert!(
        message.contains("Docker daemon is not reachable"),
        "{message}"
    );
    // The runner keeps working once the daemon is back.
    h.fake.set_down(false);
    let again = h.start("daemon-down", ALL_PHASES, None);
    assert_eq!(h.done(&again.id).await.build_status, "SUCCEEDED");
}

#[tokio::test]
async fn shutdown_stops_running_builds_and_removes_their_containers() {
    let h = Harness::new();
    h.project("shut", no_source());
    let b = h.start("shut", SLEEPS, None);
    h.fake.wait_for_command("sleep 30").await;
    let runner = h.cb.runner.clone();
    tokio::task::spawn_blocking(move || runner.shutdown())
        .await
        .unwrap();
    let b = h.done(&b.id).await;

    assert_eq!(b.build_status, "STOPPED");
    assert_eq!(context(&b, "BUILD").0, "BUILD_TIMED_OUT_OR_STOPPED");
    assert!(h.fake.live_containers().is_empty());
}

/// The fake, except that `start_container` answers only a while after it has created the
/// container, as Docker's create-then-start leaves a moment when the container exists and the
/// call is still pending.
struct StuckStart {
    fake: Arc<FakeRuntime>,
    created: Arc<Notify>,
}

impl ContainerRuntime for StuckStart {
    fn ping(&self) -> BoxFuture<'_, Result<(), RuntimeError>> {
        self.fake.ping()
    }
    fn ensure_image<'a>(&'a self, image: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>> {
        self.fake.ensure_image(image)
    }
    fn start_container(&self, spec: ContainerSpec) -> BoxFuture<'_, Result<String, RuntimeError>> {
        Box::pin(async move {
            let id = self.fake.start_container(spec).await?;
            self.created.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(id)
        })
    }
    fn open_shell<'a>(
        &'a self,
        id: &'a str,
        shell: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn ShellSession>, RuntimeError>> {
        self.fake.open_shell(id, shell)
    }
    fn put_archive<'a>(
        &'a self,
        id: &'a str,
        dir: &'a str,
        tar: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), RuntimeError>> {
        self.fake.put_archive(id, dir, tar)
    }
    fn get_archive<'a>(
        &'a self,
        id: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<u8>>, RuntimeError>> {
        self.fake.get_archive(id, path)
    }
    fn remove<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), RuntimeError>> {
        self.fake.remove(id)
    }
    fn list<'a>(
        &'a self,
        label: (&'a str, &'a str),
    ) -> BoxFuture<'a, Result<Vec<Labelled>, RuntimeError>> {
        self.fake.list(label)
    }
    fn running(&self) -> BoxFuture<'_, Result<Vec<Labelled>, RuntimeError>> {
        self.fake.running()
    }
    fn reap<'a>(
        &'a self,
        label: Option<(&'a str, &'a str)>,
    ) -> BoxFuture<'a, Result<usize, RuntimeError>> {
        self.fake.reap(label)
    }
}

#[tokio::test]
async fn stop_build_while_the_container_starts_leaves_no_container() {
    let fake = Arc::new(FakeRuntime::new());
    let created = Arc::new(Notify::new());
    let runtime = Arc::new(StuckStart {
        fake: fake.clone(),
        created: created.clone(),
    });
    let store = Arc::new(Store::memory().unwrap());
    let h = Harness::wrapped(store, fake, runtime, Duration::from_secs(60));
    h.project("stuck", no_source());
    let b = h.start("stuck", SLEEPS, None);
    created.notified().await;
    let b = h.cb.stop(ACCOUNT, REGION, &b.id).await.unwrap();

    assert_eq!(b.build_status, "STOPPED");
    assert_eq!(
        phases(&b),
        [
            "SUBMITTED SUCCEEDED",
            "QUEUED SUCCEEDED",
            "PROVISIONING STOPPED",
            "FINALIZING SUCCEEDED",
            "COMPLETED"
        ]
    );
    assert_eq!(h.fake.live_containers(), Vec::<String>::new());
}
