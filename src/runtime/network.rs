//! Where build containers find simfra. On the host: the gateway address of Docker's default
//! bridge network, which the host (and so a simfra bound to loopback that also listens there)
//! answers on. In a container: simfra's own address on its container network, which the build
//! containers it starts then join.

use std::net::IpAddr;

/// The default bridge network's gateway, asked of the daemon at `socket`; None when the daemon
/// does not answer or has no such network. Blocks (start-up only), on a thread of its own.
pub fn bridge_gateway_blocking(socket: &str) -> Option<IpAddr> {
    ask_daemon(socket, |client| async move {
        let net = client.inspect_network("bridge", None).await.ok()?;
        let configs = net.ipam?.config?;
        // Older daemons leave the gateway out: the bridge then has the subnet's first
        // address, which is how Docker assigns it.
        configs.into_iter().find_map(|c| {
            c.gateway
                .and_then(|g| g.parse::<IpAddr>().ok())
                .or_else(|| c.subnet.as_deref().and_then(first_host))
        })
    })
}

/// Runs `ask` with a client of the daemon at `socket` (version agreed), on a thread and
/// runtime of its own, and waits for it (start-up only). None when the daemon does not answer.
fn ask_daemon<T, F, Fut>(socket: &str, ask: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce(bollard::Docker) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Option<T>>,
{
    let socket = socket.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        rt.block_on(async move {
            let client =
                bollard::Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION)
                    .ok()?;
            ask(client.negotiate_version().await.ok()?).await
        })
    })
    .join()
    .ok()
    .flatten()
}

/// The first host address of an IPv4 subnet (`172.17.0.0/16` -> `172.17.0.1`).
fn first_host(subnet: &str) -> Option<IpAddr> {
    let (net, _) = subnet.split_once('/')?;
    let v4: std::net::Ipv4Addr = net.parse().ok()?;
    Some(IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v4) + 1)))
}

/// simfra's own container, when it runs in one: its id, network mode and its address on each
/// network it is attached to (sorted by network name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnContainer {
    pub id: String,
    pub network_mode: Option<String>,
    pub networks: Vec<(String, IpAddr)>,
}

/// The container this process runs in, asked of the daemon at `socket`: None when simfra
/// does not run in a container (no container id in `/proc/self/mountinfo` or
/// `/proc/self/cgroup`), or when the daemon does not know the id (another daemon's container).
/// Blocks (start-up only), on a thread of its own.
pub fn own_container_blocking(socket: &str) -> Option<OwnContainer> {
    let candidates = own_container_ids();
    if candidates.is_empty() {
        return None;
    }
    ask_daemon(socket, |client| async move {
        for id in candidates {
            let Ok(c) = client.inspect_container(&id, None).await else {
                continue;
            };
            let mut networks: Vec<(String, IpAddr)> = c
                .network_settings
                .and_then(|n| n.networks)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(name, e)| {
                    let ip = e.ip_address.filter(|s| !s.is_empty())?.parse().ok()?;
                    Some((name, ip))
                })
                .collect();
            networks.sort();
            return Some(OwnContainer {
                id: c.id.unwrap_or(id),
                network_mode: c.host_config.and_then(|h| h.network_mode),
                networks,
            });
        }
        None
    })
}

/// The full id of the container this process runs in, from what the kernel shows it (no
/// daemon needed); None on the host.
pub fn own_container_id() -> Option<String> {
    own_container_ids().into_iter().find(|id| id.len() == 64)
}

/// Container ids this process may run in, most reliable first: from the mounts Docker makes
/// for `/etc/hostname` and friends, from the cgroup path (cgroup v1, or v2 with the systemd
/// driver), and the host name Docker gives a container (its short id).
fn own_container_ids() -> Vec<String> {
    let mut ids = Vec::new();
    if let Ok(m) = std::fs::read_to_string("/proc/self/mountinfo") {
        ids.extend(id_from_mountinfo(&m));
    }
    if let Ok(c) = std::fs::read_to_string("/proc/self/cgroup") {
        ids.extend(id_from_cgroup(&c));
    }
    if std::path::Path::new("/.dockerenv").exists() {
        if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
            let h = h.trim();
            if h.len() == 12 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                ids.push(h.to_string());
            }
        }
    }
    ids.dedup();
    ids
}

/// The first 64-hex-digit id that follows `marker` in `text`.
fn hex_id_after(text: &str, marker: &str) -> Option<String> {
    text.match_indices(marker).find_map(|(at, _)| {
        let rest = &text[at + marker.len()..];
        let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (id.len() == 64).then_some(id)
    })
}

/// `.../containers/<id>/hostname /etc/hostname ...` in `/proc/self/mountinfo`.
fn id_from_mountinfo(mountinfo: &str) -> Option<String> {
    mountinfo
        .lines()
        .filter(|l| l.contains(" /etc/hostname ") || l.contains(" /etc/hosts "))
        .find_map(|l| hex_id_after(l, "/containers/"))
}

/// `0::/system.slice/docker-<id>.scope` or `12:memory:/docker/<id>` in `/proc/self/cgroup`.
fn id_from_cgroup(cgroup: &str) -> Option<String> {
    cgroup
        .lines()
        .find_map(|l| hex_id_after(l, "docker-").or_else(|| hex_id_after(l, "/docker/")))
}

/// The network build containers join and the address they reach simfra at, for simfra in
/// `own` container. `preferred` (`SIMFRA_CONTAINER_NETWORK`) wins when simfra is on it;
/// otherwise a user-defined network (a compose project's) before Docker's default `bridge`,
/// by name. None for a container on the host's network (it is the host) or on none.
pub fn pick_network(own: &OwnContainer, preferred: Option<&str>) -> Option<(String, IpAddr)> {
    if matches!(own.network_mode.as_deref(), Some("host" | "none")) {
        return None;
    }
    if let Some(p) = preferred {
        if let Some(n) = own.networks.iter().find(|(name, _)| name == p) {
            return Some(n.clone());
        }
    }
    own.networks
        .iter()
        .find(|(name, _)| name != "bridge")
        .or_else(|| own.networks.first())
        .cloned()
}
#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2a9c0d1b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

    #[test]
    fn the_container_id_comes_from_the_hostname_mount() {
        let m = format!(
            "612 590 0:53 / / rw,relatime - overlay overlay rw\n\
             640 612 254:1 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw - ext4 /dev/vda1 rw\n"
        );
        assert_eq!(id_from_mountinfo(&m).as_deref(), Some(ID));
        assert_eq!(
            id_from_mountinfo("612 590 0:53 / / rw - overlay overlay rw\n"),
            None
        );
    }

    #[test]
    fn the_container_id_comes_from_the_cgroup_path() {
        assert_eq!(
            id_from_cgroup(&format!("0::/system.slice/docker-{ID}.scope\n")).as_deref(),
            Some(ID)
        );
        assert_eq!(
            id_from_cgroup(&format!("12:memory:/docker/{ID}\n")).as_deref(),
            Some(ID)
        );
        assert_eq!(id_from_cgroup("0::/user.slice/session-3.scope\n"), None);
        assert_eq!(id_from_cgroup("0::/docker/abc\n"), None);
    }

    fn own(mode: Option<&str>, nets: &[(&str, &str)]) -> OwnContainer {
        OwnContainer {
            id: ID.into(),
            network_mode: mode.map(str::to_string),
            networks: nets
                .iter()
                .map(|(n, ip)| (n.to_string(), ip.parse().unwrap()))
                .collect(),
        }
    }

    #[test]
    fn a_compose_network_is_preferred_over_the_default_bridge() {
        let c = own(
            Some("stack_default"),
            &[("bridge", "172.17.0.3"), ("stack_default", "172.20.0.2")],
        );
        assert_eq!(
            pick_network(&c, None),
            Some(("stack_default".into(), "172.20.0.2".parse().unwrap()))
        );
        assert_eq!(
            pick_network(&c, Some("bridge")),
            Some(("bridge".into(), "172.17.0.3".parse().unwrap()))
        );
        // A preferred network simfra is not on does not count.
        assert_eq!(pick_network(&c, Some("other")).unwrap().0, "stack_default");
        let b = own(Some("default"), &[("bridge", "172.17.0.3")]);
        assert_eq!(pick_network(&b, None).unwrap().0, "bridge");
        assert_eq!(pick_network(&own(Some("host"), &[]), None), None);
        assert_eq!(pick_network(&own(None, &[]), None), None);
    }

    #[test]
    fn first_host_of_a_subnet() {
        assert_eq!(
            super::first_host("172.17.0.0/16"),
            Some("172.17.0.1".parse().unwrap())
        );
        assert_eq!(super::first_host("fd00::/64"), None);
    }
}
