//! The tag operations of AWS KMS 2014-11-01: TagResource, UntagResource and ListResourceTags,
//! each one [`Kms`] call under [`Policy::AWS`](crate::kms::Policy::AWS)'s limits on tags.

use serde_json::{Value, json};

use super::error::Result;
use super::input::Input;
use super::operations::{POLICY, empty, paging};
use crate::kms::Kms;
use crate::store::Store;

pub(super) fn tag_resource<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    kms.tag_resource_under(POLICY, account_id, input.required("KeyId")?, &input.tags()?)?;
    empty()
}

pub(super) fn untag_resource<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    kms.untag_resource(account_id, input.required("KeyId")?, &input.tag_keys()?)?;
    empty()
}

pub(super) fn list_resource_tags<S: Store>(
    kms: &Kms<S>,
    account_id: &str,
    input: &Input,
) -> Result<Value> {
    paging(input)?;
    let tags: Vec<Value> = kms
        .list_resource_tags(account_id, input.required("KeyId")?)?
        .into_iter()
        .map(|t| json!({ "TagKey": t.tag.key, "TagValue": t.tag.value }))
        .collect();
    Ok(json!({ "Tags": tags, "Truncated": false }))
}
