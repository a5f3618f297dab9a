//! Admin endpoints outside the AWS protocol:
//! `GET /_simfra/health` (version, services and their state, Docker on or off) and
//! `POST /_simfra/reset` (wipes all state; test suites call it between tests).

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::router::Router;

#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    version: &'static str,
    /// The server's process id (benchmarks read its CPU time and memory from /proc).
    pid: u32,
    region: &'a str,
    account_id: &'a str,
    docker: DockerState,
    services: std::collections::BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct DockerState {
    enabled: bool,
    /// Enabled and usable (the daemon's socket can be opened).
    available: bool,
    /// Why it is not, when it is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The network the containers simfra starts join, when simfra runs in a container.
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<String>,
}

pub fn handle(req: &HttpRequest, router: &Router) -> HttpResponse {
    match (req.method().as_str(), req.path()) {
        ("GET" | "HEAD", "/_simfra/health") => {
            let services = router
                .services()
                .iter()
                .map(|s| (s.name(), s.state()))
                .collect();
            HttpResponse::Ok().json(Health {
                status: "ok",
                version: env!("CARGO_PKG_VERSION"),
                pid: std::process::id(),
                region: &router.default_region,
                account_id: &router.default_account,
                docker: DockerState {
                    enabled: router.docker_enabled,
                    available: router.docker_enabled && router.docker_unavailable.is_none(),
                    error: router.docker_unavailable.clone(),
                    network: router.container_network.clone(),
                },
                services,
            })
        }
        ("POST", "/_simfra/reset") => {
            for service in router.services() {
                service.reset();
            }
            if let Some(wipe) = &router.on_reset {
                wipe();
            }
            tracing::info!("all state was reset");
            HttpResponse::Ok().json(serde_json::json!({"reset": true}))
        }
        (_, "/_simfra/health" | "/_simfra/reset") => HttpResponse::MethodNotAllowed()
            .json(serde_json::json!({"error": "method not allowed"})),
        _ => HttpResponse::NotFound().json(serde_json::json!({
            "error": "unknown admin endpoint",
            "endpoints": ["GET /_simfra/health", "POST /_simfra/reset"]
        })),
    }
}
