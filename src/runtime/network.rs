//! Where build containers find simfra: the gateway address of Docker's default bridge network,
//! which the host (and so a simfra bound to loopback that also listens there) answers on.

use std::net::IpAddr;

/// The default bridge network's gateway, asked of the daemon at `socket`; None when the daemon
/// does not answer or has no such network. Blocks (start-up only), on a thread of its own.
pub fn bridge_gateway_blocking(socket: &str) -> Option<IpAddr> {
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
            let client = client.negotiate_version().await.ok()?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn first_host_of_a_subnet() {
        assert_eq!(
            super::first_host("172.17.0.0/16"),
            Some("172.17.0.1".parse().unwrap())
        );
        assert_eq!(super::first_host("fd00::/64"), None);
    }
}
