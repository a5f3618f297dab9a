//! The container runtime the services share (with `SIMFRA_DOCKER=true`): one Docker client for
//! builds and deployments, and simfra's endpoint as containers reach it.
//!
//! Where containers find simfra, in this order:
//! 1. `SIMFRA_CONTAINER_ENDPOINT`, as given (with `SIMFRA_CONTAINER_NETWORK`, if set, as the
//!    network build containers join);
//! 2. simfra runs in a container (a compose stack): its own address on its container network
//!    (`SIMFRA_CONTAINER_NETWORK`, else a user-defined network before the default bridge); the
//!    containers simfra starts join that network;
//! 3. simfra runs on the host: the Docker bridge's gateway address, which simfra also listens
//!    on when it is bound to loopback.

use std::sync::Arc;

use super::codebuild::runner::EndpointCell;
use crate::protocol::Router;
use crate::runtime::ContainerRuntime;
use crate::settings::Settings;

pub struct Containers {
    /// None without `SIMFRA_DOCKER=true`, or when the daemon's socket cannot be used.
    pub runtime: Option<Arc<dyn ContainerRuntime>>,
    /// simfra's URL for containers, when known.
    pub endpoint: Option<Arc<EndpointCell>>,
    /// The network the containers simfra starts join (None: the daemon's default bridge).
    pub network: Option<String>,
    /// Why Docker cannot be used although `SIMFRA_DOCKER` is on.
    pub unavailable: Option<String>,
}

pub fn connect(router: &mut Router, settings: &Settings) -> Containers {
    let fixed = settings
        .container_endpoint
        .clone()
        .map(|u| Arc::new(EndpointCell::fixed(u)));
    let mut out = Containers {
        runtime: None,
        endpoint: fixed.clone(),
        network: settings.container_network.clone(),
        unavailable: None,
    };
    if !settings.docker {
        return out;
    }
    use crate::runtime::docker::{check_socket_access, Docker};
    // The socket first: its problems (missing, wrong group) come with the fix to apply.
    let docker = match check_socket_access(&Docker::socket_from_env())
        .and_then(|()| Docker::connect().map_err(|e| e.to_string()))
    {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(
                "SIMFRA_DOCKER is on, but Docker cannot be used: {e}. Builds and deployments \
                 will fail until this is fixed"
            );
            router.docker_unavailable = Some(e.clone());
            out.unavailable = Some(e);
            return out;
        }
    };
    let socket = docker.socket_path().to_string();
    out.runtime = Some(Arc::new(docker));
    if fixed.is_some() {
        return out;
    }
    if let Some(own) = crate::runtime::network::own_container_blocking(&socket) {
        if let Some((network, ip)) =
            crate::runtime::network::pick_network(&own, settings.container_network.as_deref())
        {
            if matches!(settings.host.as_str(), "127.0.0.1" | "localhost" | "::1") {
                tracing::warn!(
                    "simfra runs in a container but listens on {} only: the containers it \
                     starts cannot reach it (set SIMFRA_HOST=0.0.0.0)",
                    settings.host
                );
            }
            tracing::info!(%network, %ip, "simfra runs in a container: the containers it starts join its network");
            out.endpoint = Some(Arc::new(EndpointCell::on_bound(router.bound.clone(), ip)));
            out.network = Some(network);
            router.container_network = out.network.clone();
            return out;
        }
    }
    match crate::runtime::network::bridge_gateway_blocking(&socket) {
        Some(ip) => {
            if matches!(settings.host.as_str(), "127.0.0.1" | "localhost" | "::1") {
                router.extra_binds.push(ip);
            }
            out.endpoint = Some(Arc::new(EndpointCell::on_bound(router.bound.clone(), ip)));
        }
        None => tracing::warn!(
            "the Docker bridge network was not found: containers cannot reach simfra unless \
             SIMFRA_CONTAINER_ENDPOINT is set"
        ),
    }
    out
}
