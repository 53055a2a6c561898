//! The `materials` column of `keys`: a key's materials beyond the current one
//! ([`Materials`]), as JSON (bytes in base64), NULL when there are none (every key before
//! rotation existed, and every key that never rotated).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::kms::material::{Material, MaterialState, Materials};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Stored {
    current_description: String,
    current_rotated_at: Option<i64>,
    others: Vec<StoredMaterial>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredMaterial {
    version_id: String,
    sealed: Option<String>,
    fingerprint: String,
    expire_at: Option<i64>,
    state: String,
    description: String,
    rotated_at: Option<i64>,
}

/// The column's text for `materials`; `None` (NULL) when there is nothing to keep.
pub fn to_text(materials: &Materials) -> Option<String> {
    if materials.is_empty() {
        return None;
    }
    let stored = Stored {
        current_description: materials.current_description.clone(),
        current_rotated_at: materials.current_rotated_at,
        others: materials
            .others
            .iter()
            .map(|m| StoredMaterial {
                version_id: m.version_id.clone(),
                sealed: m.sealed.as_deref().map(|s| STANDARD.encode(s)),
                fingerprint: STANDARD.encode(&m.fingerprint),
                expire_at: m.expire_at,
                state: m.state.name().to_owned(),
                description: m.description.clone(),
                rotated_at: m.rotated_at,
            })
            .collect(),
    };
    // Strings and integers always serialise.
    serde_json::to_string(&stored).ok()
}

/// The [`Materials`] of the column's text, or why it is not what byok-kms writes.
pub fn from_text(text: Option<&str>) -> Result<Materials, String> {
    let Some(text) = text else {
        return Ok(Materials::default());
    };
    let stored: Stored = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let bytes = |s: &str| STANDARD.decode(s).map_err(|e| format!("not base64: {e}"));
    let others = stored
        .others
        .into_iter()
        .map(|m| {
            Ok(Material {
                sealed: m.sealed.as_deref().map(bytes).transpose()?,
                fingerprint: bytes(&m.fingerprint)?,
                state: MaterialState::from_name(&m.state)
                    .ok_or_else(|| format!("{:?} is no material state", m.state))?,
                version_id: m.version_id,
                expire_at: m.expire_at,
                description: m.description,
                rotated_at: m.rotated_at,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Materials {
        current_description: stored.current_description,
        current_rotated_at: stored.current_rotated_at,
        others,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_null_when_empty() {
        assert_eq!(to_text(&Materials::default()), None);
        assert_eq!(from_text(None).unwrap(), Materials::default());
        let materials = Materials {
            current_description: "second".into(),
            current_rotated_at: Some(7),
            others: vec![Material {
                version_id: "v1".into(),
                sealed: Some(vec![1, 2, 3]),
                fingerprint: vec![9; 32],
                expire_at: None,
                state: MaterialState::NonCurrent,
                description: String::new(),
                rotated_at: None,
            }],
        };
        let text = to_text(&materials).unwrap();
        assert_eq!(from_text(Some(&text)).unwrap(), materials);
        assert!(from_text(Some("{}")).is_err());
        assert!(from_text(Some(&text.replace("NON_CURRENT", "CURRENT"))).is_err());
    }
}
