//! The lifecycle of a key: its states, and the table of which action each state allows
//! (`reference/alibaba-kms-api.md`, "Which state allows which call"). The table is data, in one
//! place; every front door asks [`KeyState::check`].

use core::fmt;

use crate::kms::error::{Error, Result};

/// The lifecycle state of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Usable for cryptographic calls.
    Enabled,
    /// Has material but refuses cryptographic calls until enabled.
    Disabled,
    /// Scheduled for deletion; refuses everything but cancellation, import parameters and material
    /// deletion.
    PendingDeletion,
    /// Has no material (an EXTERNAL key before import, or after its material expired or was
    /// deleted).
    PendingImport,
}

/// What a state allows for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Allowed.
    Ok,
    /// A cryptographic call on a key that is not usable ([`Error::KeyNotUsable`]).
    Unusable,
    /// A change the state does not allow ([`Error::StateForbids`]).
    Forbidden,
}

/// The state table: for each action, what Enabled, Disabled, PendingDeletion and PendingImport
/// allow, in the order of [`KeyState::ALL`].
#[rustfmt::skip]
const TABLE: [(Action, [Rule; 4]); 16] = {
    use Rule::{Forbidden as F, Ok as O, Unusable as U};
    [
        (Action::Encrypt,                [O, U, U, U]),
        (Action::Decrypt,                [O, U, U, U]),
        (Action::GenerateDataKey,        [O, U, U, U]),
        (Action::EnableKey,              [O, O, F, F]),
        (Action::DisableKey,             [O, O, F, F]),
        (Action::ScheduleKeyDeletion,    [O, O, F, O]),
        (Action::CancelKeyDeletion,      [F, F, O, F]),
        (Action::CreateAlias,            [O, O, F, O]),
        (Action::UpdateAlias,            [O, O, F, O]),
        (Action::GetParametersForImport, [O, O, O, O]),
        (Action::ImportKeyMaterial,      [O, O, F, O]),
        (Action::DeleteKeyMaterial,      [O, O, O, O]),
        (Action::TagResource,            [O, O, F, O]),
        (Action::UntagResource,          [O, O, O, O]),
        (Action::UpdateKeyDescription,   [O, O, F, O]),
        (Action::RotateKeyOnDemand,      [O, F, F, F]),
    ]
};

impl KeyState {
    /// Every state, in the order of the state table's columns.
    pub const ALL: [Self; 4] = [
        Self::Enabled,
        Self::Disabled,
        Self::PendingDeletion,
        Self::PendingImport,
    ];

    /// The name, as stored and as both clouds' APIs spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
            Self::PendingImport => "PendingImport",
        }
    }

    /// Alias of [`KeyState::name`].
    pub fn as_str(self) -> &'static str {
        self.name()
    }

    /// The state of this name, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Checks that a key in this state may undergo `action`: the state table.
    pub fn check(self, action: Action) -> Result<()> {
        let column = Self::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or_default();
        let rule = TABLE
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(Rule::Forbidden, |(_, row)| row[column]);
        match rule {
            Rule::Ok => Ok(()),
            Rule::Unusable => Err(Error::KeyNotUsable(self)),
            Rule::Forbidden => Err(Error::StateForbids {
                action,
                state: self,
            }),
        }
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The actions whose permission depends on the key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is the action of the same name
pub enum Action {
    Encrypt,
    Decrypt,
    GenerateDataKey,
    EnableKey,
    DisableKey,
    ScheduleKeyDeletion,
    CancelKeyDeletion,
    CreateAlias,
    UpdateAlias,
    GetParametersForImport,
    ImportKeyMaterial,
    DeleteKeyMaterial,
    TagResource,
    UntagResource,
    UpdateKeyDescription,
    RotateKeyOnDemand,
}

impl Action {
    /// Every state-dependent action.
    pub const ALL: [Self; 16] = [
        Self::Encrypt,
        Self::Decrypt,
        Self::GenerateDataKey,
        Self::EnableKey,
        Self::DisableKey,
        Self::ScheduleKeyDeletion,
        Self::CancelKeyDeletion,
        Self::CreateAlias,
        Self::UpdateAlias,
        Self::GetParametersForImport,
        Self::ImportKeyMaterial,
        Self::DeleteKeyMaterial,
        Self::TagResource,
        Self::UntagResource,
        Self::UpdateKeyDescription,
        Self::RotateKeyOnDemand,
    ];

    /// The action's name (the Alibaba action it is).
    pub fn name(self) -> &'static str {
        match self {
            Self::Encrypt => "Encrypt",
            Self::Decrypt => "Decrypt",
            Self::GenerateDataKey => "GenerateDataKey",
            Self::EnableKey => "EnableKey",
            Self::DisableKey => "DisableKey",
            Self::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            Self::CancelKeyDeletion => "CancelKeyDeletion",
            Self::CreateAlias => "CreateAlias",
            Self::UpdateAlias => "UpdateAlias",
            Self::GetParametersForImport => "GetParametersForImport",
            Self::ImportKeyMaterial => "ImportKeyMaterial",
            Self::DeleteKeyMaterial => "DeleteKeyMaterial",
            Self::TagResource => "TagResource",
            Self::UntagResource => "UntagResource",
            Self::UpdateKeyDescription => "UpdateKeyDescription",
            Self::RotateKeyOnDemand => "RotateKeyOnDemand",
        }
    }

    /// Alias of [`Action::name`].
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_row() {
        for action in Action::ALL {
            assert!(TABLE.iter().any(|(a, _)| *a == action), "{action:?}");
        }
    }

    #[test]
    fn refusals_name_the_state() {
        let e = KeyState::PendingDeletion
            .check(Action::EnableKey)
            .unwrap_err();
        assert!(e.to_string().contains("PendingDeletion"), "{e}");
        let e = KeyState::Disabled.check(Action::Encrypt).unwrap_err();
        assert!(matches!(e, Error::KeyNotUsable(KeyState::Disabled)));
    }
}
