//! The sizes of the RSA wrapping key pair a KMS hands out.

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, echoed};

/// The size of the RSA wrapping key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WrappingKeySpec {
    /// RSA with a 2048-bit modulus.
    #[default]
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
}

impl WrappingKeySpec {
    /// Every supported wrapping key spec, smallest first.
    pub const ALL: [Self; 3] = [Self::Rsa2048, Self::Rsa3072, Self::Rsa4096];

    /// The wire name, e.g. `RSA_2048`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
        }
    }

    /// The modulus size in bits.
    pub fn bits(self) -> usize {
        match self {
            Self::Rsa2048 => 2048,
            Self::Rsa3072 => 3072,
            Self::Rsa4096 => 4096,
        }
    }

    /// The spec whose modulus has exactly `bits` bits, if there is one.
    pub fn from_bits(bits: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|spec| spec.bits() == bits)
    }
}

impl FromStr for WrappingKeySpec {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|spec| spec.as_str() == name)
            .ok_or_else(|| Error::UnknownWrappingKeySpec(echoed(name)))
    }
}

impl fmt::Display for WrappingKeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
