//! Start-up wiring: opens the store, builds every service, registers their tables with the
//! router, and serves the one port. Also the in-process server that tests start on port 0.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};

use crate::protocol::router::{dispatch, Router};
use crate::services;
use crate::settings::Settings;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not open the data directory: {0}")]
    Store(#[from] StoreError),
    #[error("could not load stored state: {0}")]
    Load(String),
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// Opens the store and builds the router with every service registered.
pub fn build_router(settings: &Settings) -> Result<Arc<Router>, StartError> {
    let store = Arc::new(match &settings.data_dir {
        Some(dir) => Store::open(dir)?,
        None => Store::memory()?,
    });
    let mut router = Router::new(
        &settings.region,
        &settings.account_id,
        settings.max_body_bytes,
        settings.docker,
    );
    services::register_all(&mut router, settings, store.clone()).map_err(StartError::Load)?;
    router.store = Some(store.clone());
    let wipe_store = store.clone();
    router.on_reset = Some(Box::new(move || {
        if let Err(e) = wipe_store.wipe() {
            tracing::error!("reset could not wipe the store: {e}");
        }
    }));
    Ok(Arc::new(router))
}

fn http_server(
    settings: &Settings,
    router: Arc<Router>,
) -> Result<(actix_web::dev::Server, SocketAddr), StartError> {
    let extra_binds = router.extra_binds.clone();
    let bound_cell = router.bound.clone();
    let data = web::Data::new(router);
    let addr = format!("{}:{}", settings.host, settings.port);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            // Bodies are read by the router with its own limit; S3 streams them.
            .app_data(web::PayloadConfig::new(usize::MAX))
            .default_service(web::to(dispatch))
    })
    .backlog(4096);
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    let mut server = server.bind(&addr).map_err(|source| StartError::Bind {
        addr: addr.clone(),
        source,
    })?;
    let bound = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| StartError::Bind {
            addr: addr.clone(),
            source: std::io::Error::other("no address bound"),
        })?;
    // Extra listeners share the port; one that cannot bind stops the start, with its address.
    for ip in extra_binds {
        let extra = SocketAddr::new(ip, bound.port());
        match server.bind(extra) {
            Ok(s) => {
                server = s;
                tracing::info!(%extra, "also listening for build containers");
            }
            Err(e) => {
                return Err(StartError::Bind {
                    addr: extra.to_string(),
                    source: e,
                });
            }
        }
    }
    let _ = bound_cell.set(bound);
    Ok((server.run(), bound))
}

/// Serves until SIGINT/SIGTERM (graceful: in-flight requests finish). Used by the binary.
pub async fn run(settings: Settings) -> Result<(), StartError> {
    let router = build_router(&settings)?;
    let (server, addr) = http_server(&settings, router.clone())?;
    tracing::info!(%addr, data_dir = ?settings.data_dir, docker = settings.docker, "simfra is listening");
    let served = server.await;
    router.shutdown();
    served.map_err(|source| StartError::Bind {
        addr: addr.to_string(),
        source,
    })?;
    tracing::info!("simfra stopped");
    Ok(())
}

/// A server running in-process on its own thread (tests, benchmarks).
pub struct TestServer {
    pub addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with these settings (port 0 picks a free port).
    pub fn start(settings: Settings) -> Result<TestServer, StartError> {
        Self::start_serving(settings, build_router)
    }

    /// Serves a router the caller built (protocol tests register operations of their own to
    /// exercise the protocol layer apart from any service).
    pub fn start_with_router(
        settings: Settings,
        router: Arc<Router>,
    ) -> Result<TestServer, StartError> {
        Self::start_serving(settings, move |_| Ok(router))
    }

    fn start_serving(
        settings: Settings,
        make_router: impl FnOnce(&Settings) -> Result<Arc<Router>, StartError> + Send + 'static,
    ) -> Result<TestServer, StartError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("simfra-server".into())
            .spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    let started = make_router(&settings).and_then(|router| {
                        let (server, addr) = http_server(&settings, router.clone())?;
                        Ok((server, addr, router))
                    });
                    match started {
                        Ok((server, addr, router)) => {
                            let _ = tx.send(Ok((addr, server.handle())));
                            let _ = server.await;
                            router.shutdown();
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })
            .expect("spawning the server thread");
        let (addr, handle) = rx
            .recv()
            .map_err(|_| StartError::Load("server thread died".into()))??;
        Ok(TestServer {
            addr,
            handle,
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            let handle = self.handle.clone();
            // The handle's future completes once the server has stopped.
            let _ = std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(handle.stop(false));
            })
            .join();
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
