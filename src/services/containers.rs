//! The container runtime the services share (with `SIMFRA_DOCKER=true`): one Docker client for
//! builds and deployments, and simfra's endpoint as containers reach it. Containers reach
//! simfra on the Docker bridge's gateway address (simfra listens there too when it is bound to
//! loopback) unless `SIMFRA_CONTAINER_ENDPOINT` says otherwise.

use std::sync::Arc;

use super::codebuild::runner::EndpointCell;
use crate::protocol::Router;
use crate::runtime::ContainerRuntime;
use crate::settings::Settings;

pub struct Containers {
    /// None without `SIMFRA_DOCKER=true`, or when the daemon's socket is missing.
    pub runtime: Option<Arc<dyn ContainerRuntime>>,
    /// simfra's URL for containers, when known.
    pub endpoint: Option<Arc<EndpointCell>>,
}

pub fn connect(router: &mut Router, settings: &Settings) -> Containers {
    let fixed = settings
        .container_endpoint
        .clone()
        .map(|u| Arc::new(EndpointCell::fixed(u)));
    if !settings.docker {
        return Containers {
            runtime: None,
            endpoint: fixed,
        };
    }
    let docker = match crate::runtime::docker::Docker::connect() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(
                "SIMFRA_DOCKER is on, but Docker is not reachable ({e}): builds and deployments \
                 will fail"
            );
            return Containers {
                runtime: None,
                endpoint: fixed,
            };
        }
    };
    let endpoint = fixed.or_else(|| {
        match crate::runtime::network::bridge_gateway_blocking(docker.socket_path()) {
            Some(ip) => {
                if matches!(settings.host.as_str(), "127.0.0.1" | "localhost" | "::1") {
                    router.extra_binds.push(ip);
                }
                Some(Arc::new(EndpointCell::on_bound(router.bound.clone(), ip)))
            }
            None => {
                tracing::warn!(
                    "the Docker bridge network was not found: containers cannot reach simfra \
                     unless SIMFRA_CONTAINER_ENDPOINT is set"
                );
                None
            }
        }
    });
    Containers {
        runtime: Some(Arc::new(docker)),
        endpoint,
    }
}
