//! The containers that play on-premises instances: started from `SIMFRA_CODEDEPLOY_IMAGE`
//! when an instance is registered, removed when it is deregistered, adopted again after a
//! restart with `SIMFRA_DATA_DIR` (and removed with the server when nothing is persisted).

use super::*;

impl DeployRunner {
    /// Registered instances keep (or get) their containers; containers of instances that are
    /// gone are removed.
    pub(super) async fn adopt_instances(&self) {
        let Some(rt) = self.runtime.clone() else {
            return;
        };
        let _one_at_a_time = self.instance_lock.lock().await;
        let live: Vec<String> = match rt.running().await {
            Ok(c) => c.into_iter().map(|(id, _)| id).collect(),
            Err(e) => {
                tracing::debug!("could not list containers: {e}");
                return;
            }
        };
        let instances = self.state.all_instances();
        for i in &instances {
            let alive = i.container.as_ref().is_some_and(|c| live.contains(c));
            if i.is_registered() && !alive {
                self.start_container_for(&i.account, &i.region, &i.info.instance_name)
                    .await;
            }
        }
        if let Ok(ours) = rt.list(("simfra.service", "codedeploy")).await {
            let wanted: Vec<String> = self
                .state
                .all_instances()
                .into_iter()
                .filter(|i| i.is_registered())
                .filter_map(|i| i.container)
                .collect();
            let running: Vec<String> = match rt.running().await {
                Ok(r) => r.into_iter().map(|(id, _)| id).collect(),
                Err(_) => return,
            };
            for (id, labels) in ours {
                let owner_alive = crate::runtime::owner_alive(&labels, &running);
                if !wanted.contains(&id) && !owner_alive {
                    let _ = rt.remove(&id).await;
                }
            }
        }
    }

    /// A registered instance gets its container (unless it has one already).
    pub(super) async fn start_instance(&self, account: &str, region: &str, name: &str) {
        let _one_at_a_time = self.instance_lock.lock().await;
        let has_one = self
            .state
            .instance(account, region, name)
            .is_some_and(|i| i.container.is_some());
        if !has_one {
            self.start_container_for(account, region, name).await;
        }
    }

    async fn start_container_for(&self, account: &str, region: &str, name: &str) {
        let (Some(rt), Some(image)) = (self.runtime.clone(), self.config.instance_image.clone())
        else {
            if self.runtime.is_some() {
                tracing::warn!(instance = %name, "on-premises instance registered, but SIMFRA_CODEDEPLOY_IMAGE is not set: it has no container to deploy to");
            }
            return;
        };
        if let Err(e) = rt.ensure_image(&image).await {
            tracing::warn!(instance = %name, "the instance's container cannot start: {e}");
            return;
        }
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("simfra.service".to_string(), "codedeploy".to_string());
        labels.insert("simfra.instance".to_string(), name.to_string());
        if let Some(tag) = crate::runtime::process_tag(std::process::id()) {
            labels.insert(crate::runtime::OWNER_LABEL.to_string(), tag);
        }
        let spec = ContainerSpec {
            name: format!("simfra-instance-{}", sanitize(name)),
            image,
            labels,
            network: self.config.network.clone(),
            ..Default::default()
        };
        match rt.start_container(spec).await {
            Ok(id) => {
                if let Err(e) =
                    self.state
                        .set_instance_container(account, region, name, Some(id.clone()))
                {
                    tracing::warn!("could not record the instance's container: {e}");
                    let _ = rt.remove(&id).await;
                }
            }
            Err(e) => {
                tracing::warn!(instance = %name, "the instance's container did not start: {e}")
            }
        }
    }

    pub(super) async fn stop_instance(&self, account: &str, region: &str, name: &str) {
        let _one_at_a_time = self.instance_lock.lock().await;
        let Some(i) = self.state.instance(account, region, name) else {
            return;
        };
        if let (Some(rt), Some(c)) = (self.runtime.clone(), i.container) {
            let _ = rt.remove(&c).await;
        }
        let _ = self
            .state
            .set_instance_container(account, region, name, None);
    }
}

impl DeployRunner {
    /// Removes the containers of every on-premises instance (blocking, bounded).
    pub(super) fn remove_instance_containers(&self) {
        let Some(rt) = self.runtime.clone() else {
            return;
        };
        let ids: Vec<String> = self
            .state
            .all_instances()
            .into_iter()
            .filter_map(|i| i.container)
            .collect();
        if ids.is_empty() {
            return;
        }
        let work = std::thread::spawn(move || {
            let Ok(local) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            local.block_on(async move {
                for id in ids {
                    let _ = rt.remove(&id).await;
                }
            });
        });
        let _ = work.join();
        for i in self.state.all_instances() {
            let _ = self.state.set_instance_container(
                &i.account,
                &i.region,
                &i.info.instance_name,
                None,
            );
        }
    }
}
