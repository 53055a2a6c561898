//! Options objects from JavaScript, checked by serde: every option has a declared name and type,
//! and an unknown name (a typo) is refused.
//!
//! serde-wasm-bindgen reads a `#[derive(Deserialize)]` struct by looking up only the struct's own
//! field names, so `deny_unknown_fields` never sees the other keys. [`AsMap`] makes it read the
//! object as a map of all its own keys instead, which lets `deny_unknown_fields` refuse the rest.

use js_sys::{Date, Uint8Array};
use serde::de::{self, DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use super::{invalid_argument, to_js};
use crate::client::expiry_unix_seconds;

/// Reads `value`, which must be a plain object, as the options `T` of `function`.
pub(super) fn from_options<T: DeserializeOwned>(
    value: JsValue,
    function: &str,
) -> Result<T, JsValue> {
    if !value.is_object() || value.is_function() || Uint8Array::instanceof(&value) {
        return Err(invalid_argument(&format!(
            "{function} takes one options object ({{ … }})"
        )));
    }
    T::deserialize(AsMap(serde_wasm_bindgen::Deserializer::from(value))).map_err(|error| {
        let message = error.to_string();
        let message = message.strip_prefix("Error: ").unwrap_or(&message);
        invalid_argument(&format!(
            "{function}: {}",
            message
                .replace("unknown field", "unknown option")
                .replace("missing field", "missing option")
        ))
    })
}

/// A deserializer that reads a struct from all of an object's own keys (see the module docs).
struct AsMap(serde_wasm_bindgen::Deserializer);

impl<'de> Deserializer<'de> for AsMap {
    type Error = serde_wasm_bindgen::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// A secret string from JavaScript (an access key secret), taken over from the buffer
/// wasm-bindgen decoded it into, without a copy, and wiped on drop.
pub(super) struct Secret(pub(super) Zeroizing<String>);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretVisitor;
        impl Visitor<'_> for SecretVisitor {
            type Value = Secret;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a string")
            }
            fn visit_string<E: de::Error>(self, value: String) -> Result<Secret, E> {
                Ok(Secret(Zeroizing::new(value)))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Secret, E> {
                Ok(Secret(Zeroizing::new(value.to_owned())))
            }
        }
        deserializer.deserialize_string(SecretVisitor)
    }
}

/// Any JavaScript value, kept as it is (a `Uint8Array`, a function, an `AbortSignal`, a `Date`).
#[derive(Default)]
pub(super) struct Value(pub(super) JsValue);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_wasm_bindgen::preserve::deserialize(deserializer).map(Value)
    }
}

impl Value {
    /// Whether the option was given (not absent, `undefined` or `null`).
    pub(super) fn is_given(&self) -> bool {
        !self.0.is_undefined() && !self.0.is_null()
    }

    /// The value as a `Uint8Array`, or `None` if not given; an error naming `option` for any
    /// other type.
    pub(super) fn bytes(&self, option: &str) -> Result<Option<Uint8Array>, JsValue> {
        if !self.is_given() {
            return Ok(None);
        }
        self.0
            .dyn_ref::<Uint8Array>()
            .cloned()
            .map(Some)
            .ok_or_else(|| invalid_argument(&format!("{option} must be a Uint8Array")))
    }

    /// Checks that the value, if given, is a function.
    pub(super) fn check_function(&self, option: &str) -> Result<(), JsValue> {
        if self.is_given() && !self.0.is_function() {
            return Err(invalid_argument(&format!("{option} must be a function")));
        }
        Ok(())
    }

    /// An expiry: a `Date`, or Unix time in whole seconds (`0` or absent for never).
    pub(super) fn expiry(&self, option: &str) -> Result<Option<u64>, JsValue> {
        if !self.is_given() {
            return Ok(None);
        }
        let seconds = if let Some(date) = self.0.dyn_ref::<Date>() {
            let ms = date.get_time();
            if !ms.is_finite() {
                return Err(invalid_argument(&format!("{option} is an invalid Date")));
            }
            (ms / 1000.0).floor()
        } else if let Some(number) = self.0.as_f64() {
            number
        } else {
            return Err(invalid_argument(&format!(
                "{option} must be a Date or Unix time in seconds"
            )));
        };
        expiry_unix_seconds(seconds).map(Some).map_err(|e| {
            to_js(crate::Error::InvalidArgument(format!(
                "{option}: {}",
                inner(&e)
            )))
        })
    }
}

/// The message of an `InvalidArgument` without its "invalid argument: " prefix.
fn inner(error: &crate::Error) -> String {
    match error {
        crate::Error::InvalidArgument(message) => message.clone(),
        other => other.to_string(),
    }
}
