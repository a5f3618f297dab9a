//! On-premises instances: registration (names and IAM ARNs unique among registered instances),
//! deregistration (the record stays, with its `deregisterTime`) and changes (tags, the
//! runner's container).

use super::*;
use crate::services::codedeploy::errors::Code;

impl State {
    // --- On-premises instances ---

    /// Registers an instance. A registered instance of that name, or another registered
    /// instance with the same IAM user or session ARN, is an error; a deregistered instance of
    /// that name is replaced (registered anew, without its old tags).
    pub fn register_instance(&self, rec: InstanceRecord) -> Result<()> {
        let mut inner = self.write();
        let name = rec.info.instance_name.clone();
        let k = key(&rec.account, &rec.region, &name);
        if inner.instances.get(&k).is_some_and(|i| i.is_registered()) {
            return Err(E::new(
                Code::InstanceNameAlreadyRegistered,
                format!("The on-premises instance name {name} is already registered"),
            ));
        }
        let same_account = |i: &&InstanceRecord| {
            i.account == rec.account && i.region == rec.region && i.is_registered()
        };
        let registered: Vec<&InstanceRecord> =
            inner.instances.values().filter(same_account).collect();
        if let Some(user) = &rec.info.iam_user_arn {
            if registered
                .iter()
                .any(|i| i.info.iam_user_arn.as_ref() == Some(user))
            {
                return Err(E::new(
                    Code::IamUserArnAlreadyRegistered,
                    format!("The IAM user ARN {user} is already registered with an on-premises instance"),
                ));
            }
        }
        if let Some(session) = &rec.info.iam_session_arn {
            if registered
                .iter()
                .any(|i| i.info.iam_session_arn.as_ref() == Some(session))
            {
                return Err(E::new(
                    Code::IamSessionArnAlreadyRegistered,
                    format!("The IAM session ARN {session} is already registered with an on-premises instance"),
                ));
            }
        }
        let mut batch = Batch::new();
        batch.put(INSTANCES, store_key(&rec.account, &rec.region, &name), &rec);
        self.store.apply(batch)?;
        inner.instances.insert(k, rec);
        Ok(())
    }

    /// Marks an instance deregistered (it stays listed with its `deregisterTime`, as on AWS).
    /// False when there was no registered instance of that name.
    pub fn deregister_instance(&self, account: &str, region: &str, name: &str) -> Result<bool> {
        let registered = self
            .instance(account, region, name)
            .is_some_and(|i| i.is_registered());
        if !registered {
            return Ok(false);
        }
        self.modify_instance(account, region, name, |i| {
            i.info.deregister_time.get_or_insert_with(Timestamp::now);
        })?;
        Ok(true)
    }

    /// Applies `f` to an instance (registered or not) and writes it through.
    pub fn modify_instance(
        &self,
        account: &str,
        region: &str,
        name: &str,
        f: impl FnOnce(&mut InstanceRecord),
    ) -> Result<InstanceRecord> {
        let mut inner = self.write();
        let rec = inner
            .instances
            .get_mut(&key(account, region, name))
            .ok_or_else(|| E::instance_not_registered(name))?;
        let mut changed = rec.clone();
        f(&mut changed);
        changed.info.instance_name = name.to_string();
        let mut batch = Batch::new();
        batch.put(INSTANCES, store_key(account, region, name), &changed);
        self.store.apply(batch)?;
        *rec = changed;
        Ok(rec.clone())
    }
}
