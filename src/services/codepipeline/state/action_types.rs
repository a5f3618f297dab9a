//! Action types: the built-in catalogue merged with the region's custom types and updated
//! ThirdParty declarations; custom action type creation and deletion; UpdateActionType.

use super::{
    custom_key, declaration_key, key, CustomActionTypeRecord, DeclarationRecord, RegionData, State,
    ACTION_TYPE_DECLARATIONS, CUSTOM_ACTION_TYPES,
};
use crate::protocol::AwsEnum;
use crate::services::codepipeline::catalog;
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::{
    ActionCategory, ActionOwner, ActionType, ActionTypeDeclaration, ActionTypeId,
    ActionTypeSettings, CreateCustomActionTypeInput, Tag,
};
use crate::services::codepipeline::validate::{check_tags, merge_tags};
use crate::store::Batch;

/// A ThirdParty declaration as `ListActionTypes` shows it.
fn declared_action_type(d: &ActionTypeDeclaration) -> ActionType {
    let rules = catalog::ActionTypeRules::from_declaration(d);
    let settings = d.urls.as_ref().map(|u| ActionTypeSettings {
        third_party_configuration_url: u.configuration_url.clone(),
        entity_url_template: u.entity_url_template.clone(),
        execution_url_template: u.execution_url_template.clone(),
        revision_url_template: u.revision_url_template.clone(),
    });
    ActionType {
        id: ActionTypeId {
            category: d.id.category.clone(),
            owner: ActionOwner::parse(&d.id.owner),
            provider: d.id.provider.clone(),
            version: d.id.version.clone(),
        },
        settings,
        action_configuration_properties: rules.properties,
        input_artifact_details: d.input_artifact_details,
        output_artifact_details: d.output_artifact_details,
    }
}

fn type_label(category: &ActionCategory, owner: &str, provider: &str, version: &str) -> String {
    format!(
        "(Category: '{category}', Owner: '{owner}', Provider: '{provider}', Version: '{version}')"
    )
}

impl RegionData {
    /// Every action type visible in this region, keyed `Owner/Category/Provider/Version` and
    /// in key order.
    pub fn action_types(&self) -> Vec<(String, ActionType)> {
        let mut out: Vec<(String, ActionType)> = catalog::builtin_action_types()
            .iter()
            .map(|b| {
                let k = declaration_key(b.owner, &b.category, b.provider, "1");
                match self.declarations.get(&k) {
                    Some(d) => (k, declared_action_type(&d.declaration)),
                    None => (k, b.action_type()),
                }
            })
            .collect();
        out.extend(
            self.custom_types
                .iter()
                .filter(|(_, r)| !r.deleted)
                .map(|(k, r)| (format!("Custom/{k}"), r.action_type.clone())),
        );
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

impl State {
    /// ListActionTypes: the catalogue and the custom types of `region`.
    pub fn list_action_types(
        &self,
        account: &str,
        region: &str,
        owner: Option<&ActionOwner>,
    ) -> Vec<(String, ActionType)> {
        let data = self.read();
        let empty = RegionData::default();
        let rd = data.region(account, region).unwrap_or(&empty);
        rd.action_types()
            .into_iter()
            .filter(|(_, t)| owner.is_none_or(|o| &t.id.owner == o))
            .collect()
    }

    /// CreateCustomActionType after its model constraints and rules passed.
    ///
    /// Decisions (12.15): creating a type identical to an existing one returns it (idempotent);
    /// a deleted type can be restored only with an identical definition, as the API reference
    /// says; any other reuse of an id is ValidationException (the only fitting declared error).
    pub fn create_custom_action_type(
        &self,
        account: &str,
        region: &str,
        input: CreateCustomActionTypeInput,
    ) -> Result<(ActionType, Vec<Tag>)> {
        let _gate = self.gate();
        let k = custom_key(&input.category, &input.provider, &input.version);
        let action_type = ActionType {
            id: ActionTypeId {
                category: input.category.clone(),
                owner: ActionOwner::Custom,
                provider: input.provider.clone(),
                version: input.version.clone(),
            },
            settings: input.settings.clone(),
            action_configuration_properties: input.configuration_properties.unwrap_or_default(),
            input_artifact_details: input.input_artifact_details,
            output_artifact_details: input.output_artifact_details,
        };
        let tags = input.tags.unwrap_or_default();
        check_tags(&tags)?;
        let record = {
            let data = self.read();
            let empty = RegionData::default();
            let rd = data.region(account, region).unwrap_or(&empty);
            let label = type_label(&input.category, "Custom", &input.provider, &input.version);
            match rd.custom_types.get(&k) {
                Some(existing) if existing.action_type != action_type => {
                    let why = if existing.deleted {
                        "was deleted; restore it with an identical definition or use a new version"
                    } else {
                        "already exists with a different definition"
                    };
                    return Err(CodePipelineError::Validation(format!(
                        "ActionType {label} {why}"
                    )));
                }
                Some(existing) if !existing.deleted => {
                    return Ok((existing.action_type.clone(), existing.tags.clone()));
                }
                Some(_) => {}
                None => {
                    let active = rd.custom_types.values().filter(|r| !r.deleted).count();
                    if active >= self.limits.custom_action_types {
                        return Err(CodePipelineError::LimitExceeded(format!(
                            "Account '{account}' has reached the limit of {} custom action types in region '{region}'",
                            self.limits.custom_action_types
                        )));
                    }
                }
            }
            CustomActionTypeRecord {
                account: account.to_string(),
                region: region.to_string(),
                action_type,
                deleted: false,
                tags: merge_tags(&[], &tags)?,
            }
        };
        let mut batch = Batch::new();
        batch.put(CUSTOM_ACTION_TYPES, key(account, region, &k), &record);
        self.store.apply(batch)?;
        let out = (record.action_type.clone(), record.tags.clone());
        self.write()
            .region_mut(account, region)
            .custom_types
            .insert(k, record);
        Ok(out)
    }

    /// DeleteCustomActionType marks the type deleted. Decision: deleting a type that does not
    /// exist (or is already deleted) succeeds, like the other deletes of this API, since the
    /// model declares no not-found error for it.
    pub fn delete_custom_action_type(
        &self,
        account: &str,
        region: &str,
        category: &ActionCategory,
        provider: &str,
        version: &str,
    ) -> Result<()> {
        let _gate = self.gate();
        let k = custom_key(category, provider, version);
        let Some(mut record) = self
            .read()
            .region(account, region)
            .and_then(|rd| rd.custom_types.get(&k))
            .filter(|r| !r.deleted)
            .cloned()
        else {
            return Ok(());
        };
        record.deleted = true;
        let mut batch = Batch::new();
        batch.put(CUSTOM_ACTION_TYPES, key(account, region, &k), &record);
        self.store.apply(batch)?;
        self.write()
            .region_mut(account, region)
            .custom_types
            .insert(k, record);
        Ok(())
    }

    /// GetActionType: owners AWS and ThirdParty only (the model's pattern). Decision: the
    /// built-in catalogue answers too, described as CodePipeline's own job worker.
    pub fn get_action_type(
        &self,
        account: &str,
        region: &str,
        category: &ActionCategory,
        owner: &str,
        provider: &str,
        version: &str,
    ) -> Result<ActionTypeDeclaration> {
        let data = self.read();
        let k = declaration_key(owner, category, provider, version);
        if let Some(d) = data
            .region(account, region)
            .and_then(|rd| rd.declarations.get(&k))
        {
            return Ok(d.declaration.clone());
        }
        catalog::find_builtin(owner, category.as_str(), provider, version)
            .map(|b| b.declaration())
            .ok_or_else(|| {
                CodePipelineError::ActionTypeNotFound(format!(
                    "ActionType {} does not exist",
                    type_label(category, owner, provider, version)
                ))
            })
    }

    /// UpdateActionType. Decision: action types owned by AWS cannot be changed
    /// (RequestFailedException); a ThirdParty type must exist (in the catalogue or from an
    /// earlier update), else ActionTypeNotFoundException. The new declaration then governs
    /// validation and listing of that type in this account and region.
    pub fn update_action_type(
        &self,
        account: &str,
        region: &str,
        declaration: ActionTypeDeclaration,
    ) -> Result<()> {
        let _gate = self.gate();
        let id = &declaration.id;
        let label = type_label(&id.category, &id.owner, &id.provider, &id.version);
        if id.owner == "AWS" {
            return Err(CodePipelineError::RequestFailed(format!(
                "ActionType {label} is owned by AWS and cannot be updated"
            )));
        }
        let k = declaration_key(&id.owner, &id.category, &id.provider, &id.version);
        let exists =
            catalog::find_builtin(&id.owner, id.category.as_str(), &id.provider, &id.version)
                .is_some()
                || self
                    .read()
                    .region(account, region)
                    .is_some_and(|rd| rd.declarations.contains_key(&k));
        if !exists {
            return Err(CodePipelineError::ActionTypeNotFound(format!(
                "ActionType {label} does not exist"
            )));
        }
        let record = DeclarationRecord {
            account: account.to_string(),
            region: region.to_string(),
            declaration,
        };
        let mut batch = Batch::new();
        batch.put(ACTION_TYPE_DECLARATIONS, key(account, region, &k), &record);
        self.store.apply(batch)?;
        self.write()
            .region_mut(account, region)
            .declarations
            .insert(k, record);
        Ok(())
    }

    /// A custom action type that is not deleted: the engine's read for job workers.
    pub fn custom_action_type(
        &self,
        account: &str,
        region: &str,
        category: &ActionCategory,
        provider: &str,
        version: &str,
    ) -> Option<ActionType> {
        let data = self.read();
        data.region(account, region)?
            .custom_types
            .get(&custom_key(category, provider, version))
            .filter(|r| !r.deleted)
            .map(|r| r.action_type.clone())
    }
}
