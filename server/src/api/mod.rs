//! The wire: Alibaba Cloud KMS API 2016-01-20 in RPC style. [`handle`] takes one HTTP request,
//! authenticates it ([`auth`]), runs the action ([`alibaba`]) and renders the JSON reply.
//!
//! It knows the wire and nothing of the rules, which live in [`crate::kms`].

pub mod alibaba;
pub mod auth;

use crate::error::{Error, Result, echo};
use crate::kms::Kms;
use crate::store::Store;

/// The API version this server speaks.
pub const API_VERSION: &str = "2016-01-20";

/// An HTTP request, as the API layer needs it.
#[derive(Debug, Clone)]
pub struct WireRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// Headers with lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl WireRequest {
    /// All values of a header, by lower-case name.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of a header that must occur at most once.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A reply: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON text.
    pub body: String,
    /// The error code, for the log; `None` on success.
    pub code: Option<&'static str>,
    /// The action, for the log, when it was known.
    pub action: Option<String>,
}

/// Handles one API request end to end. Never panics on client input; every failure is a JSON
/// error with its code. `request_id` is echoed in the reply.
pub fn handle<S: Store>(kms: &Kms<S>, request: &WireRequest, request_id: &str) -> WireResponse {
    let mut action = None;
    let result = (|| {
        // A body that does not match its signed hash is refused before it is even parsed.
        auth::check_body_hash(request)?;
        let params = Params::from_request(request)?;
        let name = action_name(request, &params)?;
        action = Some(name.clone());
        let caller = auth::authenticate(kms, request, &params)?;
        alibaba::dispatch(kms, &caller.account_id, &name, &params)
    })();
    match result {
        Ok(mut body) => {
            if let serde_json::Value::Object(map) = &mut body {
                map.insert("RequestId".into(), request_id.into());
            }
            WireResponse {
                status: 200,
                body: body.to_string(),
                code: None,
                action,
            }
        }
        Err(error) => {
            let status = error.http_status();
            let body = serde_json::json!({
                "HttpStatus": status,
                "Code": error.code(),
                "Message": error.public_message(),
                "RequestId": request_id,
            });
            WireResponse {
                status,
                body: body.to_string(),
                code: Some(error.code()),
                action,
            }
        }
    }
}

/// The action, from `x-acs-action` or `Action` (both, if given, must agree); and the version check.
fn action_name(request: &WireRequest, params: &Params) -> Result<String> {
    let header = request.header("x-acs-action");
    let param = params.get("Action");
    let action = match (header, param) {
        (Some(h), Some(p)) if h != p => {
            return Err(Error::invalid(
                "Action",
                "the x-acs-action header and the Action parameter differ",
            ));
        }
        (Some(a), _) | (None, Some(a)) if !a.is_empty() => a,
        _ => return Err(Error::MissingParameter("Action".to_owned())),
    };
    let version = request.header("x-acs-version").or(params.get("Version"));
    match version {
        Some(API_VERSION) => Ok(action.to_owned()),
        Some(other) => Err(Error::InvalidVersion(echo(other))),
        None => Err(Error::MissingParameter("Version".to_owned())),
    }
}

/// The request parameters: the query string and a form body, merged. A name may occur once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// Name–value pairs from the query string, decoded.
    pub query: Vec<(String, String)>,
    /// Name–value pairs from a form body, decoded.
    pub form: Vec<(String, String)>,
}

impl Params {
    /// Parses the query string and, for `application/x-www-form-urlencoded`, the body.
    pub fn from_request(request: &WireRequest) -> Result<Self> {
        let query = decode_form(&request.query)?;
        let form = if request.body.is_empty() {
            Vec::new()
        } else {
            let content_type = request.header("content-type").unwrap_or_default();
            let mime = content_type.split(';').next().unwrap_or_default().trim();
            if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                return Err(Error::invalid(
                    "body",
                    "parameters must be in the query string or an \
                     application/x-www-form-urlencoded body",
                ));
            }
            let text = core::str::from_utf8(&request.body)
                .map_err(|_| Error::invalid("body", "the form body is not UTF-8"))?;
            decode_form(text)?
        };
        let params = Self { query, form };
        let mut names: Vec<&str> = params.all().map(|(n, _)| n).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::invalid(w[0], "is given more than once"));
        }
        Ok(params)
    }

    /// Every parameter, query first.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query
            .iter()
            .chain(&self.form)
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// A parameter's value, or `None` when it is absent or empty.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required parameter: absent or empty is `MissingParameter`.
    pub fn required(&self, name: &str) -> Result<&str> {
        self.optional(name)
            .ok_or_else(|| Error::MissingParameter(name.to_owned()))
    }

    /// An optional whole number.
    pub fn integer(&self, name: &str) -> Result<Option<i64>> {
        self.optional(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| Error::invalid(name, "must be a whole number"))
            })
            .transpose()
    }
}

/// Decodes `application/x-www-form-urlencoded` text strictly: `+` is a space, `%XX` a byte, and
/// the result must be UTF-8.
pub fn decode_form(text: &str) -> Result<Vec<(String, String)>> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name).ok_or_else(|| {
                Error::invalid(
                    "query",
                    "a parameter name is not valid percent-encoded UTF-8",
                )
            })?;
            let value = percent_decode(value)
                .ok_or_else(|| Error::invalid(&name, "is not valid percent-encoded UTF-8"))?;
            Ok((name, value))
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = core::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// RFC 3986 percent-encoding as the signatures use it: `A-Z a-z 0-9 - _ . ~` stay, every other
/// byte becomes `%XX` (upper-case hex).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_is_strict() {
        assert_eq!(
            decode_form("a=b+c&d=%2B%2F%3D&e=").unwrap(),
            vec![
                ("a".into(), "b c".into()),
                ("d".into(), "+/=".into()),
                ("e".into(), "".into())
            ]
        );
        assert!(decode_form("a=%zz").is_err());
        assert!(decode_form("a=%4").is_err());
        assert!(decode_form("a=%ff").is_err(), "not UTF-8");
    }

    #[test]
    fn percent_encoding_matches_rfc_3986() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
    }
}
